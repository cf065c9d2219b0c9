//! [`ClientBuilder`] (a connection and its first namespace) and [`SocketBuilder`] (another
//! namespace on an existing connection).

use std::future::Future;
use std::time::Duration;

use duplex_socketio_proto::Parser;
use http::{HeaderName, HeaderValue};

use super::handlers::{self, Handlers};
use super::manager::split_url;
use super::socket::SocketShared;
use super::{
    Auth, ClientConfig, ConnectError, DisconnectReason, Incoming, Manager, Socket, SocketConfig,
};
use crate::engineio::client::{ProxyConfig, Transport};

/// Methods for the namespace's settings and callbacks, on both builders.
macro_rules! namespace_settings {
    () => {
        /// Sends `auth` (any serializable object) with every CONNECT.
        pub fn auth(mut self, auth: impl serde::Serialize) -> Self {
            self.socket.auth = serde_json::to_value(auth).map_or(Auth::None, Auth::Static);
            self
        }

        /// Computes the auth object before every connection attempt.
        pub fn auth_with<F, Fut>(mut self, f: F) -> Self
        where
            F: Fn() -> Fut + Send + Sync + 'static,
            Fut: Future<Output = Option<serde_json::Value>> + Send + 'static,
        {
            self.socket.auth = Auth::dynamic(f);
            self
        }

        /// Sets [`SocketConfig::ack_timeout`].
        pub fn ack_timeout(mut self, timeout: Duration) -> Self {
            self.socket.ack_timeout = Some(timeout);
            self
        }

        /// Sets [`SocketConfig::retries`].
        pub fn retries(mut self, retries: u32) -> Self {
            self.socket.retries = Some(retries);
            self
        }

        /// Sets [`SocketConfig::max_buffered`].
        pub fn max_buffered(mut self, packets: usize) -> Self {
            self.socket.max_buffered = packets;
            self
        }

        /// Handles event `event` (see [`Socket::on`]); registered before anything arrives.
        pub fn on<F, Fut>(mut self, event: impl Into<String>, handler: F) -> Self
        where
            F: Fn(Incoming) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
        {
            self.handlers
                .events
                .insert(event.into(), handlers::event_handler(handler));
            self
        }

        /// Handles every event (see [`Socket::on_any`]).
        pub fn on_any<F, Fut>(mut self, handler: F) -> Self
        where
            F: Fn(Incoming) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
        {
            self.handlers.any.push(handlers::event_handler(handler));
            self
        }

        /// See [`Socket::on_connect`].
        pub fn on_connect(mut self, f: impl Fn(&Socket) + Send + Sync + 'static) -> Self {
            self.handlers.on_connect(f);
            self
        }

        /// See [`Socket::on_disconnect`].
        pub fn on_disconnect(
            mut self,
            f: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static,
        ) -> Self {
            self.handlers.on_disconnect(f);
            self
        }

        /// See [`Socket::on_connect_error`].
        pub fn on_connect_error(
            mut self,
            f: impl Fn(&Socket, &ConnectError) + Send + Sync + 'static,
        ) -> Self {
            self.handlers.on_connect_error(f);
            self
        }
    };
}

/// A client: the connection's settings and its first namespace (from the URL's path, `/`
/// by default), like socket.io-client's `io(url, options)`.
///
/// [`build`](Self::build) starts connecting in the background and returns the socket;
/// [`connect`](Self::connect) also waits for the namespace to be connected.
#[derive(Debug)]
#[must_use = "a builder does nothing until built"]
pub struct ClientBuilder {
    url: String,
    nsp: String,
    config: ClientConfig,
    socket: SocketConfig,
    handlers: Handlers,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handlers")
            .field("events", &self.events.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A client of the server at `url`: `http://host:port/namespace?query`.
    pub fn new(url: impl Into<String>) -> ClientBuilder {
        let url = url.into();
        let nsp = split_url(&url).1.to_owned();
        ClientBuilder {
            url,
            nsp,
            config: ClientConfig::default(),
            socket: SocketConfig::default(),
            handlers: Handlers::default(),
        }
    }

    /// Replaces the whole connection configuration.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// The namespace, instead of the URL's path.
    pub fn namespace(mut self, nsp: impl Into<String>) -> Self {
        self.nsp = nsp.into();
        self
    }

    /// The transports, the first used for the handshake (see the Engine.IO
    /// [`ClientConfig`](crate::engineio::client::ClientConfig)).
    pub fn transports(mut self, transports: impl IntoIterator<Item = Transport>) -> Self {
        self.config.engine = self.config.engine.transports(transports);
        self
    }

    /// Whether to upgrade from polling to WebSocket.
    pub fn upgrade(mut self, upgrade: bool) -> Self {
        self.config.engine = self.config.engine.upgrade(upgrade);
        self
    }

    /// A query pair sent with every request.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.engine = self.config.engine.query(key, value);
        self
    }

    /// A header sent with every request.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.config.engine = self.config.engine.header(name, value);
        self
    }

    /// Time allowed for each connection attempt, up to the open packet. Default 20 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.engine = self.config.engine.connect_timeout(timeout);
        self
    }

    /// The HTTP proxy: by default from the standard environment variables (`HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`; see [`ProxyConfig`]).
    pub fn proxy(mut self, proxy: ProxyConfig) -> Self {
        self.config.engine = self.config.engine.proxy(proxy);
        self
    }

    /// The local address to connect from (see the Engine.IO
    /// [`ClientConfig::local_address`](crate::engineio::client::ClientConfig::local_address)).
    pub fn local_address(mut self, address: std::net::IpAddr) -> Self {
        self.config.engine = self.config.engine.local_address(address);
        self
    }

    /// The rustls configuration for `https://` servers; by default the webpki roots.
    #[cfg(feature = "tls")]
    pub fn tls(
        mut self,
        tls: std::sync::Arc<crate::engineio::client::rustls::ClientConfig>,
    ) -> Self {
        self.config.engine = self.config.engine.tls(tls);
        self
    }

    /// The Engine.IO path on the server. Default `/socket.io/`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.config.path = path.into();
        self
    }

    /// Whether to reconnect by itself. Default `true`.
    pub fn reconnection(mut self, reconnection: bool) -> Self {
        self.config.reconnection = reconnection;
        self
    }

    /// Attempts before giving up. Default unlimited.
    pub fn reconnection_attempts(mut self, attempts: u32) -> Self {
        self.config.reconnection_attempts = attempts;
        self
    }

    /// The first delay between attempts. Default 1 s.
    pub fn reconnection_delay(mut self, delay: Duration) -> Self {
        self.config.backoff.min = delay;
        self
    }

    /// The longest delay between attempts. Default 5 s.
    pub fn reconnection_delay_max(mut self, delay: Duration) -> Self {
        self.config.backoff.max = delay;
        self
    }

    /// How far each delay is moved at random, 0 to 1. Default 0.5.
    pub fn randomization_factor(mut self, factor: f64) -> Self {
        self.config.backoff.jitter = factor;
        self
    }

    /// The packet encoding; it must match the server's.
    pub fn parser(mut self, parser: Parser) -> Self {
        self.config.parser = parser;
        self
    }

    namespace_settings!();

    /// Starts connecting and returns the socket at once.
    pub fn build(self) -> Socket {
        let manager = Manager::new(&self.url, self.config);
        SocketBuilder {
            manager,
            nsp: self.nsp,
            socket: self.socket,
            handlers: self.handlers,
        }
        .build()
    }

    /// Connects and waits until the namespace is: `Err` on a refusal, or when the
    /// connection failed and no attempt is left (reconnection off or exhausted). While
    /// attempts go on this waits; bound it with a timeout, or use [`build`](Self::build).
    pub async fn connect(self) -> Result<Socket, ConnectError> {
        let socket = self.build();
        socket.wait_connected().await?;
        Ok(socket)
    }
}

/// Another namespace on a [`Manager`]'s connection, from [`Manager::socket`].
#[derive(Debug)]
#[must_use = "a builder does nothing until built"]
pub struct SocketBuilder {
    manager: Manager,
    nsp: String,
    socket: SocketConfig,
    handlers: Handlers,
}

impl SocketBuilder {
    pub(crate) fn new(manager: Manager, nsp: &str) -> SocketBuilder {
        SocketBuilder {
            manager,
            nsp: nsp.to_owned(),
            socket: SocketConfig::default(),
            handlers: Handlers::default(),
        }
    }

    namespace_settings!();

    /// Starts connecting the namespace (opening the connection if needed) and returns the
    /// socket at once.
    pub fn build(self) -> Socket {
        let shared = SocketShared::new(self.manager.shared, &self.nsp, self.socket, self.handlers);
        let socket = Socket { shared };
        socket.connect();
        socket
    }

    /// Connects and waits until the namespace is (see [`ClientBuilder::connect`]).
    pub async fn connect(self) -> Result<Socket, ConnectError> {
        let socket = self.build();
        socket.wait_connected().await?;
        Ok(socket)
    }
}
