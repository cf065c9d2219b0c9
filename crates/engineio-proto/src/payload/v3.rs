//! The Engine.IO v3 polling payload, for `allow_eio3` (socket.io-client 2.x).
//!
//! Text form: each packet as `<length>:<packet>`, the length counted in UTF-16 code units
//! (the client measures JavaScript string lengths); a binary message is `b4` followed by
//! base64. Servers answer in this form; request bodies may also come in the binary form
//! (`application/octet-stream`), which [`decode`] recognises by its first byte (0 or 1, never
//! an ASCII digit).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{BufMut, Bytes, BytesMut};
use duplex_ws_proto::Utf8Bytes;

use crate::error::Error;
use crate::message::Message;
use crate::packet::{Packet, PacketType};

/// Decodes a v3 request body, in the text or the binary form.
pub fn decode(body: Bytes) -> Result<Vec<Packet>, Error> {
    match body.first() {
        Some(0 | 1) => decode_binary_form(body),
        _ => decode_text_form(body),
    }
}

/// Appends `packets` in the v3 text form.
pub fn encode(packets: &[Packet], out: &mut BytesMut) {
    let mut record = BytesMut::new();
    for packet in packets {
        record.clear();
        encode_packet(packet, &mut record);
        // Every record is ASCII except text data, whose UTF-16 length the client counts.
        let units: usize = std::str::from_utf8(&record)
            .map(|s| s.chars().map(char::len_utf16).sum())
            .unwrap_or(record.len());
        out.extend_from_slice(units.to_string().as_bytes());
        out.put_u8(b':');
        out.extend_from_slice(&record);
    }
}

fn encode_packet(packet: &Packet, out: &mut BytesMut) {
    match packet {
        Packet::Message(Message::Binary(data)) => {
            out.extend_from_slice(b"b4");
            out.extend_from_slice(BASE64.encode(data).as_bytes());
        }
        other => other.encode_text(out),
    }
}

fn decode_text_form(body: Bytes) -> Result<Vec<Packet>, Error> {
    let text = Utf8Bytes::try_from(body).map_err(|_| Error::InvalidUtf8)?;
    let s = text.as_str();
    let mut packets = Vec::new();
    let mut pos = 0;
    if s.is_empty() {
        return Err(Error::EmptyPacket);
    }
    while pos < s.len() {
        let colon = s[pos..]
            .find(':')
            .ok_or(Error::MalformedPayload("missing ':' after a length"))?;
        let units: usize = s[pos..pos + colon]
            .parse()
            .map_err(|_| Error::MalformedPayload("length is not a number"))?;
        let start = pos + colon + 1;
        let mut end = start;
        let mut counted = 0;
        for c in s[start..].chars() {
            if counted >= units {
                break;
            }
            counted += c.len_utf16();
            end += c.len_utf8();
        }
        if counted != units {
            return Err(Error::MalformedPayload("length runs past the body"));
        }
        let record = text.slice(start..end).unwrap_or_default();
        packets.push(decode_record(record)?);
        pos = end;
    }
    Ok(packets)
}

/// A v3 text record: base64 binary is `b` + type digit + base64.
fn decode_record(record: Utf8Bytes) -> Result<Packet, Error> {
    if record.as_bytes().first() == Some(&b'b') {
        let kind = record
            .as_bytes()
            .get(1)
            .copied()
            .ok_or(Error::EmptyPacket)?;
        if PacketType::from_digit(kind) != Some(PacketType::Message) {
            return Err(Error::UnknownType(kind));
        }
        let data = BASE64
            .decode(&record.as_bytes()[2..])
            .map_err(|_| Error::InvalidBase64)?;
        return Ok(Packet::Message(Message::Binary(data.into())));
    }
    Packet::decode_text(record, false)
}

/// The binary form: per packet, a kind byte (0 text, 1 binary), the length as one byte per
/// decimal digit, 0xff, then the packet (text: its UTF-8; binary: the type number, then data).
fn decode_binary_form(body: Bytes) -> Result<Vec<Packet>, Error> {
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
            0 => decode_record(Utf8Bytes::try_from(record).map_err(|_| Error::InvalidUtf8)?)?,
            1 => Packet::decode_binary(record, crate::Protocol::V3)?,
            _ => return Err(Error::MalformedPayload("record kind is neither 0 nor 1")),
        });
    }
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(matches!(d(b"5:4ab"), Err(Error::MalformedPayload(_))));
        assert!(matches!(d(b"x:4"), Err(Error::MalformedPayload(_))));
        assert!(matches!(d(b"2"), Err(Error::MalformedPayload(_))));
        assert!(matches!(d(&[0, 9, 9, 9]), Err(Error::MalformedPayload(_))));
        assert!(matches!(d(&[1, 1, 0xff]), Err(Error::MalformedPayload(_))));
        assert!(matches!(d(&[0, 10, 0xff]), Err(Error::MalformedPayload(_))));
        assert_eq!(d(b""), Err(Error::EmptyPacket));
        assert_eq!(d(b"0:"), Err(Error::EmptyPacket));
    }
}
