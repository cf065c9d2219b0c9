//! The one error type of the crate: why a message is not a valid Socket.IO packet.

/// A decoding error. Servers disconnect the client with reason `parse error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An empty message.
    #[error("empty packet")]
    EmptyPacket,
    /// A type digit outside 0..=6.
    #[error("unknown packet type {0:#04x}")]
    UnknownType(u8),
    /// A binary packet whose attachment count is missing, zero, or not followed by `-`.
    #[error("illegal attachment count")]
    IllegalAttachments,
    /// More attachments announced than the decoder accepts.
    #[error("{0} attachments announced, more than the limit")]
    TooManyAttachments(usize),
    /// An ack id that does not fit in 64 bits.
    #[error("ack id out of range")]
    AckIdOutOfRange,
    /// Data that is not JSON, or JSON of the wrong shape for the packet type (an event must
    /// be an array starting with its name, a connect payload an object, ...).
    #[error("invalid payload")]
    InvalidPayload,
    /// An event named like one the protocol reserves (`connect`, `disconnect`, ...).
    #[error("reserved event name")]
    ReservedEventName,
    /// A placeholder whose `num` is not the index of an attachment.
    #[error("placeholder refers to a missing attachment")]
    MissingAttachment,
    /// A text message arrived while the attachments of a binary packet were awaited.
    #[error("text message while awaiting binary attachments")]
    UnexpectedText,
    /// A binary message arrived with no binary packet awaiting attachments.
    #[error("binary message without a binary packet")]
    UnexpectedBinary,
}
