//! WebSocket (RFC 6455 with permessage-deflate, RFC 7692) on tokio: server and client.
//!
//! The protocol itself lives in the sans-IO crate `duplex-ws-proto`; this crate
//! drives it over any `AsyncRead + AsyncWrite` stream.

mod error;
mod socket;
mod split;
mod wake;

pub use duplex_ws_proto::{
    CloseCode, CloseFrame, Config, Message, PreparedMessage, Role, State, Utf8Bytes,
};
pub use error::Error;
pub use socket::WebSocket;
pub use split::{Outgoing, WsReceiver, WsSender};

/// The sans-IO protocol crate, for lower-level use.
pub use duplex_ws_proto as proto;
