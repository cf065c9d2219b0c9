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

/// The v4 separator between packets of a payload (ASCII record separator). Binary data is
/// base64 in a payload, but text is not escaped: a text message holding this character cannot
/// cross v4 polling intact (the reference parsers split on it just as we do).
pub const SEPARATOR: u8 = 0x1e;

/// Decodes a polling request body into its packets.
///
/// Any error fails the whole body. The reference parsers hand on the packets before the bad
/// one and then close the session with `parse error`; the session ends either way.
/// Text shares the body's buffer; a body of `n` bytes holds at most `n / 2 + 1` packets.
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
    let bytes = text.as_bytes();
    // Grown as records decode rather than sized from a count of separators up front: a body
    // of separators alone then fails at its first empty record without having allocated.
    let mut packets = Vec::new();
    let mut start = 0;
    for end in separators(bytes).chain(std::iter::once(bytes.len())) {
        // The separator is ASCII, so both ends are character boundaries.
        let record = text.slice(start..end).unwrap_or_default();
        packets.push(Packet::decode_text(record, true)?);
        start = end + 1;
    }
    Ok(packets)
}

fn separators(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
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
    use crate::strategies;
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

    /// The v4 payload as engine.io-parser 5 builds it: each packet as its digit and text, or
    /// `b` and base64, joined by the separator.
    fn v4_oracle(packets: &[Packet]) -> Vec<u8> {
        use base64::Engine as _;
        let records: Vec<String> = packets
            .iter()
            .map(|p| match p {
                Packet::Message(Message::Binary(data)) => {
                    format!(
                        "b{}",
                        base64::engine::general_purpose::STANDARD.encode(data)
                    )
                }
                p => {
                    let (digit, text) = strategies::digit_and_text(p);
                    format!("{}{text}", char::from(digit))
                }
            })
            .collect();
        records.join("\u{1e}").into_bytes()
    }

    /// The most heap a decoded body of `len` bytes may take: every record costs at least two
    /// bytes of body (one in its last), the vector at most doubles its length (and holds 4 at
    /// first), and decoded base64 is shorter than the body. Text shares the body's buffer.
    fn heap_bound(len: usize) -> usize {
        (2 * (len / 2 + 1)).max(4) * std::mem::size_of::<Packet>() + len
    }

    fn heap(packets: Vec<Packet>) -> usize {
        let owned: usize = packets
            .iter()
            .map(|p| match p {
                Packet::Message(Message::Binary(b)) => b.len(),
                _ => 0,
            })
            .sum();
        packets.capacity() * std::mem::size_of::<Packet>() + owned
    }

    proptest! {
        #[test]
        fn v4_matches_the_oracle_and_round_trips(
            packets in proptest::collection::vec(strategies::packet(strategies::v4_text()), 1..8),
        ) {
            let mut out = BytesMut::new();
            encode(&packets, Protocol::V4, &mut out);
            prop_assert_eq!(&out[..], &v4_oracle(&packets)[..]);
            prop_assert_eq!(out.len(), encoded_len_v4(&packets));
            let decoded = decode(out.freeze(), Protocol::V4).unwrap();
            // Close, upgrade and noop carry no data: what they held is not sent.
            prop_assert_eq!(decoded, packets);
        }

        #[test]
        fn decode_never_panics(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(Bytes::from(body.clone()), Protocol::V4);
            let _ = decode(Bytes::from(body), Protocol::V3);
        }

        #[test]
        fn decoded_size_is_linear_in_the_body(
            packets in proptest::collection::vec(strategies::packet(strategies::v4_text()), 0..40),
            cut in any::<prop::sample::Index>(),
        ) {
            for protocol in [Protocol::V4, Protocol::V3] {
                let mut body = BytesMut::new();
                encode(&packets, protocol, &mut body);
                let body = body.freeze();
                for body in [body.slice(..cut.index(body.len() + 1)), body] {
                    if let Ok(decoded) = decode(body.clone(), protocol) {
                        prop_assert!(heap(decoded) <= heap_bound(body.len()));
                    }
                }
            }
        }
    }

    #[test]
    fn the_smallest_records_stay_within_the_heap_bound() {
        for (body, protocol) in [
            (&b"6\x1e6\x1e6\x1e6\x1e6\x1e6\x1e6"[..], Protocol::V4),
            (b"1:61:61:61:61:61:61:6", Protocol::V3),
            (b"\x00\x01\xff6\x00\x01\xff6\x00\x01\xff6", Protocol::V3),
        ] {
            let body = Bytes::from_static(body);
            let decoded = decode(body.clone(), protocol).unwrap();
            assert!(decoded.iter().all(|p| *p == Packet::Noop));
            assert!(heap(decoded) <= heap_bound(body.len()));
        }
    }

    #[test]
    fn a_length_past_the_body_fails_without_allocating_it() {
        // A decoder that reserved the announced length would abort on these.
        for body in [
            &b"18446744073709551615:4"[..],
            b"1000000000000:4",
            b"\x01\x01\x08\x04\x04\x06\x07\x04\x04\x00\x07\x03\x07\x00\x09\x05\x05\x01\x06\x01\x05\xff\x04",
        ] {
            assert!(matches!(
                decode(Bytes::from_static(body), Protocol::V3),
                Err(Error::MalformedPayload("length runs past the body"))
            ));
        }
    }
}
