//! Server options, named and defaulted as socket.io / engine.io name them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::cors::Cors;
use crate::request::HandshakeRequest;

/// The two transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP long-polling: GET receives, POST sends.
    Polling,
    /// One WebSocket connection.
    Websocket,
}

impl Transport {
    /// The name in the `transport` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::Websocket => "websocket",
        }
    }

    /// The transport a `transport` query value names.
    pub fn from_query(value: &str) -> Option<Transport> {
        match value {
            "polling" => Some(Transport::Polling),
            "websocket" => Some(Transport::Websocket),
            _ => None,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why [`Config::allow_request`] refused a handshake; the client gets HTTP 403 with
/// `{"code":4,"message":<message>}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The message sent to the client.
    pub message: String,
}

impl Refusal {
    /// A refusal with `message`.
    pub fn new(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
        }
    }
}

/// The future an `allow_request` hook returns.
pub type AllowFuture = Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send>>;
type AllowRequest = Arc<dyn Fn(Arc<HandshakeRequest>) -> AllowFuture + Send + Sync>;

/// Compression of polling responses (`httpCompression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpCompression {
    /// Bodies shorter than this many bytes go uncompressed. Default 1024.
    pub threshold: usize,
}

impl Default for HttpCompression {
    fn default() -> Self {
        HttpCompression { threshold: 1024 }
    }
}

/// The `io` cookie that carries the session id (`cookie` option; off by default).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cookie {
    /// Cookie name. Default `io`.
    pub name: String,
    /// `Path` attribute. Default `/`.
    pub path: String,
    /// `HttpOnly`. Default true.
    pub http_only: bool,
    /// `SameSite` value. Default `Lax`.
    pub same_site: String,
}

impl Default for Cookie {
    fn default() -> Self {
        Cookie {
            name: "io".into(),
            path: "/".into(),
            http_only: true,
            same_site: "Lax".into(),
        }
    }
}

/// Engine.IO server options. Defaults are socket.io's; setters chain.
///
/// ```
/// use std::time::Duration;
/// use duplex_engineio::{Config, Cors, Transport};
///
/// let config = Config::default()
///     .ping_interval(Duration::from_secs(10))
///     .transports([Transport::Websocket])
///     .cors(Cors::any());
/// assert_eq!(config.path_prefix(), "/engine.io/");
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    pub(crate) path: String,
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    pub(crate) upgrade_timeout: Duration,
    pub(crate) max_http_buffer_size: usize,
    pub(crate) polling: bool,
    pub(crate) websocket: bool,
    pub(crate) allow_upgrades: bool,
    pub(crate) allow_eio3: bool,
    pub(crate) allow_request: Option<AllowRequest>,
    pub(crate) cors: Option<Cors>,
    pub(crate) cookie: Option<Cookie>,
    pub(crate) http_compression: Option<HttpCompression>,
    pub(crate) per_message_deflate: bool,
    pub(crate) max_queued_packets: usize,
    pub(crate) metrics: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: "/engine.io/".into(),
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            upgrade_timeout: Duration::from_secs(10),
            max_http_buffer_size: 1_000_000,
            polling: true,
            websocket: true,
            allow_upgrades: true,
            allow_eio3: false,
            allow_request: None,
            cors: None,
            cookie: None,
            http_compression: Some(HttpCompression::default()),
            per_message_deflate: false,
            max_queued_packets: 4096,
            metrics: false,
        }
    }
}

impl Config {
    /// Where Engine.IO is served. Default `/engine.io/` (Socket.IO uses `/socket.io/`). A
    /// trailing slash is added when missing.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        if !path.ends_with('/') {
            path.push('/');
        }
        self.path = path;
        self
    }

    /// The path prefix requests must start with.
    pub fn path_prefix(&self) -> &str {
        &self.path
    }

    /// Time between the server's pings. Default 25 s.
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Time the client has to answer a ping before the session closes with `ping timeout`.
    /// Default 20 s.
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.ping_timeout = timeout;
        self
    }

    /// Time a probed WebSocket has to complete an upgrade. Default 10 s.
    pub fn upgrade_timeout(mut self, timeout: Duration) -> Self {
        self.upgrade_timeout = timeout;
        self
    }

    /// Largest polling request body and WebSocket message, in bytes. Default 1 MB
    /// (1,000,000). Over it: HTTP 413 (polling) or close 1009 (WebSocket), and the session
    /// closes.
    pub fn max_http_buffer_size(mut self, bytes: usize) -> Self {
        self.max_http_buffer_size = bytes;
        self
    }

    /// The transports clients may use (default both). An empty list keeps the default.
    pub fn transports(mut self, transports: impl IntoIterator<Item = Transport>) -> Self {
        let list: Vec<Transport> = transports.into_iter().collect();
        if !list.is_empty() {
            self.polling = list.contains(&Transport::Polling);
            self.websocket = list.contains(&Transport::Websocket);
        }
        self
    }

    /// Whether polling sessions may upgrade to WebSocket. Default true.
    pub fn allow_upgrades(mut self, allow: bool) -> Self {
        self.allow_upgrades = allow;
        self
    }

    /// Whether Engine.IO v3 clients (socket.io-client 2.x) are accepted. Default false.
    pub fn allow_eio3(mut self, allow: bool) -> Self {
        self.allow_eio3 = allow;
        self
    }

    /// A hook that sees every handshake request and may refuse it (HTTP 403, code 4).
    ///
    /// ```
    /// use duplex_engineio::{Config, Refusal};
    ///
    /// let config = Config::default().allow_request(|req| async move {
    ///     match req.headers().get("x-token") {
    ///         Some(t) if t == "secret" => Ok(()),
    ///         _ => Err(Refusal::new("no token")),
    ///     }
    /// });
    /// ```
    pub fn allow_request<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Arc<HandshakeRequest>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Refusal>> + Send + 'static,
    {
        self.allow_request = Some(Arc::new(move |req| Box::pin(hook(req))));
        self
    }

    /// Cross-origin access for browsers on other origins (off by default).
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Sets the session id cookie on handshakes (off by default).
    pub fn cookie(mut self, cookie: Option<Cookie>) -> Self {
        self.cookie = cookie;
        self
    }

    /// Compression of polling responses; `None` turns it off. Default on over 1 KiB.
    pub fn http_compression(mut self, compression: Option<HttpCompression>) -> Self {
        self.http_compression = compression;
        self
    }

    /// Whether the WebSocket transport negotiates permessage-deflate. Default false.
    pub fn per_message_deflate(mut self, on: bool) -> Self {
        self.per_message_deflate = on;
        self
    }

    /// Most packets waiting to be sent to one session. When full, [`Socket::send`] fails with
    /// [`SendError::Full`] and hands the message back: nothing is dropped silently, and the
    /// caller picks the policy (drop, retry later, or close a client that does not keep up).
    /// Control packets (the open packet, pings, noops, close) count towards the bound but are
    /// never refused. Default 4096.
    ///
    /// [`Socket::send`]: crate::Socket::send
    /// [`SendError::Full`]: crate::SendError::Full
    pub fn max_queued_packets(mut self, packets: usize) -> Self {
        self.max_queued_packets = packets.max(1);
        self
    }

    /// Counts handshakes, upgrades, packets and bytes by transport and direction, and
    /// session closes by reason, for [`EngineIo::encode_metrics`](crate::EngineIo::encode_metrics)
    /// (Prometheus). Each count is a relaxed atomic add per read or write batch. Default off.
    pub fn metrics(mut self, on: bool) -> Self {
        self.metrics = on;
        self
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("path", &self.path)
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field("upgrade_timeout", &self.upgrade_timeout)
            .field("max_http_buffer_size", &self.max_http_buffer_size)
            .field("polling", &self.polling)
            .field("websocket", &self.websocket)
            .field("allow_upgrades", &self.allow_upgrades)
            .field("allow_eio3", &self.allow_eio3)
            .field("allow_request", &self.allow_request.is_some())
            .field("cors", &self.cors)
            .field("cookie", &self.cookie)
            .field("http_compression", &self.http_compression)
            .field("per_message_deflate", &self.per_message_deflate)
            .field("max_queued_packets", &self.max_queued_packets)
            .field("metrics", &self.metrics)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults DESIGN.md promises (socket.io's), one assertion per documented value.
    #[test]
    fn defaults_are_socket_ios() {
        let config = Config::default();
        assert_eq!(config.ping_interval, Duration::from_secs(25));
        assert_eq!(config.ping_timeout, Duration::from_secs(20));
        assert_eq!(config.upgrade_timeout, Duration::from_secs(10));
        assert_eq!(config.max_http_buffer_size, 1_000_000);
        assert_eq!(config.max_queued_packets, 4096);
        assert_eq!(config.path_prefix(), "/engine.io/");
        assert!(config.polling && config.websocket && config.allow_upgrades);
        assert!(!config.allow_eio3 && !config.per_message_deflate);
        assert!(config.cors.is_none() && config.cookie.is_none());
        assert_eq!(
            config.http_compression,
            Some(HttpCompression { threshold: 1024 })
        );
    }

    #[test]
    fn a_path_gets_its_missing_slashes() {
        for given in ["/rt/", "/rt", "rt/", "rt"] {
            assert_eq!(
                Config::default().path(given).path_prefix(),
                "/rt/",
                "{given}"
            );
        }
        assert_eq!(Config::default().path("/a/b").path_prefix(), "/a/b/");
    }

    #[test]
    fn max_queued_packets_is_at_least_one() {
        assert_eq!(
            Config::default().max_queued_packets(0).max_queued_packets,
            1
        );
        assert_eq!(
            Config::default().max_queued_packets(7).max_queued_packets,
            7
        );
    }
}
