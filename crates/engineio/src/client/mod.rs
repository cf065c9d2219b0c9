//! An Engine.IO v4 client (feature `client`): [`connect`] opens a session over long-polling
//! or WebSocket, upgrades as the server offers, answers the server's pings and hands the
//! application a [`Client`] to send with and [`Events`] to read.
//!
//! The session's rules live in the sans-IO
//! [`ClientSession`](duplex_engineio_proto::client::ClientSession); this module only runs
//! it: one tokio task per session, with polling GETs and POSTs on two kept-alive HTTP/1.1
//! connections (as a browser keeps two requests in flight) and the WebSocket of duplex-ws.
//!
//! `https://` servers need the `tls` feature (rustls; the webpki roots unless
//! `ClientConfig::tls` says otherwise); the WebSocket then goes to `wss://`. Every
//! connection can tunnel through an HTTP proxy (`CONNECT`), by default the one of the
//! standard environment variables: see [`ProxyConfig`].
//!
//! ```no_run
//! use duplex_engineio::client::{self, ClientConfig, ClientEvent};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let url = "http://127.0.0.1:3000/engine.io/";
//! let (client, mut events) = client::connect(url, ClientConfig::default()).await?;
//! client.send("hello")?;
//! while let Some(event) = events.recv().await {
//!     match event {
//!         ClientEvent::Message(message) => println!("{message:?}"),
//!         ClientEvent::Close(reason) => println!("closed: {reason}"),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod config;
mod dial;
mod driver;
mod endpoint;
mod error;
mod handle;
mod http;
mod no_proxy;
mod open;
mod proxy;

use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, mpsc};

pub use config::ClientConfig;
pub use duplex_engineio_proto::client::{CloseReason, Transport};
pub use error::{ConnectError, SendError};
pub use handle::{Client, ClientEvent, Events};
pub use proxy::ProxyConfig;

/// The rustls crate of [`ClientConfig::tls`] (feature `tls`), to build its configuration.
#[cfg(feature = "tls")]
pub use duplex_ws::rustls;

/// Opens a session at `url` (`http://host:port/path/`, the path `/engine.io/` if none;
/// `https://` with the `tls` feature; `ws://` and `wss://` mean the same) and
/// returns once the server's open packet has arrived, within
/// [`ClientConfig::connect_timeout`]. The session then runs in its own task (so this must
/// be called inside a tokio runtime) until it closes.
pub async fn connect(url: &str, config: ClientConfig) -> Result<(Client, Events), ConnectError> {
    let driver = open::open(url, &config).await?;
    let shared = Arc::new(handle::Shared {
        sid: driver.session.sid().unwrap_or_default().to_owned(),
        transport: Mutex::new(driver.session.transport().unwrap_or(Transport::Polling)),
        close: Notify::new(),
    });
    let (messages_tx, messages_rx) = mpsc::unbounded_channel();
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    tokio::spawn(driver.run(messages_rx, shared.clone(), events_tx));
    Ok((
        Client {
            messages: messages_tx,
            shared,
        },
        Events { rx: events_rx },
    ))
}
