//! How the client connects and reconnects ([`ClientConfig`], one per connection) and how
//! each namespace behaves on it ([`SocketConfig`]). Defaults are socket.io-client's.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use duplex_socketio_proto::client::{Backoff, DEFAULT_MAX_BUFFERED};
use duplex_socketio_proto::{DEFAULT_MAX_ATTACHMENTS, Parser};
use futures_util::future::BoxFuture;

use crate::engineio::client::ClientConfig as EngineConfig;

/// Connection-wide settings, shared by every namespace of one [`Manager`](super::Manager).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The Engine.IO session: transports, upgrade, query, headers, `connect_timeout`.
    pub engine: EngineConfig,
    /// The Engine.IO path on the server. Default `/socket.io/`.
    pub path: String,
    /// Whether to reconnect after a lost connection or a failed first attempt. Default `true`.
    pub reconnection: bool,
    /// Attempts before giving up (`reconnect_failed`). Default unlimited (`u32::MAX`).
    pub reconnection_attempts: u32,
    /// The backoff between attempts: 1 s doubling up to 5 s, ±50 %.
    pub backoff: Backoff,
    /// The packet encoding; it must match the server's. Default the JSON parser.
    pub parser: Parser,
    /// Most binary attachments accepted in one packet from the server.
    pub max_attachments: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            engine: EngineConfig::default(),
            path: "/socket.io/".to_owned(),
            reconnection: true,
            reconnection_attempts: u32::MAX,
            backoff: Backoff::default(),
            parser: Parser::default(),
            max_attachments: DEFAULT_MAX_ATTACHMENTS,
        }
    }
}

/// The auth payload sent with each namespace CONNECT: none, one value, or a function called
/// before every attempt (a token that expires, say).
#[derive(Clone, Default)]
pub enum Auth {
    /// No payload (the server sees `{}`).
    #[default]
    None,
    /// The same object on every attempt.
    Static(serde_json::Value),
    /// Computed before every attempt.
    Dynamic(Arc<dyn Fn() -> BoxFuture<'static, Option<serde_json::Value>> + Send + Sync>),
}

impl Auth {
    /// An auth payload computed by `f` before every connection attempt.
    pub fn dynamic<F, Fut>(f: F) -> Auth
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<serde_json::Value>> + Send + 'static,
    {
        Auth::Dynamic(Arc::new(move || Box::pin(f())))
    }

    pub(crate) async fn resolve(&self) -> Option<serde_json::Value> {
        match self {
            Auth::None => None,
            Auth::Static(value) => Some(value.clone()),
            Auth::Dynamic(f) => f().await,
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Static(value) => f.debug_tuple("Static").field(value).finish(),
            Auth::Dynamic(_) => f.write_str("Dynamic(..)"),
        }
    }
}

/// Per-namespace settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SocketConfig {
    /// The CONNECT payload.
    pub auth: Auth,
    /// How long an ack is awaited when the emit sets no timeout of its own; with
    /// [`retries`](Self::retries), how long before a try is repeated. Default none.
    pub ack_timeout: Option<Duration>,
    /// `Some(n)`: every non-volatile emit asks for an ack, emits go one at a time in order,
    /// and each is sent up to `n + 1` times (after each `ack_timeout`, and again after a
    /// reconnection) with the same ack id — at-least-once delivery. Default `None`.
    pub retries: Option<u32>,
    /// Emits kept while disconnected (and, with `retries`, queued); past it an emit fails
    /// with [`SendError::Full`](crate::SendError::Full) and nothing already kept is dropped.
    /// Default 1024.
    pub max_buffered: usize,
}

impl Default for SocketConfig {
    fn default() -> Self {
        SocketConfig {
            auth: Auth::None,
            ack_timeout: None,
            retries: None,
            max_buffered: DEFAULT_MAX_BUFFERED,
        }
    }
}
