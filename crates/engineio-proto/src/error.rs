//! The one error type of the crate: why bytes from the peer are not valid Engine.IO.

/// A decoding error. Every one means the peer broke the protocol; servers close the session
/// with reason `parse error` (over polling, after answering HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A packet with no type digit at all.
    #[error("empty packet")]
    EmptyPacket,
    /// A type that is not one of open, close, ping, pong, message, upgrade, noop.
    #[error("unknown packet type {0:#04x}")]
    UnknownType(u8),
    /// A `b`-prefixed packet whose base64 does not decode.
    #[error("invalid base64 in a binary packet")]
    InvalidBase64,
    /// Text that is not UTF-8 where the protocol carries text.
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
    /// A polling payload that does not follow its framing (v3 length prefixes).
    #[error("malformed payload: {0}")]
    MalformedPayload(&'static str),
    /// An open packet whose JSON is not the handshake object.
    #[error("invalid open packet: {0}")]
    InvalidOpen(String),
}
