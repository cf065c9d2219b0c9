//! The one error type of the crate: why bytes from the peer are not valid Engine.IO.

/// A decoding error. Every one means the peer broke the protocol; servers close the session
/// with reason `parse error` (over polling, after answering HTTP 400), clients with
/// `transport error`.
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
    /// A packet the server may not send at this point of a client session: anything but the
    /// open packet first, or a second open packet.
    #[error("unexpected {0:?} packet")]
    UnexpectedPacket(crate::packet::PacketType),
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use std::time::Instant;

    use super::*;
    use crate::client::{ClientOptions, ClientSession};
    use crate::{OpenPacket, Packet, Protocol, payload};

    /// A number per variant; the match has no wildcard so a new variant must be added here,
    /// and so to the test below.
    fn variant(e: &Error) -> usize {
        match e {
            Error::EmptyPacket => 0,
            Error::UnknownType(_) => 1,
            Error::InvalidBase64 => 2,
            Error::InvalidUtf8 => 3,
            Error::MalformedPayload(_) => 4,
            Error::InvalidOpen(_) => 5,
            Error::UnexpectedPacket(_) => 6,
        }
    }

    #[test]
    fn every_variant_is_reachable_from_peer_input() {
        let v4 = |b: &'static [u8]| payload::decode(Bytes::from_static(b), Protocol::V4);
        let reached = [
            v4(b"").unwrap_err(),
            v4(b"7").unwrap_err(),
            v4(b"b!").unwrap_err(),
            v4(b"4\xff").unwrap_err(),
            payload::decode(Bytes::from_static(b"x:4"), Protocol::V3).unwrap_err(),
            OpenPacket::from_json(r#"{"sid":1}"#).unwrap_err(),
            Packet::decode_binary(Bytes::new(), Protocol::V3).unwrap_err(),
            ClientSession::new(ClientOptions::default())
                .handle_poll_body(Bytes::from_static(b"4hi"), Instant::now())
                .unwrap_err(),
        ];
        let mut seen: Vec<usize> = reached.iter().map(variant).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, [0, 1, 2, 3, 4, 5, 6]);
        // Each says what went wrong.
        assert!(reached.iter().all(|e| !e.to_string().is_empty()));
    }
}
