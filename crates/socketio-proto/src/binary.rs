//! Binary data anywhere in an event's arguments.
//!
//! On the wire a binary value is an attachment (its own Engine.IO binary message) and the
//! JSON holds `{"_placeholder":true,"num":N}` in its place. [`Binary`] does both sides: while
//! [`args`](crate::args) encodes or decodes a packet, a per-thread slot holds the attachment
//! list, so a `Binary` nested at any depth of any serde type finds it.

use std::cell::RefCell;
use std::fmt;

use bytes::Bytes;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Bytes carried as a binary attachment when sent in event arguments; received from a
/// placeholder (or from a byte array, when not decoding a packet).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Binary(pub Bytes);

impl fmt::Debug for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Binary({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Binary {
    fn from(data: Vec<u8>) -> Self {
        Binary(data.into())
    }
}

impl From<Bytes> for Binary {
    fn from(data: Bytes) -> Self {
        Binary(data)
    }
}

thread_local! {
    /// Attachments collected while encoding arguments.
    static OUTGOING: RefCell<Option<Vec<Bytes>>> = const { RefCell::new(None) };
    /// Attachments of the packet whose arguments are being decoded.
    static INCOMING: RefCell<Option<Vec<Bytes>>> = const { RefCell::new(None) };
}

/// Runs `f` with an attachment collector; returns its result and the attachments.
pub(crate) fn collecting<R>(f: impl FnOnce() -> R) -> (R, Vec<Bytes>) {
    let outer = OUTGOING.with(|slot| slot.replace(Some(Vec::new())));
    let result = f();
    let collected = OUTGOING
        .with(|slot| slot.replace(outer))
        .unwrap_or_default();
    (result, collected)
}

/// Runs `f` with `attachments` available to placeholders.
pub(crate) fn resolving<R>(attachments: &[Bytes], f: impl FnOnce() -> R) -> R {
    let outer = INCOMING.with(|slot| slot.replace(Some(attachments.to_vec())));
    let result = f();
    INCOMING.with(|slot| slot.replace(outer));
    result
}

/// Attachment `num` of the packet being decoded, if any.
pub(crate) fn incoming(num: u64) -> Option<Bytes> {
    INCOMING.with(|slot| {
        slot.borrow()
            .as_ref()
            .and_then(|list| list.get(usize::try_from(num).ok()?).cloned())
    })
}

impl Serialize for Binary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let num = OUTGOING.with(|slot| {
            slot.borrow_mut().as_mut().map(|list| {
                list.push(self.0.clone());
                list.len() - 1
            })
        });
        match num {
            Some(num) => {
                // Key order as socket.io-parser writes it.
                let mut placeholder = serializer.serialize_struct("Placeholder", 2)?;
                placeholder.serialize_field("_placeholder", &true)?;
                placeholder.serialize_field("num", &num)?;
                placeholder.end()
            }
            // Outside a packet (or in a format with native binary, like MessagePack).
            None => serializer.serialize_bytes(&self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Binary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(BinaryVisitor)
    }
}

struct BinaryVisitor;

impl<'de> Visitor<'de> for BinaryVisitor {
    type Value = Binary;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a binary attachment placeholder or bytes")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Binary, A::Error> {
        let mut placeholder = false;
        let mut num: Option<u64> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "_placeholder" => placeholder = map.next_value()?,
                "num" => num = Some(map.next_value()?),
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        let num = num
            .filter(|_| placeholder)
            .ok_or_else(|| de::Error::custom("not a binary placeholder"))?;
        INCOMING
            .with(|slot| {
                slot.borrow()
                    .as_ref()
                    .and_then(|list| list.get(usize::try_from(num).ok()?).cloned())
            })
            .map(Binary)
            .ok_or_else(|| de::Error::custom("placeholder without its attachment"))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Binary, E> {
        Ok(Binary(Bytes::copy_from_slice(v)))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Binary, E> {
        Ok(Binary(v.into()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Binary, A::Error> {
        let mut data = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(byte) = seq.next_element::<u8>()? {
            data.push(byte);
        }
        Ok(Binary(data.into()))
    }
}
