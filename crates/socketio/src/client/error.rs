//! Why a namespace did not connect, and why a connected one disconnected.

use std::fmt;
use std::sync::Arc;

use crate::engineio::client::{CloseReason, ConnectError as EngineError};

/// Why a namespace is not connected (socket.io-client's `connect_error`).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The server's namespace refused (a middleware, an unknown namespace): its message and
    /// data.
    #[error("refused by the server: {message}")]
    Refused {
        /// The server's `message`.
        message: String,
        /// The server's `data`.
        data: Option<serde_json::Value>,
    },
    /// The connection itself could not be opened; reconnection goes on unless disabled.
    #[error("connection failed: {0}")]
    Connection(#[source] Arc<EngineError>),
    /// Reconnection gave up after `reconnection_attempts` (or is disabled).
    #[error("reconnection failed")]
    ReconnectFailed,
    /// The socket was disconnected while connecting.
    #[error("disconnected")]
    Disconnected,
}

/// Why a connected socket disconnected, as socket.io-client names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The server disconnected the socket (`socket.disconnect()` there); no reconnection.
    IoServerDisconnect,
    /// The application called [`Socket::disconnect`](super::Socket::disconnect).
    IoClientDisconnect,
    /// The server stopped sending pings.
    PingTimeout,
    /// The connection closed.
    TransportClose,
    /// The connection failed.
    TransportError,
    /// The server sent something that is not Socket.IO.
    ParseError,
}

impl DisconnectReason {
    /// The reason's name in socket.io-client.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::IoServerDisconnect => "io server disconnect",
            DisconnectReason::IoClientDisconnect => "io client disconnect",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::ParseError => "parse error",
        }
    }

    /// Whether the client reconnects by itself after it (socket.io-client's `socket.active`).
    pub fn will_reconnect(self) -> bool {
        !matches!(
            self,
            DisconnectReason::IoServerDisconnect | DisconnectReason::IoClientDisconnect
        )
    }

    pub(crate) fn from_close(reason: CloseReason) -> DisconnectReason {
        match reason {
            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            CloseReason::TransportClose => DisconnectReason::TransportClose,
            CloseReason::ForcedClose => DisconnectReason::IoClientDisconnect,
            _ => DisconnectReason::TransportError,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
