//! WebSocket (RFC 6455 with permessage-deflate, RFC 7692) on tokio: server and client.
//!
//! The protocol itself lives in the sans-IO crate `duplex-ws-proto`; this crate
//! drives it over any `AsyncRead + AsyncWrite` stream.

mod accept;
mod connect;
mod error;
mod socket;
mod split;
mod stream;
mod upgrade;
mod wake;

pub use accept::{ServerConfig, accept, accept_with};
pub use connect::{ClientConfig, connect, connect_with, handshake};
pub use duplex_ws_proto::deflate::DeflateConfig;
pub use duplex_ws_proto::handshake::{ClientRequest, Rejection, ServerHandshake};
pub use duplex_ws_proto::{
    CloseCode, CloseFrame, Config, Message, PreparedMessage, Role, State, Utf8Bytes,
};
pub use error::Error;
pub use socket::WebSocket;
pub use split::{Outgoing, WsReceiver, WsSender};
pub use stream::MaybeTlsStream;
pub use upgrade::{PendingUpgrade, UpgradedSocket, is_upgrade_request, upgrade};

/// The sans-IO protocol crate, for lower-level use.
pub use duplex_ws_proto as proto;
