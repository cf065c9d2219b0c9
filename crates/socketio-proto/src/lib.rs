//! Socket.IO v5, the event layer on Engine.IO, as pure code over messages: packets
//! (connect, disconnect, event, ack, connect error, and their binary forms), namespaces, ack
//! ids, and binary attachments with their `{"_placeholder":true,"num":N}` markers. No I/O:
//! `duplex-socketio` runs this over `duplex-engineio`.
//!
//! Payloads stay raw JSON text, checked for the shape their packet type requires but not
//! parsed into a tree: handlers deserialize straight into their own types, and data passed
//! through (an echo, a broadcast) keeps its bytes.
//!
//! ```
//! use duplex_socketio_proto::{Decoder, Message, Packet, PacketType};
//!
//! let mut decoder = Decoder::default();
//! let text = Message::text(r#"51-/chat,7["upload",{"_placeholder":true,"num":0}]"#);
//! assert_eq!(decoder.decode(text).unwrap(), None); // one attachment to come
//! let packet = decoder.decode(Message::binary(vec![1, 2, 3])).unwrap().unwrap();
//! assert_eq!(packet.kind, PacketType::Event);
//! assert_eq!(packet.nsp, "/chat");
//! assert_eq!(packet.id, Some(7));
//! assert_eq!(packet.event_name().as_deref(), Some("upload"));
//! assert_eq!(packet.attachments.len(), 1);
//! assert_eq!(packet.encode().len(), 2); // the same text, then the attachment
//! ```

pub mod args;
mod binary;
pub mod client;
mod decoder;
mod error;
mod json;
#[cfg(feature = "msgpack")]
pub mod msgpack;
mod packet;
mod parser;
mod value;

pub use binary::Binary;
pub use decoder::{DEFAULT_MAX_ATTACHMENTS, Decoder};
pub use duplex_engineio_proto::{Message, Utf8Bytes};
pub use error::Error;
pub use json::RESERVED_EVENTS;
pub use packet::{Packet, PacketType, ROOT_NAMESPACE};
pub use parser::Parser;
pub use value::Value;

#[cfg(test)]
mod tests;
