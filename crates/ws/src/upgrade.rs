//! Upgrading a request received by hyper (or axum, or any tower stack on hyper).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use duplex_ws_proto::deflate::DeflateCodec;
use duplex_ws_proto::handshake::Rejection;
use duplex_ws_proto::{Connection, Role};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;

use crate::accept::ServerConfig;
use crate::error::Error;
use crate::socket::WebSocket;

/// The connection type an upgrade yields.
pub type UpgradedSocket = WebSocket<TokioIo<Upgraded>>;

/// Whether a request asks for a WebSocket upgrade (a cheap pre-check for routing;
/// [`upgrade`] does the full validation).
pub fn is_upgrade_request<B>(request: &http::Request<B>) -> bool {
    request
        .headers()
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("websocket"))
        })
}

/// Validates a WebSocket upgrade request received by hyper and prepares the switch.
///
/// On success, send the returned 101 response (convert its body with
/// `response.map(|()| YourBody::empty())`) and await the [`PendingUpgrade`] in a task:
/// it resolves to the connection once hyper hands over the stream. On refusal, send
/// the [`Rejection`] (e.g. `rejection.to_response()`).
pub fn upgrade<B>(
    request: &mut http::Request<B>,
    server: &ServerConfig,
) -> Result<(http::Response<()>, PendingUpgrade), Rejection> {
    let mut head = http::Request::new(());
    *head.method_mut() = request.method().clone();
    *head.uri_mut() = request.uri().clone();
    *head.version_mut() = request.version();
    *head.headers_mut() = request.headers().clone();
    let accepted = server.handshake.accept(&head)?;
    let mut conn = Connection::new(Role::Server, server.config.clone());
    if let (Some(params), Some(deflate)) = (accepted.deflate, server.handshake.deflate_config()) {
        conn = conn.with_deflate(DeflateCodec::new(params, Role::Server, deflate));
    }
    let pending = PendingUpgrade {
        on_upgrade: hyper::upgrade::on(request),
        conn: Some(conn),
        protocol: accepted.protocol,
    };
    Ok((accepted.response, pending))
}

/// Resolves to the WebSocket once hyper has sent the 101 and handed over the stream.
#[derive(Debug)]
pub struct PendingUpgrade {
    on_upgrade: OnUpgrade,
    conn: Option<Connection>,
    protocol: Option<String>,
}

impl Future for PendingUpgrade {
    type Output = Result<UpgradedSocket, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let upgraded = ready!(Pin::new(&mut this.on_upgrade).poll(cx))
            .map_err(|e| Error::Io(std::io::Error::other(e)))?;
        let conn = this.conn.take().ok_or(Error::Closed)?;
        let socket = WebSocket::from_connection(TokioIo::new(upgraded), conn, BytesMut::new())
            .with_protocol(this.protocol.take());
        Poll::Ready(Ok(socket))
    }
}
