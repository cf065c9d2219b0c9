//! The HTTP long-polling payload: several packets in one request or response body.
//!
//! - v4: packets in text form joined by the record separator `\x1e`; binary messages as `b`
//!   followed by base64.
//! - v3: each packet prefixed by its length and `:` ([`v3`]).

pub mod v3;

use bytes::{Bytes, BytesMut};
use duplex_ws_proto::Utf8Bytes;

use crate::error::Error;
use crate::packet::Packet;
use crate::protocol::Protocol;

/// The v4 separator between packets of a payload (ASCII record separator). It cannot occur
/// inside a packet: text data is JSON or text the client refused to put it in, binary is base64.
pub const SEPARATOR: u8 = 0x1e;

/// Decodes a polling request body into its packets.
pub fn decode(body: Bytes, protocol: Protocol) -> Result<Vec<Packet>, Error> {
    match protocol {
        Protocol::V4 => decode_v4(body),
        Protocol::V3 => v3::decode(body),
    }
}

/// Appends `packets` as one polling response body.
pub fn encode(packets: &[Packet], protocol: Protocol, out: &mut BytesMut) {
    match protocol {
        Protocol::V4 => encode_v4(packets, out),
        Protocol::V3 => v3::encode(packets, out),
    }
}

/// The length of `packets` encoded as a v4 payload, to reserve once or check a limit.
pub fn encoded_len_v4(packets: &[Packet]) -> usize {
    packets.iter().map(Packet::text_len).sum::<usize>() + packets.len().saturating_sub(1)
}

fn decode_v4(body: Bytes) -> Result<Vec<Packet>, Error> {
    let text = Utf8Bytes::try_from(body).map_err(|_| Error::InvalidUtf8)?;
    let mut packets = Vec::with_capacity(1);
    let mut start = 0;
    let bytes = text.as_bytes().clone();
    for end in memchr_all(&bytes).chain(std::iter::once(bytes.len())) {
        // The separator is ASCII, so both ends are character boundaries.
        let record = text.slice(start..end).unwrap_or_default();
        packets.push(Packet::decode_text(record, true)?);
        start = end + 1;
    }
    Ok(packets)
}

fn memchr_all(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter_map(|(i, &b)| (b == SEPARATOR).then_some(i))
}

fn encode_v4(packets: &[Packet], out: &mut BytesMut) {
    out.reserve(encoded_len_v4(packets));
    for (i, packet) in packets.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(&[SEPARATOR]);
        }
        packet.encode_text(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use proptest::prelude::*;

    #[test]
    fn v4_joins_with_record_separator() {
        let packets = [
            Packet::Message(Message::text("hello")),
            Packet::Message(Message::binary(vec![1, 2, 3, 4])),
            Packet::Ping(Utf8Bytes::default()),
        ];
        let mut out = BytesMut::new();
        encode(&packets, Protocol::V4, &mut out);
        assert_eq!(&out[..], b"4hello\x1ebAQIDBA==\x1e2");
        assert_eq!(out.len(), encoded_len_v4(&packets));
        assert_eq!(decode(out.freeze(), Protocol::V4).unwrap(), packets);
    }

    #[test]
    fn v4_rejects_bad_records() {
        let d = |b: &'static [u8]| decode(Bytes::from_static(b), Protocol::V4);
        assert_eq!(d(b""), Err(Error::EmptyPacket));
        assert_eq!(d(b"4a\x1e"), Err(Error::EmptyPacket));
        assert_eq!(d(b"4a\x1e\x1e4b"), Err(Error::EmptyPacket));
        assert_eq!(d(b"4\xff"), Err(Error::InvalidUtf8));
        assert_eq!(d(b"9"), Err(Error::UnknownType(b'9')));
    }

    fn message() -> impl Strategy<Value = Packet> {
        prop_oneof![
            "[^\u{1e}]*".prop_map(|s| Packet::Message(Message::text(s))),
            proptest::collection::vec(any::<u8>(), 0..100)
                .prop_map(|b| Packet::Message(Message::binary(b))),
            Just(Packet::Ping(Utf8Bytes::default())),
            Just(Packet::Close),
            Just(Packet::Noop),
        ]
    }

    proptest! {
        #[test]
        fn v4_round_trip(packets in proptest::collection::vec(message(), 1..8)) {
            let mut out = BytesMut::new();
            encode(&packets, Protocol::V4, &mut out);
            prop_assert_eq!(decode(out.freeze(), Protocol::V4).unwrap(), packets);
        }

        #[test]
        fn decode_never_panics(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(Bytes::from(body.clone()), Protocol::V4);
            let _ = decode(Bytes::from(body), Protocol::V3);
        }
    }
}
