//! A Socket.IO v5 client (feature `client`), as socket.io-client behaves: namespaces
//! multiplexed on one connection ([`Manager`]), events with serde-typed arguments and
//! binary attachments, acknowledgements both ways, and automatic reconnection with
//! exponential backoff, an offline buffer, at-least-once retries and connection state
//! recovery.
//!
//! ```no_run
//! use std::time::Duration;
//! use duplex_socketio::client::{ClientBuilder, Incoming};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let socket = ClientBuilder::new("http://127.0.0.1:3000/")
//!     .auth(serde_json::json!({ "token": "secret" }))
//!     .on("chat", |event: Incoming| async move {
//!         let text: String = event.args().unwrap_or_default();
//!         println!("{text}");
//!     })
//!     .connect()
//!     .await?;
//! socket.emit("chat", "hello")?;
//! let echoed: String = socket
//!     .emit_with_ack("echo", "ping")?
//!     .timeout(Duration::from_secs(5))
//!     .await?;
//! # let _ = echoed;
//! # Ok(())
//! # }
//! ```
//!
//! **Offline buffer.** Emits made while a namespace is not connected are kept, in order, and
//! sent once it connects again; volatile emits are dropped instead. At most
//! [`SocketConfig::max_buffered`] are kept: past that, an emit fails with
//! [`SendError::Full`](crate::SendError::Full) and what is kept stays. Emits that had left
//! when the connection was lost are not sent again (their acks fail with
//! `Disconnected`), unless [`SocketConfig::retries`] is set: then every emit waits for its
//! ack, one at a time, and is repeated after each `ack_timeout` and after a reconnection,
//! with the same ack id, so it arrives at least once.
//!
//! The module is the client's tokio side; its protocol rules are the sans-IO
//! [`duplex_socketio_proto::client`].

mod ack;
mod builder;
mod config;
mod driver;
mod error;
mod handlers;
mod incoming;
mod manager;
mod socket;

pub use ack::AckFuture;
pub use builder::{ClientBuilder, SocketBuilder};
pub use config::{Auth, ClientConfig, SocketConfig};
pub use error::{ConnectError, DisconnectReason};
pub use incoming::Incoming;
pub use manager::Manager;
pub use socket::{Socket, Volatile};

#[cfg(feature = "tls")]
pub use crate::engineio::client::rustls;
pub use crate::engineio::client::{ProxyConfig, Transport};
