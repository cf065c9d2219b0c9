//! Socket.IO packets and their text form: `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`,
//! with binary attachments following as separate Engine.IO binary messages.

use bytes::{BufMut, Bytes, BytesMut};
use duplex_engineio_proto::{Message, Utf8Bytes};

use crate::error::Error;
use crate::json::{self, First, Shape};

/// The seven packet types, by their digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: join a namespace (client, with an optional auth object) / accepted (server,
    /// `{"sid":...}`).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event: `["name", ...args]`.
    Event,
    /// `3`: the answer to an event that carried an ack id: `[...args]`.
    Ack,
    /// `4`: joining a namespace failed: `{"message":...,"data":...}`.
    ConnectError,
    /// `5`: an event with binary attachments.
    BinaryEvent,
    /// `6`: an ack with binary attachments.
    BinaryAck,
}

impl PacketType {
    /// The type a digit names.
    pub fn from_digit(digit: u8) -> Option<PacketType> {
        Some(match digit {
            b'0' => PacketType::Connect,
            b'1' => PacketType::Disconnect,
            b'2' => PacketType::Event,
            b'3' => PacketType::Ack,
            b'4' => PacketType::ConnectError,
            b'5' => PacketType::BinaryEvent,
            b'6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// The type's digit.
    pub fn digit(self) -> u8 {
        match self {
            PacketType::Connect => b'0',
            PacketType::Disconnect => b'1',
            PacketType::Event => b'2',
            PacketType::Ack => b'3',
            PacketType::ConnectError => b'4',
            PacketType::BinaryEvent => b'5',
            PacketType::BinaryAck => b'6',
        }
    }

    fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }
}

/// The root namespace.
pub const ROOT_NAMESPACE: &str = "/";

/// One Socket.IO packet. Events and acks with binary attachments are `Event` / `Ack` with a
/// non-empty `attachments` (the wire types 5 and 6 are chosen when encoding); their `data`
/// holds `{"_placeholder":true,"num":N}` where attachment N goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The type: never `BinaryEvent`/`BinaryAck` once decoded (see above).
    pub kind: PacketType,
    /// The namespace, `/` by default.
    pub nsp: Utf8Bytes,
    /// The ack id, for events that want an answer and for that answer.
    pub id: Option<u64>,
    /// The payload as raw JSON text, checked for the shape its type requires.
    pub data: Option<Utf8Bytes>,
    /// Binary attachments, in placeholder order.
    pub attachments: Vec<Bytes>,
}

impl Packet {
    fn new(kind: PacketType, nsp: &str, data: Option<Utf8Bytes>) -> Packet {
        Packet {
            kind,
            nsp: namespace(nsp),
            id: None,
            data,
            attachments: Vec::new(),
        }
    }

    /// `CONNECT`, with the client's auth object or the server's `{"sid":...}`.
    pub fn connect(nsp: &str, data: Option<Utf8Bytes>) -> Packet {
        Packet::new(PacketType::Connect, nsp, data)
    }

    /// `DISCONNECT`.
    pub fn disconnect(nsp: &str) -> Packet {
        Packet::new(PacketType::Disconnect, nsp, None)
    }

    /// `EVENT` with `data` = `["name", ...args]` as JSON text.
    pub fn event(nsp: &str, data: Utf8Bytes) -> Packet {
        Packet::new(PacketType::Event, nsp, Some(data))
    }

    /// `ACK` for ack id `id`, with `data` = `[...args]` as JSON text.
    pub fn ack(nsp: &str, id: u64, data: Utf8Bytes) -> Packet {
        Packet {
            id: Some(id),
            ..Packet::new(PacketType::Ack, nsp, Some(data))
        }
    }

    /// `CONNECT_ERROR` with `data` = `{"message":...}` as JSON text.
    pub fn connect_error(nsp: &str, data: Utf8Bytes) -> Packet {
        Packet::new(PacketType::ConnectError, nsp, Some(data))
    }

    /// With ack id `id`.
    pub fn with_id(mut self, id: u64) -> Packet {
        self.id = Some(id);
        self
    }

    /// With binary attachments (the data must hold their placeholders).
    pub fn with_attachments(mut self, attachments: Vec<Bytes>) -> Packet {
        self.attachments = attachments;
        self
    }

    /// The wire type: 5 or 6 for events and acks with attachments.
    pub fn wire_type(&self) -> PacketType {
        match (self.kind, self.attachments.is_empty()) {
            (PacketType::Event, false) => PacketType::BinaryEvent,
            (PacketType::Ack, false) => PacketType::BinaryAck,
            (kind, _) => kind,
        }
    }

    /// The text form (the first Engine.IO message of the packet).
    pub fn encode_text(&self) -> Utf8Bytes {
        let data = self.data.as_ref().map_or(0, |d| d.len());
        let mut out = BytesMut::with_capacity(24 + self.nsp.len() + data);
        let kind = self.wire_type();
        out.put_u8(kind.digit());
        if kind.is_binary() {
            out.extend_from_slice(self.attachments.len().to_string().as_bytes());
            out.put_u8(b'-');
        }
        if self.nsp != ROOT_NAMESPACE {
            out.extend_from_slice(self.nsp.as_bytes());
            out.put_u8(b',');
        }
        if let Some(id) = self.id {
            out.extend_from_slice(id.to_string().as_bytes());
        }
        if let Some(data) = &self.data {
            out.extend_from_slice(data.as_bytes());
        }
        // Built from UTF-8 pieces only.
        Utf8Bytes::try_from(out.freeze()).unwrap_or_default()
    }

    /// The Engine.IO messages that carry this packet: the text form, then each attachment.
    pub fn encode(&self) -> Vec<Message> {
        let mut messages = Vec::with_capacity(1 + self.attachments.len());
        messages.push(Message::Text(self.encode_text()));
        messages.extend(self.attachments.iter().cloned().map(Message::Binary));
        messages
    }

    /// Decodes a text message: the packet and how many attachments must follow.
    pub fn decode_text(text: Utf8Bytes, max_attachments: usize) -> Result<(Packet, usize), Error> {
        let bytes = text.as_bytes().clone();
        let first = *bytes.first().ok_or(Error::EmptyPacket)?;
        let wire = PacketType::from_digit(first).ok_or(Error::UnknownType(first))?;
        let mut i = 1;
        let mut attachments = 0;
        if wire.is_binary() {
            let digits = count_digits(&bytes[i..]);
            if digits == 0 || bytes.get(i + digits) != Some(&b'-') {
                return Err(Error::IllegalAttachments);
            }
            attachments =
                parse_u64(&bytes[i..i + digits]).ok_or(Error::IllegalAttachments)? as usize;
            if attachments == 0 {
                return Err(Error::IllegalAttachments);
            }
            if attachments > max_attachments {
                return Err(Error::TooManyAttachments(attachments));
            }
            i += digits + 1;
        }
        let nsp = if bytes.get(i) == Some(&b'/') {
            let end = bytes[i..]
                .iter()
                .position(|&b| b == b',')
                .map_or(bytes.len(), |p| i + p);
            // Both ends are ASCII positions (start of text after an ASCII byte, a comma or
            // the end), so the slice is whole characters.
            let nsp = text.slice(i..end).unwrap_or_default();
            i = (end + 1).min(bytes.len());
            nsp
        } else {
            Utf8Bytes::from_static(ROOT_NAMESPACE)
        };
        let digits = count_digits(&bytes[i..]);
        let id = if digits > 0 {
            let id = parse_u64(&bytes[i..i + digits]).ok_or(Error::AckIdOutOfRange)?;
            i += digits;
            Some(id)
        } else {
            None
        };
        let data = if i < bytes.len() {
            let data = text.slice(i..bytes.len()).unwrap_or_default();
            check_shape(wire, &data)?;
            Some(data)
        } else {
            None
        };
        let kind = match wire {
            PacketType::BinaryEvent => PacketType::Event,
            PacketType::BinaryAck => PacketType::Ack,
            kind => kind,
        };
        // Events and acks must carry their array.
        if data.is_none() && matches!(kind, PacketType::Event | PacketType::Ack) {
            return Err(Error::InvalidPayload);
        }
        let packet = Packet {
            kind,
            nsp,
            id,
            data,
            attachments: Vec::with_capacity(attachments),
        };
        Ok((packet, attachments))
    }

    /// The event name, for events (`["name", ...]`); `None` for a numeric name or another type.
    pub fn event_name(&self) -> Option<String> {
        if self.kind != PacketType::Event {
            return None;
        }
        let data = self.data.as_ref()?;
        let mut de = serde_json::Deserializer::from_str(data);
        first_string(&mut de)
    }
}

fn first_string(de: &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>) -> Option<String> {
    use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let name = seq.next_element::<serde_json::Value>()?;
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(match name {
                Some(serde_json::Value::String(s)) => Some(s),
                _ => None,
            })
        }
    }
    de.deserialize_seq(V).ok().flatten()
}

/// socket.io-parser's payload rules, per type.
pub(crate) fn check_shape(kind: PacketType, data: &str) -> Result<(), Error> {
    let shape = json::shape(data).map_err(|_| Error::InvalidPayload)?;
    let ok = match kind {
        PacketType::Connect => shape == Shape::Object,
        PacketType::Disconnect => false,
        PacketType::ConnectError => matches!(shape, Shape::Object | Shape::String),
        PacketType::Event | PacketType::BinaryEvent => match shape {
            Shape::Array(First::Number | First::String { reserved: false }) => true,
            Shape::Array(First::String { reserved: true }) => return Err(Error::ReservedEventName),
            _ => false,
        },
        PacketType::Ack | PacketType::BinaryAck => matches!(shape, Shape::Array(_)),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidPayload)
    }
}

fn count_digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

fn parse_u64(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

pub(crate) fn namespace(nsp: &str) -> Utf8Bytes {
    if nsp == ROOT_NAMESPACE || nsp.is_empty() {
        Utf8Bytes::from_static(ROOT_NAMESPACE)
    } else {
        Utf8Bytes::from(nsp)
    }
}
