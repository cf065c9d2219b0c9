//! The crate's error type.

use duplex_ws_proto::CloseCode;

/// What can go wrong on a WebSocket connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The peer broke the protocol or a limit; the connection was failed with the
    /// matching close code.
    #[error("protocol error: {0}")]
    Protocol(#[from] duplex_ws_proto::Error),
    /// The opening handshake failed.
    #[error("handshake failed: {0}")]
    Handshake(#[from] duplex_ws_proto::handshake::HandshakeError),
    /// The peer closed the transport without a close frame (close code 1006).
    #[error("connection closed without a close frame")]
    AbnormalClosure,
    /// The peer did not finish the close handshake within `close_timeout`.
    #[error("the peer did not answer the close frame in time")]
    CloseTimeout,
    /// The server's request check refused the upgrade (the peer got this status).
    #[error("upgrade refused with {status}: {reason}")]
    Rejected {
        /// The status answered.
        status: http::StatusCode,
        /// The reason sent in the body.
        reason: String,
    },
    /// The opening handshake did not complete within its time limit.
    #[error("the handshake did not complete in time")]
    HandshakeTimeout,
    /// A `wss://` URL was given but the crate was built without the `tls` feature.
    #[error("wss:// needs the `tls` feature")]
    TlsUnavailable,
    /// The connection is closed: nothing more can be sent.
    #[error("connection is closed")]
    Closed,
}

impl Error {
    /// The close code this error corresponds to, as the peer (or an observer) sees it.
    pub fn close_code(&self) -> CloseCode {
        match self {
            Error::Protocol(error) => error.close_code(),
            Error::Closed => CloseCode::NORMAL,
            _ => CloseCode::ABNORMAL,
        }
    }
}
