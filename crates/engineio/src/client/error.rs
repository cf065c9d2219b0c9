//! The errors of the client: [`ConnectError`] before the session opens, [`SendError`] after.

use std::time::Duration;

use crate::Message;

/// Why [`connect`](super::connect) found no session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL (or the configuration) cannot be used.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// The TCP connection (to the server or to its proxy) failed: refused, unreachable, ...
    #[error("cannot connect: {0}")]
    Connect(#[source] std::io::Error),
    /// The proxy setting (or the environment variable that chose the proxy, which the message
    /// names) cannot be used. See [`ProxyConfig`](super::ProxyConfig).
    #[error("invalid proxy: {0}")]
    InvalidProxy(String),
    /// The HTTP proxy refused to open the tunnel (`CONNECT`) with this non-2xx status:
    /// 407 when it wants credentials it did not get.
    #[error("the proxy refused the tunnel with HTTP {status}")]
    Proxy {
        /// The status code.
        status: u16,
    },
    /// The TLS handshake with the server failed (an untrusted certificate, a name mismatch,
    /// no common protocol version, ...).
    #[cfg(feature = "tls")]
    #[error("TLS handshake failed: {0}")]
    Tls(#[source] std::io::Error),
    /// The handshake request failed at the HTTP level (the connection closed mid-request, a
    /// body over the limit, ...).
    #[error("handshake request failed: {0}")]
    Http(String),
    /// The server answered the handshake with another status than 200 (or 101).
    #[error("the server answered the handshake with HTTP {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The start of the response body, lossily decoded.
        body: String,
    },
    /// The WebSocket handshake of a WebSocket-first session failed.
    #[error("WebSocket handshake failed: {0}")]
    WebSocket(#[source] duplex_ws::Error),
    /// The server's first packet is not a valid open packet.
    #[error("bad open packet: {0}")]
    BadOpen(#[source] duplex_engineio_proto::Error),
    /// The server closed the connection before the open packet.
    #[error("the server closed the connection before the open packet")]
    Closed,
    /// No open packet within the
    /// [`connect_timeout`](super::ClientConfig::connect_timeout).
    #[error("no open packet within {0:?}")]
    Timeout(Duration),
}

impl ConnectError {
    /// The HTTP status of a refused handshake, if that is what happened (a proxy's refusal
    /// is [`ConnectError::Proxy`], not counted here).
    pub fn status(&self) -> Option<u16> {
        match self {
            ConnectError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Sorts a failed WebSocket connection: refused TCP, a refused handshake (its status) or
    /// another handshake failure.
    pub(crate) fn from_ws(error: duplex_ws::Error, timeout: Duration) -> ConnectError {
        match error {
            duplex_ws::Error::Io(error) => ConnectError::Connect(error),
            duplex_ws::Error::HandshakeTimeout => ConnectError::Timeout(timeout),
            duplex_ws::Error::Handshake(duplex_ws::proto::handshake::HandshakeError::Status {
                status,
                body,
            }) => ConnectError::Status {
                status: status.as_u16(),
                body,
            },
            other => ConnectError::WebSocket(other),
        }
    }
}

/// [`Client::send`](super::Client::send) found the session closed; the message is given back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the session is closed")]
pub struct SendError(pub Message);
