//! Requests under the Engine.IO path: CORS, the checks every request passes (in the reference
//! server's order, so the same bad request gets the same answer), the handshake, and the
//! hand-off to a transport.

use std::sync::Arc;

use bytes::Bytes;
use duplex_engineio_proto::{Protocol, Sid};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Full;

use crate::config::Transport;
use crate::engine::Shared;
use crate::error::ProtocolError;
use crate::handler::Handler;
use crate::request::{EngineQuery, HandshakeRequest};
use crate::service::BoxError;
use crate::socket::Socket;
use crate::{polling, websocket};

pub(crate) type EngineResponse = Response<Full<Bytes>>;

/// Answers one request under the path.
pub(crate) async fn handle<H, B>(shared: Arc<Shared<H>>, request: Request<B>) -> EngineResponse
where
    H: Handler,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let Some(cors) = shared.config.cors.clone() else {
        return route(&shared, request)
            .await
            .unwrap_or_else(|e| e.to_response());
    };
    // Only the headers CORS answers depend on outlive the request.
    let mut asked = HeaderMap::new();
    for name in [header::ORIGIN, header::ACCESS_CONTROL_REQUEST_HEADERS] {
        if let Some(value) = request.headers().get(&name) {
            asked.insert(name, value.clone());
        }
    }
    let mut response = if request.method() == Method::OPTIONS {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::NO_CONTENT;
        cors.apply_preflight(&asked, response.headers_mut());
        return response;
    } else {
        route(&shared, request)
            .await
            .unwrap_or_else(|e| e.to_response())
    };
    cors.apply(&asked, response.headers_mut());
    response
}

async fn route<H, B>(
    shared: &Arc<Shared<H>>,
    request: Request<B>,
) -> Result<EngineResponse, ProtocolError>
where
    H: Handler,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let query = EngineQuery::parse(request.uri().query().unwrap_or(""));
    let config = &shared.config;
    let transport = query
        .transport
        .and_then(Transport::from_query)
        .filter(|t| match t {
            Transport::Polling => config.polling,
            Transport::Websocket => config.websocket,
        })
        .ok_or(ProtocolError::UnknownTransport)?;
    let protocol = match query.eio {
        Some("4") => Some(Protocol::V4),
        Some("3") if config.allow_eio3 => Some(Protocol::V3),
        _ => None,
    };
    // An empty `sid=` is a handshake, as the reference server reads it.
    let Some(sid) = query.sid.filter(|sid| !sid.is_empty()) else {
        return handshake(shared, request, transport, protocol).await;
    };
    let socket = Sid::parse(sid)
        .and_then(|sid| shared.lookup(sid))
        .ok_or(ProtocolError::UnknownSid)?;
    match transport {
        Transport::Websocket => websocket::upgrade(shared, socket, request),
        // A poll on a session WebSocket carries is refused by the session state.
        Transport::Polling => match *request.method() {
            Method::GET => polling::get(shared, socket, request.headers()).await,
            Method::POST => polling::post(shared, socket, request).await,
            _ => Err(ProtocolError::BadRequest),
        },
    }
}

async fn handshake<H, B>(
    shared: &Arc<Shared<H>>,
    request: Request<B>,
    transport: Transport,
    protocol: Option<Protocol>,
) -> Result<EngineResponse, ProtocolError>
where
    H: Handler,
{
    if request.method() != Method::GET {
        return Err(ProtocolError::BadHandshakeMethod);
    }
    if transport == Transport::Websocket && !duplex_ws::is_upgrade_request(&request) {
        return Err(ProtocolError::BadRequest);
    }
    let handshake = Arc::new(HandshakeRequest::from_request(&request));
    if let Some(allow) = &shared.config.allow_request {
        allow(handshake.clone())
            .await
            .map_err(|refusal| ProtocolError::Forbidden(refusal.message))?;
    }
    let protocol = protocol.ok_or(ProtocolError::UnsupportedProtocolVersion)?;
    if shared.is_shutting_down() {
        let mut response = Response::new(Full::new(Bytes::from_static(b"server shutting down")));
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        return Ok(response);
    }
    match transport {
        Transport::Polling => {
            let socket = shared.open_session(protocol, transport, handshake);
            let mut response = polling::get(shared, socket.clone(), request.headers()).await?;
            set_cookie(shared, &socket, response.headers_mut());
            Ok(response)
        }
        Transport::Websocket => websocket::handshake(shared, request, protocol, handshake),
    }
}

/// The `io` cookie, when configured.
pub(crate) fn set_cookie<H>(shared: &Shared<H>, socket: &Socket, headers: &mut HeaderMap) {
    let Some(cookie) = &shared.config.cookie else {
        return;
    };
    let mut value = format!("{}={}; Path={}", cookie.name, socket.id(), cookie.path);
    if cookie.http_only {
        value.push_str("; HttpOnly");
    }
    value.push_str("; SameSite=");
    value.push_str(&cookie.same_site);
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.append(header::SET_COOKIE, value);
    }
}
