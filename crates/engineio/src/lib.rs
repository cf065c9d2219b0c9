//! An Engine.IO v4 server (and v3 with [`Config::allow_eio3`]): HTTP long-polling and
//! WebSocket transports, the upgrade from one to the other, and the heartbeat, as a tower
//! [`Service`](tower_service::Service) that mounts in axum or bare hyper, or stands alone with
//! [`serve`]. Wire-compatible with the official `engine.io-client`; Socket.IO runs on top.
//!
//! ```no_run
//! use std::sync::Arc;
//! use duplex_engineio::{CloseReason, Config, EngineIo, Handler, Message, Socket};
//!
//! struct Echo;
//!
//! impl Handler for Echo {
//!     fn on_message(&self, socket: &Arc<Socket>, message: Message) {
//!         let _ = socket.send(message);
//!     }
//!     fn on_close(&self, socket: &Arc<Socket>, reason: CloseReason) {
//!         println!("{} closed: {reason}", socket.id());
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let engine = EngineIo::new(Config::default(), Echo);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     duplex_engineio::serve(listener, engine).await
//! }
//! ```
//!
//! Each session has one bounded queue of outgoing packets that whichever transport is active
//! drains, so an upgrade loses and reorders nothing; one task keeps its heartbeat and ends
//! with it; a WebSocket session has one more task carrying its frames.
//!
//! With the `client` feature, the `client` module connects to any Engine.IO v4 server
//! (ours, Node's, Python's) over the same transports, through an HTTP proxy if the
//! environment names one; the `tls` feature adds `https://` and `wss://` (rustls).

mod body;
#[cfg(feature = "client")]
pub mod client;
mod compress;
mod config;
mod cors;
mod endpoint;
mod engine;
mod error;
mod handler;
pub mod metrics;
mod outbox;
mod polling;
mod prepared;
mod request;
mod serve;
mod service;
mod socket;
mod websocket;

pub use body::ResponseBody;
pub use config::{AllowFuture, Config, Cookie, HttpCompression, Refusal, Transport};
pub use cors::Cors;
pub use duplex_engineio_proto::{Message, Protocol, Sid, Utf8Bytes};
pub use engine::EngineIo;
pub use error::{BatchError, ProtocolError, SendError};
pub use handler::{CloseReason, Handler};
pub use prepared::PreparedMessage;
pub use request::{HandshakeRequest, RemoteAddr};
pub use serve::{HttpBody, HttpService, bind, serve, serve_service, serve_with_shutdown};
#[cfg(feature = "server-tls")]
pub use serve::{TLS_HANDSHAKE_TIMEOUT, serve_service_tls};
pub use service::{BoxError, EngineIoLayer, EngineIoService, NotFound, ResponseFuture};
pub use socket::Socket;

/// The sans-IO protocol crate underneath.
pub use duplex_engineio_proto as proto;
