//! The server: namespaces, their handlers, and the Engine.IO server underneath.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use duplex_engineio::metrics::Exposition;
use duplex_engineio::{
    Config as EngineConfig, Cors, EngineIo, EngineIoLayer, EngineIoService, NotFound, Transport,
};
use serde::Serialize;

use duplex_socketio_proto::{Packet, args};

use crate::adapter::{Adapter, AdapterError, LocalAdapter, bounded};
use crate::config::SocketIoConfig;
use crate::connection::EngineHandler;
use crate::error::{ConnectError, SendError};
use crate::handler::SocketRef;
use crate::metrics::SocketIoMetrics;
use crate::namespace::{Namespace, NamespaceHandlers, read, write};
use crate::operators::BroadcastOperators;
use crate::recovery::RecoveryConfig;
use crate::rooms::IntoRooms;

type Matcher = Arc<dyn Fn(&str) -> bool + Send + Sync>;

pub(crate) struct IoInner {
    pub(crate) config: SocketIoConfig,
    adapter: Arc<dyn Adapter>,
    namespaces: RwLock<HashMap<String, Arc<Namespace>>>,
    dynamic: RwLock<Vec<(Matcher, Arc<NamespaceHandlers>)>>,
}

impl IoInner {
    /// Every namespace created so far (static, and dynamic ones in use).
    #[cfg(feature = "admin-ui")]
    pub(crate) fn namespaces(&self) -> Vec<Arc<Namespace>> {
        read(&self.namespaces).values().cloned().collect()
    }

    /// The namespace `name`: a static one, or a dynamic one created on first use.
    pub(crate) fn namespace(&self, name: &str) -> Option<Arc<Namespace>> {
        if let Some(ns) = read(&self.namespaces).get(name) {
            return Some(ns.clone());
        }
        let handlers = read(&self.dynamic)
            .iter()
            .find(|(matches, _)| matches(name))
            .map(|(_, handlers)| handlers.clone())?;
        let mut namespaces = write(&self.namespaces);
        let ns = namespaces.entry(name.to_owned()).or_insert_with(|| {
            let child = Arc::new(Namespace::new(
                name.to_owned(),
                handlers.clone(),
                &self.config,
                self.adapter.clone(),
            ));
            write(&handlers.children).push(child.clone());
            child
        });
        Some(ns.clone())
    }
}

/// A Socket.IO server. Cheap to clone.
///
/// ```no_run
/// use duplex_socketio::{Data, SocketIo, SocketRef, AckSender};
///
/// # async fn run() -> std::io::Result<()> {
/// let io = SocketIo::builder().build();
/// io.ns("/", |socket: SocketRef| async move {
///     socket.on("chat message", |socket: SocketRef, Data(text): Data<String>, ack: AckSender| async move {
///         let _ = socket.broadcast().emit("chat message", &text);
///         let _ = ack.send("delivered");
///     });
/// });
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// duplex_socketio::serve(listener, io).await
/// # }
/// ```
#[derive(Clone)]
pub struct SocketIo {
    inner: Arc<IoInner>,
    engine: EngineIo<EngineHandler>,
}

/// Builds a [`SocketIo`] with one set of options for both layers.
#[derive(Clone)]
pub struct SocketIoBuilder {
    engine: EngineConfig,
    config: SocketIoConfig,
    adapter: Arc<dyn Adapter>,
    metrics: bool,
}

impl std::fmt::Debug for SocketIoBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoBuilder")
            .field("engine", &self.engine)
            .field("config", &self.config)
            .field("metrics", &self.metrics)
            .finish()
    }
}

impl Default for SocketIoBuilder {
    fn default() -> Self {
        SocketIoBuilder {
            engine: EngineConfig::default().path("/socket.io/"),
            config: SocketIoConfig::default(),
            adapter: Arc::new(LocalAdapter),
            metrics: false,
        }
    }
}

impl SocketIoBuilder {
    /// Where requests are answered. Default `/socket.io/`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.engine = self.engine.path(path);
        self
    }

    /// Time between pings. Default 25 s.
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.engine = self.engine.ping_interval(interval);
        self
    }

    /// Time to answer a ping. Default 20 s.
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.engine = self.engine.ping_timeout(timeout);
        self
    }

    /// Largest message or polling body. Default 1 MB.
    pub fn max_http_buffer_size(mut self, bytes: usize) -> Self {
        self.engine = self.engine.max_http_buffer_size(bytes);
        self
    }

    /// Enabled transports. Default both.
    pub fn transports(mut self, transports: impl IntoIterator<Item = Transport>) -> Self {
        self.engine = self.engine.transports(transports);
        self
    }

    /// Cross-origin access.
    pub fn cors(mut self, cors: Cors) -> Self {
        self.engine = self.engine.cors(cors);
        self
    }

    /// Time a connection has to join a namespace. Default 45 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Default acknowledgement timeout. Default none.
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.config.ack_timeout = Some(timeout);
        self
    }

    /// The packet format (default socket.io-parser's; `Parser::MsgPack` with feature
    /// `msgpack`).
    pub fn parser(mut self, parser: duplex_socketio_proto::Parser) -> Self {
        self.config.parser = parser;
        self
    }

    /// How broadcasts and queries reach other nodes. Default [`LocalAdapter`] (one node).
    pub fn adapter(mut self, adapter: impl Adapter) -> Self {
        self.adapter = Arc::new(adapter);
        self
    }

    /// Turns connection state recovery on: a client that reconnects in time gets its socket
    /// back (id, rooms) and the events it missed.
    pub fn connection_state_recovery(mut self, recovery: RecoveryConfig) -> Self {
        self.config.recovery = Some(recovery);
        self
    }

    /// How long an adapter operation may take. Default 5 s.
    pub fn adapter_timeout(mut self, timeout: Duration) -> Self {
        self.config.adapter_timeout = timeout;
        self
    }

    /// Every Engine.IO option at once (its `path` default is `/engine.io/`: set it).
    pub fn engine_config(mut self, config: EngineConfig) -> Self {
        self.engine = config;
        self
    }

    /// Makes `value` available to every handler as [`State<T>`](crate::State) (and through
    /// [`Socket::state`](crate::Socket::state)), one value per type. Values are cloned out for
    /// each handler: share big or mutable state through an `Arc`.
    pub fn with_state<T: std::any::Any + Send + Sync>(self, value: T) -> Self {
        self.config.state.insert(value);
        self
    }

    /// Counts what an operator watches, for [`SocketIo::encode_metrics`] (Prometheus):
    /// Engine.IO handshakes, sessions, packets and bytes (see
    /// [`Config::metrics`](duplex_engineio::Config::metrics)), connected sockets per
    /// namespace, broadcasts and their recipients, ack latency and disconnects by reason.
    /// Default off; when on, each record is a relaxed atomic add.
    pub fn metrics(mut self, on: bool) -> Self {
        self.metrics = on;
        self
    }

    /// The server.
    pub fn build(mut self) -> SocketIo {
        if self.metrics {
            self.engine = self.engine.metrics(true);
            self.config.metrics = Some(Arc::new(SocketIoMetrics::default()));
        }
        let inner = Arc::new(IoInner {
            config: self.config,
            adapter: self.adapter,
            namespaces: RwLock::default(),
            dynamic: RwLock::default(),
        });
        let engine = EngineIo::new(self.engine, EngineHandler { io: inner.clone() });
        SocketIo { inner, engine }
    }
}

/// A namespace, to add middlewares or broadcast to it.
#[derive(Clone)]
pub struct NamespaceRef {
    handlers: Arc<NamespaceHandlers>,
    ns: Option<Arc<Namespace>>,
}

impl NamespaceRef {
    /// Runs `middleware` for every client joining (`io.of(..).use(...)`): an error refuses the
    /// client with `connect_error`.
    pub fn use_middleware<F, Fut>(&self, middleware: F) -> &Self
    where
        F: Fn(SocketRef) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        write(&self.handlers.middlewares).push(Arc::new(move |s| Box::pin(middleware(s))));
        self
    }

    /// Broadcast operators over this namespace, or for a dynamic one over every namespace
    /// created from it so far (socket.io's parent namespace).
    pub fn operators(&self) -> BroadcastOperators {
        match &self.ns {
            Some(ns) => BroadcastOperators::new(ns.clone()),
            None => BroadcastOperators::over(read(&self.handlers.children).clone()),
        }
    }
}

impl SocketIo {
    /// Options for a new server.
    pub fn builder() -> SocketIoBuilder {
        SocketIoBuilder::default()
    }

    /// Serves namespace `path`, calling `handler` for each socket that joins.
    pub fn ns<F, Fut>(&self, path: impl Into<String>, handler: F) -> NamespaceRef
    where
        F: Fn(SocketRef) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handlers = Arc::new(NamespaceHandlers {
            connect: Arc::new(move |s| Box::pin(handler(s))),
            middlewares: RwLock::default(),
            children: RwLock::default(),
        });
        let name = path.into();
        let ns = Arc::new(Namespace::new(
            name.clone(),
            handlers.clone(),
            &self.inner.config,
            self.inner.adapter.clone(),
        ));
        write(&self.inner.namespaces).insert(name, ns.clone());
        NamespaceRef {
            handlers,
            ns: Some(ns),
        }
    }

    /// Serves every namespace whose name `matches` (created on first use, sharing `handler`
    /// and the middlewares).
    pub fn dyn_ns<M, F, Fut>(&self, matches: M, handler: F) -> NamespaceRef
    where
        M: Fn(&str) -> bool + Send + Sync + 'static,
        F: Fn(SocketRef) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handlers = Arc::new(NamespaceHandlers {
            connect: Arc::new(move |s| Box::pin(handler(s))),
            middlewares: RwLock::default(),
            children: RwLock::default(),
        });
        write(&self.inner.dynamic).push((Arc::new(matches), handlers.clone()));
        NamespaceRef { handlers, ns: None }
    }

    /// Broadcast operators over namespace `path`, if it exists.
    pub fn of(&self, path: &str) -> Option<BroadcastOperators> {
        read(&self.inner.namespaces)
            .get(path)
            .cloned()
            .map(BroadcastOperators::new)
    }

    fn root(&self) -> BroadcastOperators {
        let ns = self.inner.namespace("/").unwrap_or_else(|| {
            // Broadcasting to `/` before it is declared reaches nobody.
            Arc::new(Namespace::new(
                "/".into(),
                Arc::new(NamespaceHandlers {
                    connect: Arc::new(|_| Box::pin(async {})),
                    middlewares: RwLock::default(),
                    children: RwLock::default(),
                }),
                &self.inner.config,
                self.inner.adapter.clone(),
            ))
        });
        BroadcastOperators::new(ns)
    }

    /// Sends to every socket of `/`.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), SendError> {
        self.root().emit(event, args)
    }

    /// Broadcast to rooms of `/`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperators {
        self.root().to(rooms)
    }

    /// Broadcast to `/` except rooms.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperators {
        self.root().except(rooms)
    }

    /// Sends an event to the other nodes' servers through the adapter (`serverSideEmit`).
    pub async fn server_side_emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), AdapterError> {
        let (data, attachments) =
            args::encode_event(event, args).map_err(|e| AdapterError::Other(e.to_string()))?;
        let packet = Packet::event("/", data).with_attachments(attachments);
        let limit = self.inner.config.adapter_timeout;
        bounded(limit, self.inner.adapter.server_side_emit("/", &packet)).await
    }

    /// How many nodes serve this audience (1 with the in-memory adapter).
    pub async fn server_count(&self) -> Result<usize, AdapterError> {
        bounded(
            self.inner.config.adapter_timeout,
            self.inner.adapter.server_count(),
        )
        .await
    }

    /// The tower layer: Socket.IO at its path, the inner service for the rest.
    pub fn layer(&self) -> EngineIoLayer<EngineHandler> {
        self.engine.layer()
    }

    /// The service alone (404 outside the path).
    pub fn service(&self) -> EngineIoService<EngineHandler, NotFound> {
        self.engine.service()
    }

    /// Appends the metric families (Prometheus text format) of both layers to `out`; nothing
    /// unless [`SocketIoBuilder::metrics`] turned them on.
    ///
    /// ```
    /// use duplex_socketio::SocketIo;
    /// use duplex_socketio::engineio::metrics::Exposition;
    ///
    /// let io = SocketIo::builder().metrics(true).build();
    /// io.ns("/", |_socket| async {});
    /// let mut out = Exposition::new();
    /// io.encode_metrics(&mut out);
    /// assert!(out.as_str().contains("socketio_connected_sockets{namespace=\"/\"} 0\n"));
    /// ```
    pub fn encode_metrics(&self, out: &mut Exposition) {
        self.engine.encode_metrics(out);
        if let Some(metrics) = &self.inner.config.metrics {
            let mut namespaces: Vec<(String, usize)> = read(&self.inner.namespaces)
                .values()
                .map(|ns| (ns.name().to_owned(), ns.socket_count()))
                .collect();
            namespaces.sort();
            metrics.encode(&namespaces, out);
        }
    }

    /// Closes every connection (reason `server shutting down`).
    pub async fn shutdown(&self) {
        self.engine.shutdown().await;
    }

    pub(crate) fn engine(&self) -> &EngineIo<EngineHandler> {
        &self.engine
    }

    #[cfg(feature = "admin-ui")]
    pub(crate) fn inner(&self) -> &Arc<IoInner> {
        &self.inner
    }
}

/// Serves `io` alone on `listener`.
pub async fn serve(listener: tokio::net::TcpListener, io: SocketIo) -> std::io::Result<()> {
    duplex_engineio::serve(listener, io.engine().clone()).await
}

/// Serves `io` until `signal`, then shuts down gracefully.
pub async fn serve_with_shutdown<F: Future<Output = ()>>(
    listener: tokio::net::TcpListener,
    io: SocketIo,
    signal: F,
) -> std::io::Result<()> {
    duplex_engineio::serve_with_shutdown(listener, io.engine().clone(), signal).await
}
