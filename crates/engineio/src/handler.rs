//! What the application plugs into the server: callbacks for a session's life.

use std::fmt;
use std::sync::Arc;

use crate::Message;
use crate::socket::Socket;

/// The application side of an Engine.IO server.
///
/// Callbacks run on the task that received the packet, so they must not block: hand slow
/// work to a task of your own. Per session they are called in order: `on_open` once, then
/// `on_message` for each message in arrival order, then `on_close` once.
pub trait Handler: Send + Sync + 'static {
    /// A session opened; sends made here follow the open packet.
    fn on_open(&self, socket: &Arc<Socket>) {
        let _ = socket;
    }

    /// A message arrived.
    fn on_message(&self, socket: &Arc<Socket>, message: Message);

    /// The session ended; `socket.send` fails from now on.
    fn on_close(&self, socket: &Arc<Socket>, reason: CloseReason) {
        let _ = (socket, reason);
    }
}

/// Why a session ended, as engine.io names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client closed it (a close packet, or the WebSocket closed cleanly).
    TransportClose,
    /// The transport failed: an I/O error, a limit exceeded, or a protocol rule broken over
    /// HTTP (overlapping polls, a body over `max_http_buffer_size`).
    TransportError,
    /// No pong within `ping_timeout` of a ping.
    PingTimeout,
    /// The client sent bytes that are not Engine.IO.
    ParseError,
    /// The application closed it ([`Socket::close`]).
    ForcedClose,
    /// The server is shutting down.
    ServerShutdown,
}

impl CloseReason {
    /// The reason's name in engine.io and socket.io (`"transport close"`, `"ping timeout"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ParseError => "parse error",
            CloseReason::ForcedClose => "forced close",
            CloseReason::ServerShutdown => "server shutting down",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
