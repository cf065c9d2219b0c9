//! The long-polling transport: a GET waits for queued packets and returns them as one
//! payload; a POST brings packets in.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use duplex_engineio_proto::server::{Refusal, SessionState};
use duplex_engineio_proto::{Packet, Protocol, payload};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};

use crate::compress;
use crate::config::Transport;
use crate::endpoint::EngineResponse;
use crate::engine::Shared;
use crate::error::ProtocolError;
use crate::handler::{CloseReason, Handler};
use crate::metrics::{Direction, Tally};
use crate::prepared::Outgoing;
use crate::service::BoxError;
use crate::socket::Socket;

/// A long-poll or POST under way: begun by a transition of the session state, ended by
/// `end` however the request ends (answered, or dropped because the client went away).
struct InProgress<'a> {
    socket: &'a Socket,
    end: fn(SessionState) -> SessionState,
}

impl<'a> InProgress<'a> {
    /// Takes the request on through `begin`; a refusal is answered with 400 and, for an
    /// overlapping request (two clients sharing a sid, or a broken one), ends the session:
    /// a waiting GET then returns the close packet.
    fn begin(
        socket: &'a Socket,
        begin: fn(SessionState) -> Result<SessionState, Refusal>,
        end: fn(SessionState) -> SessionState,
    ) -> Result<InProgress<'a>, ProtocolError> {
        if let Err(refusal) = socket.transition(begin) {
            if refusal.closes_session() {
                socket.close_with(CloseReason::TransportError);
            }
            return Err(ProtocolError::from(refusal));
        }
        Ok(InProgress { socket, end })
    }
}

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.socket.update(self.end);
    }
}

/// A long-poll: answers at once with whatever is queued, otherwise waits for the next
/// packet, the end of the session, or an upgrade (from `3probe` on, see
/// [`Socket::probe_answered`]).
pub(crate) async fn get<H: Handler>(
    shared: &Shared<H>,
    socket: Arc<Socket>,
    request_headers: &HeaderMap,
) -> Result<EngineResponse, ProtocolError> {
    let _in_progress =
        InProgress::begin(&socket, SessionState::begin_poll, SessionState::end_poll)?;
    let packets = loop {
        let changed = socket.outbox.changed();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if socket.state().is_websocket() {
            break vec![Packet::Noop];
        }
        // After an application close the session waits for the client to collect its last
        // packets, then the close on its own; other ends answer everything at once.
        let packets = if socket.close_reason() == Some(CloseReason::ForcedClose) {
            socket.outbox.take_for_poll()
        } else {
            socket.outbox.take_all()
        };
        if !packets.is_empty() {
            break packets.into_iter().map(Outgoing::into_packet).collect();
        }
        if socket.is_closed() {
            break vec![Packet::Close];
        }
        if socket.is_probed() {
            break vec![Packet::Noop];
        }
        changed.await;
    };
    Ok(payload_response(
        shared,
        socket.protocol(),
        &packets,
        request_headers,
    ))
}

fn payload_response<H>(
    shared: &Shared<H>,
    protocol: Protocol,
    packets: &[Packet],
    request_headers: &HeaderMap,
) -> EngineResponse {
    let mut body = BytesMut::new();
    payload::encode(packets, protocol, &mut body);
    shared.traffic(Transport::Polling, Direction::Out, || Tally::of(packets));
    let mut body = body.freeze();
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, "text/plain; charset=UTF-8")
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(compression) = shared.config.http_compression {
        let coding = compress::negotiate(request_headers.get(header::ACCEPT_ENCODING));
        if let Some(coding) = coding.filter(|_| body.len() >= compression.threshold) {
            if let Ok(compressed) = compress::compress(&body, coding) {
                body = compressed;
                response = response.header(header::CONTENT_ENCODING, coding.as_str());
            }
        }
    }
    response
        .body(Full::new(body))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// Packets from the client. The body is read up to `max_http_buffer_size`; a longer one is
/// refused with 413 and ends the session, as does a body that is not a valid payload (400).
pub(crate) async fn post<H, B>(
    shared: &Shared<H>,
    socket: Arc<Socket>,
    request: Request<B>,
) -> Result<EngineResponse, ProtocolError>
where
    H: Handler,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let _in_progress =
        InProgress::begin(&socket, SessionState::begin_post, SessionState::end_post)?;
    // v4 payloads are text; only v3 clients post the binary form.
    let binary_body = request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/octet-stream"));
    if binary_body && socket.protocol() == Protocol::V4 {
        socket.close_with(CloseReason::ParseError);
        return Err(ProtocolError::BadRequest);
    }
    let limit = shared.config.max_http_buffer_size;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Ok(too_large(&socket));
    }
    let body = match Limited::new(request.into_body(), limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => return Ok(too_large(&socket)),
        Err(_) => {
            socket.close_with(CloseReason::TransportError);
            return Err(ProtocolError::BadRequest);
        }
    };
    let packets = match payload::decode(body, socket.protocol()) {
        Ok(packets) => packets,
        Err(e) => {
            tracing::debug!(sid = %socket.id(), transport = "polling", error = %e, "malformed polling payload");
            socket.close_with(CloseReason::ParseError);
            return Err(ProtocolError::BadRequest);
        }
    };
    shared.traffic(Transport::Polling, Direction::In, || Tally::of(&packets));
    for packet in packets {
        shared.on_packet(&socket, packet);
    }
    let mut response = Response::new(Full::new(Bytes::from_static(b"ok")));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    Ok(response)
}

fn too_large(socket: &Socket) -> EngineResponse {
    tracing::debug!(sid = %socket.id(), transport = "polling", "polling body over max_http_buffer_size");
    socket.close_with(CloseReason::TransportError);
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    response
}
