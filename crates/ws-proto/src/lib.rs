//! RFC 6455 WebSocket and RFC 7692 permessage-deflate as sans-IO state machines.
//!
//! Nothing here touches a socket or a clock: bytes go in, messages and bytes to
//! send come out. The `duplex-ws` crate drives these machines over tokio.

pub mod close;
pub mod config;
pub mod connection;
pub mod deflate;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod mask;
pub mod message;
pub mod prepared;
pub mod role;
pub mod utf8;

pub use close::{CloseCode, CloseFrame};
pub use config::Config;
pub use connection::{Connection, State};
pub use error::Error;
pub use handshake::HandshakeError;
pub use message::Message;
pub use prepared::PreparedMessage;
pub use role::Role;
pub use utf8::{Utf8Bytes, Utf8Validator};
