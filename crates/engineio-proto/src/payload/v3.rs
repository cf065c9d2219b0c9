//! The Engine.IO v3 polling payload, for `allow_eio3` (socket.io-client 2.x), as
//! engine.io-parser 2.x writes and reads it.
//!
//! - Text form (`text/plain`): each packet as `<length>:<packet>`, the length in decimal
//!   counting UTF-16 code units (JavaScript string length), a binary message as `b4` followed
//!   by base64. No packets at all is `0:`. Servers answer in this form, and clients without
//!   binary support (`b64=1`) post it.
//! - Binary form (`application/octet-stream`): what a client with XHR2 posts when a payload
//!   holds binary data. Per packet: a kind byte (0 text, 1 binary), the length as one byte
//!   per decimal digit, `0xff`, then the packet. Text packets are their UTF-8 bytes and the
//!   length counts those bytes; binary ones are the type number (4) followed by the data, the
//!   length counting both.
//!
//! [`decode`] tells the forms apart by the first byte: the text form starts with a digit, the
//! binary form with 0 or 1.

use std::fmt::Write as _;

use bytes::{BufMut, Bytes, BytesMut};
use duplex_ws_proto::Utf8Bytes;

use crate::error::Error;
use crate::message::Message;
use crate::packet::{self, BASE64, Packet, PacketType};
use crate::protocol::Protocol;
use base64::Engine as _;

/// Decodes a v3 request body, in the text or the binary form.
pub fn decode(body: Bytes) -> Result<Vec<Packet>, Error> {
    match body.first() {
        Some(0 | 1) => decode_binary_form(body),
        _ => decode_text_form(body),
    }
}

/// Appends `packets` in the v3 text form.
pub fn encode(packets: &[Packet], out: &mut BytesMut) {
    if packets.is_empty() {
        // What the reference writes: an empty body is a parse error to the client.
        out.extend_from_slice(b"0:");
        return;
    }
    for packet in packets {
        // `BytesMut` grows as needed: writing into it cannot fail.
        let _ = write!(out, "{}:", utf16_len(packet));
        encode_packet(packet, out);
    }
}

/// The length of a packet's text form in UTF-16 code units, as the v3 text form counts it.
fn utf16_len(packet: &Packet) -> usize {
    match packet {
        Packet::Message(Message::Binary(data)) => 2 + packet::base64_len(data.len()),
        Packet::Open(t) | Packet::Ping(t) | Packet::Pong(t) | Packet::Message(Message::Text(t)) => {
            1 + t.encode_utf16().count()
        }
        Packet::Close | Packet::Upgrade | Packet::Noop => 1,
    }
}

/// Appends one packet in its v3 text form: the digit and the text, or `b4` and base64.
pub(crate) fn encode_packet(packet: &Packet, out: &mut BytesMut) {
    match packet {
        Packet::Message(Message::Binary(data)) => {
            out.reserve(2 + packet::base64_len(data.len()));
            out.put_u8(b'b');
            out.put_u8(PacketType::Message.digit());
            packet::append_base64(data, out);
        }
        other => other.encode_text(out),
    }
}

/// Decodes one packet in its v3 text form: a record of a text payload, a text record of a
/// binary payload, or a WebSocket text frame.
pub(crate) fn decode_packet(record: Utf8Bytes) -> Result<Packet, Error> {
    let bytes = record.as_bytes();
    if bytes.first() != Some(&b'b') {
        return Packet::decode_text(record, false);
    }
    // The reference reads any type after `b`; only messages carry data in Engine.IO, so any
    // other type here is refused.
    let kind = *bytes.get(1).ok_or(Error::EmptyPacket)?;
    if PacketType::from_digit(kind) != Some(PacketType::Message) {
        return Err(Error::UnknownType(kind));
    }
    let data = BASE64
        .decode(&bytes[2..])
        .map_err(|_| Error::InvalidBase64)?;
    Ok(Packet::Message(Message::Binary(data.into())))
}

/// Decodes the text form. Stricter than the reference in one way: the length must be plain
/// decimal digits (JavaScript's `Number` would also take ` 1`, `+1` or `1e0`; no encoder
/// writes those).
pub fn decode_text_form(body: Bytes) -> Result<Vec<Packet>, Error> {
    if body.is_empty() {
        return Err(Error::EmptyPacket);
    }
    let text = Utf8Bytes::try_from(body).map_err(|_| Error::InvalidUtf8)?;
    let bytes = text.as_bytes();
    let mut packets = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let digits = bytes[pos..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(bytes.len() - pos);
        if digits == 0 {
            return Err(Error::MalformedPayload(
                "a record does not start with its length",
            ));
        }
        if bytes.get(pos + digits) != Some(&b':') {
            return Err(Error::MalformedPayload("missing ':' after a length"));
        }
        // Too many digits for a usize is also too long for the body.
        let units: usize = text[pos..pos + digits]
            .parse()
            .map_err(|_| Error::MalformedPayload("length runs past the body"))?;
        let start = pos + digits + 1;
        let end = start + utf16_prefix(&text[start..], units)?;
        // The reference skips empty records (`0:` is its payload of no packets).
        if end > start {
            let record = text.slice(start..end).ok_or(Error::InvalidUtf8)?;
            packets.push(decode_packet(record)?);
        }
        pos = end;
    }
    Ok(packets)
}

/// The byte length of the first `units` UTF-16 code units of `text`.
fn utf16_prefix(text: &str, units: usize) -> Result<usize, Error> {
    let mut counted = 0;
    for (offset, c) in text.char_indices() {
        if counted >= units {
            return Ok(offset);
        }
        counted += c.len_utf16();
    }
    match counted.cmp(&units) {
        std::cmp::Ordering::Equal => Ok(text.len()),
        std::cmp::Ordering::Less => Err(Error::MalformedPayload("length runs past the body")),
        // A length that ends between the two halves of a surrogate pair: the reference
        // would hand on half a character, which UTF-8 cannot hold.
        std::cmp::Ordering::Greater => Err(Error::MalformedPayload("length splits a character")),
    }
}

/// Decodes the binary form. Stricter than the reference, which reads any kind byte but 0 as
/// binary and silently truncates a record whose length runs past the body.
pub fn decode_binary_form(body: Bytes) -> Result<Vec<Packet>, Error> {
    let mut packets = Vec::new();
    let mut pos = 0;
    while pos < body.len() {
        let kind = body[pos];
        pos += 1;
        let mut len: usize = 0;
        loop {
            let digit = *body
                .get(pos)
                .ok_or(Error::MalformedPayload("length runs past the body"))?;
            pos += 1;
            if digit == 0xff {
                break;
            }
            if digit > 9 {
                return Err(Error::MalformedPayload("length digit out of range"));
            }
            // Stop as soon as the length outgrows the body: nothing is allocated from it.
            len = len
                .checked_mul(10)
                .and_then(|l| l.checked_add(usize::from(digit)))
                .filter(|&l| l <= body.len())
                .ok_or(Error::MalformedPayload("length runs past the body"))?;
        }
        let end = pos
            .checked_add(len)
            .filter(|&end| end <= body.len())
            .ok_or(Error::MalformedPayload("length runs past the body"))?;
        let record = body.slice(pos..end);
        pos = end;
        packets.push(match kind {
            0 => decode_packet(Utf8Bytes::try_from(record).map_err(|_| Error::InvalidUtf8)?)?,
            1 => Packet::decode_binary(record, Protocol::V3)?,
            _ => return Err(Error::MalformedPayload("record kind is neither 0 nor 1")),
        });
    }
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies;
    use proptest::prelude::*;

    /// A packet as engine.io-parser 2 turns it into a JavaScript string: the digit and the
    /// text, or `b4` and base64.
    fn js_string(packet: &Packet) -> String {
        match packet {
            Packet::Message(Message::Binary(data)) => {
                format!(
                    "b4{}",
                    base64::engine::general_purpose::STANDARD.encode(data)
                )
            }
            p => {
                let (digit, text) = strategies::digit_and_text(p);
                format!("{}{text}", char::from(digit))
            }
        }
    }

    /// The text form as the reference writes it: JavaScript string lengths (UTF-16 units).
    fn text_oracle(packets: &[Packet]) -> String {
        if packets.is_empty() {
            return "0:".to_owned();
        }
        packets
            .iter()
            .map(|p| {
                let s = js_string(p);
                format!("{}:{s}", s.encode_utf16().count())
            })
            .collect()
    }

    /// The binary form as a v3 client writes it: text packets as UTF-8 and their byte length,
    /// binary ones as the type number and the data.
    fn binary_oracle(packets: &[Packet]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in packets {
            let (kind, record) = match p {
                Packet::Message(Message::Binary(data)) => (1, [&[4u8][..], data].concat()),
                p => (0, js_string(p).into_bytes()),
            };
            out.push(kind);
            out.extend(record.len().to_string().bytes().map(|d| d - b'0'));
            out.push(0xff);
            out.extend(record);
        }
        out
    }

    proptest! {
        #[test]
        fn text_form_matches_the_oracle_and_round_trips(
            packets in proptest::collection::vec(strategies::packet(strategies::text()), 0..8),
        ) {
            let mut out = BytesMut::new();
            encode(&packets, &mut out);
            prop_assert_eq!(std::str::from_utf8(&out).unwrap(), text_oracle(&packets));
            prop_assert_eq!(decode(out.freeze()).unwrap(), packets);
        }

        #[test]
        fn binary_form_decodes_what_the_client_writes(
            packets in proptest::collection::vec(strategies::packet(strategies::text()), 1..8),
        ) {
            let body = Bytes::from(binary_oracle(&packets));
            prop_assert_eq!(decode(body).unwrap(), packets);
        }

        #[test]
        fn damaged_bodies_fail_or_decode_to_what_re_encodes(
            packets in proptest::collection::vec(strategies::packet(strategies::text()), 1..6),
            binary in any::<bool>(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut body = if binary {
                binary_oracle(&packets)
            } else {
                text_oracle(&packets).into_bytes()
            };
            let i = at.index(body.len());
            body[i] = byte;
            body.truncate(cut.index(body.len() + 1));
            if let Ok(decoded) = decode(Bytes::from(body)) {
                let mut again = BytesMut::new();
                encode(&decoded, &mut again);
                prop_assert_eq!(decode(again.freeze()).unwrap(), decoded);
            }
        }
    }

    #[test]
    fn text_form_counts_utf16_units() {
        let packets = [
            Packet::Message(Message::text("h€llo 😀")),
            Packet::Message(Message::binary(vec![1, 2, 3])),
            Packet::Pong("".into()),
        ];
        let mut out = BytesMut::new();
        encode(&packets, &mut out);
        // "4h€llo 😀": 1 + 6 + 2 (the emoji is a surrogate pair) = 9 UTF-16 units.
        assert_eq!(std::str::from_utf8(&out).unwrap(), "9:4h€llo 😀6:b4AQID1:3");
        assert_eq!(decode(out.freeze()).unwrap(), packets);
    }

    #[test]
    fn binary_form() {
        let body: &[u8] = &[
            0, 6, 0xff, b'4', b'h', b'e', b'l', b'l', b'o', 1, 4, 0xff, 4, 1, 2, 3,
        ];
        assert_eq!(
            decode(Bytes::from_static(body)).unwrap(),
            [
                Packet::Message(Message::text("hello")),
                Packet::Message(Message::binary(vec![1, 2, 3]))
            ]
        );
    }

    #[test]
    fn malformed() {
        let d = |b: &'static [u8]| decode(Bytes::from_static(b));
        let bad = |b: &'static [u8], why: &'static str| {
            assert_eq!(d(b), Err(Error::MalformedPayload(why)))
        };
        bad(b"5:4ab", "length runs past the body");
        bad(b"99999999999999999999999:4", "length runs past the body");
        bad(b"2:4\xf0\x9f\x98\x80", "length splits a character");
        bad(b"x:4", "a record does not start with its length");
        bad(b"1:4:", "a record does not start with its length");
        bad(b"2", "missing ':' after a length");
        bad(b"2x:4", "missing ':' after a length");
        bad(&[0, 9, 9, 9], "length runs past the body");
        bad(&[1, 1, 0xff], "length runs past the body");
        bad(&[0, 10, 0xff], "length digit out of range");
        bad(
            &[
                1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0xff,
            ],
            "length runs past the body",
        );
        bad(
            &[0, 1, 0xff, b'6', 2, 0, 0xff],
            "record kind is neither 0 nor 1",
        );
        assert_eq!(d(b""), Err(Error::EmptyPacket));
        assert_eq!(d(b"1:b"), Err(Error::EmptyPacket));
        assert_eq!(d(b"3:b2A"), Err(Error::UnknownType(b'2')));
        assert_eq!(d(b"3:b4!"), Err(Error::InvalidBase64));
        assert_eq!(d(b"2:4\xff"), Err(Error::InvalidUtf8));
        assert_eq!(d(&[0, 2, 0xff, b'4', 0xff]), Err(Error::InvalidUtf8));
        assert_eq!(d(&[1, 2, 0xff, 2, 7]), Err(Error::UnknownType(2)));
        assert_eq!(d(&[1, 0, 0xff]), Err(Error::EmptyPacket));
    }

    #[test]
    fn empty_records_are_skipped() {
        assert_eq!(decode(Bytes::from_static(b"0:")).unwrap(), []);
        assert_eq!(
            decode(Bytes::from_static(b"0:1:60:")).unwrap(),
            [Packet::Noop]
        );
        let mut out = BytesMut::new();
        encode(&[], &mut out);
        assert_eq!(&out[..], b"0:");
    }
}
