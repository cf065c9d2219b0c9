//! WebSocket (RFC 6455 with permessage-deflate, RFC 7692) on tokio: server and client.
//!
//! The protocol itself lives in the sans-IO crate `duplex-ws-proto`; this crate
//! drives it over any `AsyncRead + AsyncWrite` stream: a `TcpStream`, a TLS stream,
//! or hyper's upgraded connection ([`upgrade`]).
//!
//! An echo server and a client talking to it:
//!
//! ```
//! use duplex_ws::{DeflateConfig, Message, ServerConfig, ServerHandshake, accept_with, connect};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("ws://{}", listener.local_addr()?);
//! let server = ServerConfig::default()
//!     .handshake(ServerHandshake::new().deflate(Some(DeflateConfig::default())));
//! tokio::spawn(async move {
//!     let (stream, _) = listener.accept().await?;
//!     let mut ws = accept_with(stream, &server).await?;
//!     while let Some(Ok(message)) = ws.recv().await {
//!         if message.is_data() {
//!             ws.feed(message).await?; // written when `recv` next waits
//!         }
//!     }
//!     Ok::<_, duplex_ws::Error>(())
//! });
//!
//! let (mut client, _response) = connect(&url).await?;
//! client.send(Message::text("hello")).await?;
//! assert_eq!(client.recv().await.transpose()?, Some(Message::text("hello")));
//! client.close(None).await?;
//! # Ok(())
//! # }
//! ```

mod accept;
mod connect;
mod error;
mod outbox;
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
#[cfg(feature = "tls")]
pub use stream::tls_connect;
pub use upgrade::{PendingUpgrade, UpgradedSocket, is_upgrade_request, upgrade};

/// The sans-IO protocol crate, for lower-level use.
pub use duplex_ws_proto as proto;

/// The rustls version of [`ClientConfig::tls`] (feature `tls`), so callers build its
/// configuration without a version skew.
#[cfg(feature = "tls")]
pub use tokio_rustls::rustls;
