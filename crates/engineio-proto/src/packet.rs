//! Engine.IO packets: a type digit followed by the packet's data, as one WebSocket frame or one
//! record of a polling payload.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::{BufMut, Bytes, BytesMut};
use duplex_ws_proto::Utf8Bytes;

use crate::error::Error;
use crate::message::Message;
use crate::protocol::Protocol;

/// Base64 as the reference parsers (Node's `Buffer`, the browser's `atob`) read it: padding
/// optional, stray low bits of the last character ignored. We write the canonical padded form,
/// as they do. Unlike Node we refuse characters outside the standard alphabet instead of
/// skipping them: no client writes any.
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The seven packet types, by their digit on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: the handshake, sent by the server with the session's parameters.
    Open,
    /// `1`: the session ends.
    Close,
    /// `2`: heartbeat request (server to client in v4, the other way in v3), or `2probe`.
    Ping,
    /// `3`: heartbeat answer, or `3probe`.
    Pong,
    /// `4`: application data.
    Message,
    /// `5`: the client switches the session to the probed WebSocket.
    Upgrade,
    /// `6`: nothing; releases a pending long-poll during an upgrade.
    Noop,
}

impl PacketType {
    /// The type a text packet's first byte names (`b'0'`..=`b'6'`).
    pub fn from_digit(digit: u8) -> Option<PacketType> {
        digit.checked_sub(b'0').and_then(PacketType::from_number)
    }

    /// The type a number names (0..=6), as v3 binary frames carry it.
    pub fn from_number(number: u8) -> Option<PacketType> {
        Some(match number {
            0 => PacketType::Open,
            1 => PacketType::Close,
            2 => PacketType::Ping,
            3 => PacketType::Pong,
            4 => PacketType::Message,
            5 => PacketType::Upgrade,
            6 => PacketType::Noop,
            _ => return None,
        })
    }

    /// The type's number (0..=6).
    pub fn number(self) -> u8 {
        match self {
            PacketType::Open => 0,
            PacketType::Close => 1,
            PacketType::Ping => 2,
            PacketType::Pong => 3,
            PacketType::Message => 4,
            PacketType::Upgrade => 5,
            PacketType::Noop => 6,
        }
    }

    /// The type's digit on the wire (`b'0'`..=`b'6'`).
    pub fn digit(self) -> u8 {
        b'0' + self.number()
    }
}

/// One Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// The handshake; the data is the JSON object of [`OpenPacket`](crate::OpenPacket).
    Open(Utf8Bytes),
    /// End of the session.
    Close,
    /// A heartbeat request; the data is empty, or `probe` during an upgrade.
    Ping(Utf8Bytes),
    /// A heartbeat answer, echoing the ping's data.
    Pong(Utf8Bytes),
    /// Application data.
    Message(Message),
    /// Completes an upgrade to WebSocket.
    Upgrade,
    /// Does nothing.
    Noop,
}

/// The data of the `2probe` / `3probe` exchange that tests a WebSocket before an upgrade.
pub const PROBE: &str = "probe";

impl Packet {
    /// This packet's type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Open(_) => PacketType::Open,
            Packet::Close => PacketType::Close,
            Packet::Ping(_) => PacketType::Ping,
            Packet::Pong(_) => PacketType::Pong,
            Packet::Message(_) => PacketType::Message,
            Packet::Upgrade => PacketType::Upgrade,
            Packet::Noop => PacketType::Noop,
        }
    }

    /// Whether this is the `2probe` that starts an upgrade.
    pub fn is_probe_ping(&self) -> bool {
        matches!(self, Packet::Ping(data) if data == PROBE)
    }

    /// Decodes a v4 packet sent as text: one record of a polling payload, or a WebSocket text
    /// frame. With `base64_binary`, `b` followed by base64 is a binary message, as the
    /// reference parser reads it in both places; without it, `b` is an unknown type.
    /// [`decode_ws_text`](Packet::decode_ws_text) picks the right rules per protocol.
    ///
    /// Data after the digit of close, upgrade and noop is ignored, as the reference
    /// implementation does.
    pub fn decode_text(text: Utf8Bytes, base64_binary: bool) -> Result<Packet, Error> {
        let first = *text.as_bytes().first().ok_or(Error::EmptyPacket)?;
        if first == b'b' && base64_binary {
            let data = BASE64
                .decode(&text.as_bytes()[1..])
                .map_err(|_| Error::InvalidBase64)?;
            return Ok(Packet::Message(Message::Binary(data.into())));
        }
        let kind = PacketType::from_digit(first).ok_or(Error::UnknownType(first))?;
        // The digit is ASCII, so byte 1 is a character boundary.
        let data = || text.slice(1..text.len()).unwrap_or_default();
        Ok(match kind {
            PacketType::Open => Packet::Open(data()),
            PacketType::Close => Packet::Close,
            PacketType::Ping => Packet::Ping(data()),
            PacketType::Pong => Packet::Pong(data()),
            PacketType::Message => Packet::Message(Message::Text(data())),
            PacketType::Upgrade => Packet::Upgrade,
            PacketType::Noop => Packet::Noop,
        })
    }

    /// Decodes a WebSocket text frame. A client that cannot send binary frames (Engine.IO's
    /// `forceBase64`, announced by `b64=1` in the query) sends binary messages as text:
    /// `b` + base64 in v4, `b4` + base64 in v3.
    pub fn decode_ws_text(text: Utf8Bytes, protocol: Protocol) -> Result<Packet, Error> {
        match protocol {
            Protocol::V4 => Packet::decode_text(text, true),
            Protocol::V3 => crate::payload::v3::decode_packet(text),
        }
    }

    /// Decodes a WebSocket binary frame. In v4 the frame is a binary message as is; in v3
    /// its first byte is the packet type as a number. Only `message` carries binary data: the
    /// v3 reference would also read, say, a ping with binary data, which no client sends.
    pub fn decode_binary(data: Bytes, protocol: Protocol) -> Result<Packet, Error> {
        match protocol {
            Protocol::V4 => Ok(Packet::Message(Message::Binary(data))),
            Protocol::V3 => {
                let first = *data.first().ok_or(Error::EmptyPacket)?;
                match PacketType::from_number(first) {
                    Some(PacketType::Message) => {
                        Ok(Packet::Message(Message::Binary(data.slice(1..))))
                    }
                    _ => Err(Error::UnknownType(first)),
                }
            }
        }
    }

    /// The packet as one WebSocket message: text frames carry the digit and the text, binary
    /// messages go in a binary frame (in v3 after a `4` type byte).
    pub fn to_ws_message(&self, protocol: Protocol) -> duplex_ws_proto::Message {
        match self {
            Packet::Message(Message::Binary(data)) => match protocol {
                Protocol::V4 => duplex_ws_proto::Message::Binary(data.clone()),
                Protocol::V3 => {
                    let mut frame = BytesMut::with_capacity(1 + data.len());
                    frame.put_u8(PacketType::Message.number());
                    frame.extend_from_slice(data);
                    duplex_ws_proto::Message::Binary(frame.freeze())
                }
            },
            _ => self.to_ws_message_base64(protocol),
        }
    }

    /// The packet as one WebSocket text frame, binary messages in base64 (`b…` in v4, `b4…`
    /// in v3): the form for a client that asked for it with `b64=1` in its query.
    pub fn to_ws_message_base64(&self, protocol: Protocol) -> duplex_ws_proto::Message {
        let mut text = BytesMut::with_capacity(1 + self.text_len());
        match protocol {
            Protocol::V4 => self.encode_text(&mut text),
            Protocol::V3 => crate::payload::v3::encode_packet(self, &mut text),
        }
        // Every text form is UTF-8: text data as it came, everything else ASCII.
        let text = Utf8Bytes::try_from(text.freeze()).unwrap_or_default();
        duplex_ws_proto::Message::Text(text)
    }

    /// Appends the packet's text form: the digit, then the data; a binary message becomes `b`
    /// followed by its base64 (the polling payload's form of binary).
    pub fn encode_text(&self, out: &mut BytesMut) {
        let data: &[u8] = match self {
            Packet::Message(Message::Binary(data)) => {
                out.reserve(1 + base64_len(data.len()));
                out.put_u8(b'b');
                append_base64(data, out);
                return;
            }
            Packet::Open(d) | Packet::Ping(d) | Packet::Pong(d) => d.as_bytes(),
            Packet::Message(Message::Text(t)) => t.as_bytes(),
            Packet::Close | Packet::Upgrade | Packet::Noop => &[],
        };
        out.reserve(1 + data.len());
        out.put_u8(self.packet_type().digit());
        out.extend_from_slice(data);
    }

    /// The length of the text form (see [`encode_text`](Packet::encode_text)).
    pub fn text_len(&self) -> usize {
        match self {
            Packet::Message(Message::Binary(data)) => 1 + base64_len(data.len()),
            Packet::Open(d) | Packet::Ping(d) | Packet::Pong(d) => 1 + d.len(),
            Packet::Message(Message::Text(t)) => 1 + t.len(),
            Packet::Close | Packet::Upgrade | Packet::Noop => 1,
        }
    }
}

/// The length of `len` bytes in padded base64.
pub(crate) fn base64_len(len: usize) -> usize {
    len.div_ceil(3) * 4
}

/// Appends `data` in padded base64.
pub(crate) fn append_base64(data: &[u8], out: &mut BytesMut) {
    let start = out.len();
    out.resize(start + base64_len(data.len()), 0);
    // The buffer was sized for exactly this encoding, which cannot fail.
    let written = BASE64.encode_slice(data, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies;
    use proptest::prelude::*;

    fn text(p: &Packet) -> Vec<u8> {
        let mut out = BytesMut::new();
        p.encode_text(&mut out);
        assert_eq!(out.len(), p.text_len());
        out.to_vec()
    }

    #[test]
    fn every_type_has_its_digit() {
        assert_eq!(
            text(&Packet::Open(r#"{"sid":"x"}"#.into())),
            br#"0{"sid":"x"}"#
        );
        assert_eq!(text(&Packet::Close), b"1");
        assert_eq!(text(&Packet::Ping(PROBE.into())), b"2probe");
        assert_eq!(text(&Packet::Pong(Utf8Bytes::default())), b"3");
        assert_eq!(
            text(&Packet::Message(Message::text("héllo"))),
            "4héllo".as_bytes()
        );
        assert_eq!(text(&Packet::Upgrade), b"5");
        assert_eq!(text(&Packet::Noop), b"6");
        assert_eq!(
            text(&Packet::Message(Message::binary(vec![1, 2, 3, 4]))),
            b"bAQIDBA=="
        );
    }

    #[test]
    fn decodes_text_packets() {
        let d = |s: &str| Packet::decode_text(s.into(), true);
        assert_eq!(d("2probe").unwrap(), Packet::Ping(PROBE.into()));
        assert!(d("2probe").unwrap().is_probe_ping());
        assert_eq!(d("3").unwrap(), Packet::Pong("".into()));
        assert_eq!(d("4€").unwrap(), Packet::Message(Message::text("€")));
        assert_eq!(d("4").unwrap(), Packet::Message(Message::text("")));
        assert_eq!(
            d("b").unwrap(),
            Packet::Message(Message::binary(Vec::new()))
        );
        assert_eq!(
            d("bAQID").unwrap(),
            Packet::Message(Message::binary(vec![1, 2, 3]))
        );
        assert_eq!(d("5").unwrap(), Packet::Upgrade);
        assert_eq!(d("6").unwrap(), Packet::Noop);
        assert_eq!(d(""), Err(Error::EmptyPacket));
        assert_eq!(d("7"), Err(Error::UnknownType(b'7')));
        assert_eq!(d("x4"), Err(Error::UnknownType(b'x')));
        assert_eq!(d("b!!"), Err(Error::InvalidBase64));
        // Over WebSocket `b` is not a binary marker.
        assert_eq!(
            Packet::decode_text("bAQID".into(), false),
            Err(Error::UnknownType(b'b'))
        );
    }

    #[test]
    fn binary_frames_by_protocol() {
        let data = Bytes::from_static(&[4, 9, 9]);
        assert_eq!(
            Packet::decode_binary(data.clone(), Protocol::V4).unwrap(),
            Packet::Message(Message::binary(vec![4, 9, 9]))
        );
        assert_eq!(
            Packet::decode_binary(data, Protocol::V3).unwrap(),
            Packet::Message(Message::binary(vec![9, 9]))
        );
        assert_eq!(
            Packet::decode_binary(Bytes::new(), Protocol::V3),
            Err(Error::EmptyPacket)
        );
        assert_eq!(
            Packet::decode_binary(Bytes::from_static(&[2]), Protocol::V3),
            Err(Error::UnknownType(2))
        );
        let msg = Packet::Message(Message::binary(vec![7]));
        assert_eq!(
            msg.to_ws_message(Protocol::V3),
            duplex_ws_proto::Message::binary(vec![4, 7])
        );
        assert_eq!(
            msg.to_ws_message(Protocol::V4),
            duplex_ws_proto::Message::binary(vec![7])
        );
        assert_eq!(
            Packet::Ping(PROBE.into()).to_ws_message(Protocol::V4),
            duplex_ws_proto::Message::text("2probe")
        );
    }

    #[test]
    fn websocket_text_frames_carry_base64_by_protocol() {
        let bin = Packet::Message(Message::binary(vec![1, 2, 3]));
        let ws = |s: &str, p| Packet::decode_ws_text(s.into(), p);
        assert_eq!(ws("bAQID", Protocol::V4), Ok(bin.clone()));
        assert_eq!(ws("b4AQID", Protocol::V3), Ok(bin.clone()));
        assert_eq!(ws("bAQID", Protocol::V3), Err(Error::UnknownType(b'A')));
        assert_eq!(ws("2probe", Protocol::V3), Ok(Packet::Ping(PROBE.into())));
        assert_eq!(
            bin.to_ws_message_base64(Protocol::V3),
            duplex_ws_proto::Message::text("b4AQID")
        );
        assert_eq!(
            bin.to_ws_message_base64(Protocol::V4),
            duplex_ws_proto::Message::text("bAQID")
        );
    }

    proptest! {
        #[test]
        fn text_round_trip(packet in strategies::packet(strategies::text())) {
            let encoded = Utf8Bytes::try_from(text(&packet)).unwrap();
            prop_assert_eq!(Packet::decode_text(encoded, true).unwrap(), packet);
        }

        #[test]
        fn websocket_round_trip(packet in strategies::packet(strategies::text())) {
            for protocol in [Protocol::V4, Protocol::V3] {
                for message in [packet.to_ws_message(protocol), packet.to_ws_message_base64(protocol)] {
                    let decoded = match message {
                        duplex_ws_proto::Message::Text(t) => Packet::decode_ws_text(t, protocol),
                        duplex_ws_proto::Message::Binary(b) => Packet::decode_binary(b, protocol),
                        other => panic!("not a data frame: {other:?}"),
                    };
                    prop_assert_eq!(decoded.unwrap(), packet.clone());
                }
            }
        }

        #[test]
        fn decode_never_panics(s in ".*", b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = Packet::decode_text(s.as_str().into(), true);
            let _ = Packet::decode_text(s.as_str().into(), false);
            let _ = Packet::decode_ws_text(s.as_str().into(), Protocol::V3);
            let _ = Packet::decode_binary(b.into(), Protocol::V3);
        }
    }
}
