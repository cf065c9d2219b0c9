//! Engine.IO, the transport layer under Socket.IO, as pure functions and state machines over
//! bytes: packets in their text and binary forms, the HTTP long-polling payload, the open
//! (handshake) packet, session ids, the heartbeat as deadlines, a client session as a state
//! machine ([`client`]), and the rules of a server session's transport and upgrade
//! ([`server`]). No I/O and no runtime: `duplex-engineio` drives these over hyper and
//! `duplex-ws`.
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use duplex_engineio_proto::{payload, Message, Packet, Protocol};
//!
//! // A polling POST body: a text message and a binary one (base64 in the text payload).
//! let packets = payload::decode(Bytes::from_static(b"4hello\x1ebAQID"), Protocol::V4).unwrap();
//! assert_eq!(packets[0], Packet::Message(Message::text("hello")));
//! assert_eq!(packets[1], Packet::Message(Message::binary(vec![1, 2, 3])));
//!
//! let mut body = BytesMut::new();
//! payload::encode(&packets, Protocol::V4, &mut body);
//! assert_eq!(&body[..], b"4hello\x1ebAQID");
//!
//! // Over WebSocket binary data has frames of its own, unless the client asked for base64
//! // (`b64=1`).
//! let ping = Packet::decode_ws_text("2probe".into(), Protocol::V4).unwrap();
//! assert!(ping.is_probe_ping());
//! assert_eq!(
//!     packets[1].to_ws_message_base64(Protocol::V4),
//!     duplex_ws_proto::Message::text("bAQID")
//! );
//! ```
//!
//! The codec is checked byte for byte against the JavaScript reference parsers
//! (engine.io-parser 5 for v4, 2.2 for v3): see `testdata/gen_reference_vectors.cjs`.

pub mod client;
mod error;
pub mod heartbeat;
mod message;
pub mod open;
pub mod packet;
pub mod payload;
mod protocol;
#[cfg(test)]
mod reference_vectors;
pub mod server;
mod sid;
#[cfg(test)]
mod strategies;

pub use duplex_ws_proto::Utf8Bytes;
pub use error::Error;
pub use heartbeat::{Heartbeat, HeartbeatEvent};
pub use message::Message;
pub use open::OpenPacket;
pub use packet::{Packet, PacketType};
pub use protocol::Protocol;
pub use sid::Sid;
