//! The crate's errors: what went wrong, and what goes on the wire because of it.

use crate::close::CloseCode;

/// A violation found while reading or writing frames after the handshake.
///
/// Every variant maps to the close code the connection is failed with
/// ([`Error::close_code`]), so a driver never has to guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An RSV bit was set that no negotiated extension defines.
    #[error("reserved bits set without a negotiated extension")]
    ReservedBits,
    /// The opcode is one of the reserved values.
    #[error("reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// A client sent a frame without a mask (RFC 6455 §5.1).
    #[error("client frame is not masked")]
    UnmaskedFrame,
    /// A server sent a masked frame (RFC 6455 §5.1).
    #[error("server frame is masked")]
    MaskedFrame,
    /// A control frame had a payload over 125 bytes (RFC 6455 §5.5).
    #[error("control frame payload over 125 bytes")]
    ControlFrameTooLong,
    /// A control frame without FIN (RFC 6455 §5.5).
    #[error("fragmented control frame")]
    FragmentedControlFrame,
    /// A continuation frame arrived with no message in progress.
    #[error("continuation frame without a message in progress")]
    UnexpectedContinuation,
    /// A new data frame arrived while a fragmented message was still open.
    #[error("new data frame while a fragmented message is in progress")]
    ExpectedContinuation,
    /// A 64-bit length with the most significant bit set (RFC 6455 §5.2).
    #[error("payload length has its most significant bit set")]
    InvalidLength,
    /// A close frame with a one-byte payload.
    #[error("close frame payload of one byte")]
    CloseFrameTooShort,
    /// A close code that may not appear on the wire (RFC 6455 §7.4).
    #[error("invalid close code {0}")]
    InvalidCloseCode(u16),
    /// A frame was larger than the configured `max_frame_size`.
    #[error("frame of {size} bytes exceeds the limit of {max}")]
    FrameTooLarge {
        /// Declared size of the frame payload.
        size: u64,
        /// The configured limit.
        max: usize,
    },
    /// A message (after inflation, if compressed) was larger than `max_message_size`.
    #[error("message exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// The configured limit.
        max: usize,
    },
    /// A text message or close reason was not valid UTF-8.
    #[error("invalid UTF-8 in text")]
    InvalidUtf8,
    /// The compressed payload could not be inflated.
    #[error("invalid compressed data: {0}")]
    InvalidCompressedData(String),
    /// Compression of an outgoing message failed.
    #[error("compression failed: {0}")]
    Compression(String),
    /// A frame arrived after the peer's close frame.
    #[error("data received after the close frame")]
    DataAfterClose,
    /// An outgoing message was refused because the connection is closing or closed.
    #[error("connection is closed")]
    Closed,
    /// A control message to send had a payload over 125 bytes.
    #[error("control payload over 125 bytes")]
    ControlPayloadTooLong,
}

impl Error {
    /// The close code to fail the connection with (RFC 6455 §7.4.1).
    pub fn close_code(&self) -> CloseCode {
        match self {
            Error::InvalidUtf8 | Error::InvalidCompressedData(_) => CloseCode::INVALID_PAYLOAD,
            Error::FrameTooLarge { .. } | Error::MessageTooLarge { .. } => CloseCode::TOO_BIG,
            Error::Compression(_) => CloseCode::INTERNAL_ERROR,
            Error::Closed => CloseCode::NORMAL,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}
