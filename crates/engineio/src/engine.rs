//! The server: its options, the application's handler, the open sessions, and the task that
//! keeps each session's heartbeat.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use duplex_engineio_proto::{
    Heartbeat, HeartbeatEvent, OpenPacket, Packet, Protocol, Sid, Utf8Bytes,
};
use duplex_ws::proto::handshake::ServerHandshake;
use duplex_ws::{DeflateConfig, ServerConfig};
use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};

use crate::config::{Config, Transport};
use crate::handler::{CloseReason, Handler};
use crate::metrics::{Direction, EngineMetrics, Exposition, Tally};
use crate::request::HandshakeRequest;
use crate::service::{EngineIoLayer, EngineIoService, NotFound};
use crate::socket::Socket;

/// An Engine.IO server: cheap to clone, every clone is the same server.
///
/// Mount it with [`layer`](EngineIo::layer) (axum, tower) or [`service`](EngineIo::service)
/// (bare hyper), or run it alone with [`serve`](crate::serve).
pub struct EngineIo<H> {
    pub(crate) shared: Arc<Shared<H>>,
}

impl<H> Clone for EngineIo<H> {
    fn clone(&self) -> Self {
        EngineIo {
            shared: self.shared.clone(),
        }
    }
}

pub(crate) struct Shared<H> {
    pub(crate) config: Config,
    pub(crate) handler: H,
    pub(crate) ws: ServerConfig,
    /// Present when [`Config::metrics`] is on.
    metrics: Option<EngineMetrics>,
    sessions: RwLock<HashMap<Sid, Arc<Socket>>>,
    shutting_down: AtomicBool,
    sessions_changed: Notify,
}

impl<H: Handler> EngineIo<H> {
    /// A server with `config`, calling `handler` for every session.
    pub fn new(config: Config, handler: H) -> EngineIo<H> {
        let ws_limits = duplex_ws::Config::default()
            .max_message_size(config.max_http_buffer_size)
            .max_frame_size(config.max_http_buffer_size);
        let mut handshake = ServerHandshake::new();
        if config.per_message_deflate {
            handshake = handshake.deflate(Some(DeflateConfig::default()));
        }
        let ws = ServerConfig::default()
            .config(ws_limits)
            .handshake(handshake);
        let metrics = config.metrics.then(EngineMetrics::default);
        EngineIo {
            shared: Arc::new(Shared {
                metrics,
                config,
                handler,
                ws,
                sessions: RwLock::new(HashMap::new()),
                shutting_down: AtomicBool::new(false),
                sessions_changed: Notify::new(),
            }),
        }
    }

    /// The options.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The application's handler.
    pub fn handler(&self) -> &H {
        &self.shared.handler
    }

    /// A tower layer: requests under the configured path go to Engine.IO, all others to the
    /// inner service.
    pub fn layer(&self) -> EngineIoLayer<H> {
        EngineIoLayer::new(self.clone())
    }

    /// The Engine.IO service alone; requests outside the path get 404.
    pub fn service(&self) -> EngineIoService<H, NotFound> {
        EngineIoService::new(self.clone(), NotFound)
    }

    /// The open session with this id.
    pub fn socket(&self, sid: Sid) -> Option<Arc<Socket>> {
        self.shared.lookup(sid)
    }

    /// Every open session.
    pub fn sockets(&self) -> Vec<Arc<Socket>> {
        self.shared.read().values().cloned().collect()
    }

    /// How many sessions are open.
    pub fn session_count(&self) -> usize {
        self.shared.read().len()
    }

    /// Appends the Engine.IO metric families (Prometheus text format) to `out`; nothing when
    /// [`Config::metrics`] is off. Open sessions are counted from the session table now.
    pub fn encode_metrics(&self, out: &mut Exposition) {
        let Some(metrics) = &self.shared.metrics else {
            return;
        };
        let mut sessions = [0; 2];
        for socket in self.shared.read().values() {
            if !socket.is_closed() {
                sessions[usize::from(socket.transport() == Transport::Websocket)] += 1;
            }
        }
        metrics.encode(sessions, out);
    }

    /// Graceful shutdown: refuses new sessions, closes every session with reason
    /// `server shutting down` (pending long-polls return the close packet, WebSockets get a
    /// close frame), and returns once every session's `on_close` has run.
    pub async fn shutdown(&self) {
        self.shared.shutting_down.store(true, Ordering::Release);
        for socket in self.sockets() {
            socket.close_with(CloseReason::ServerShutdown);
        }
        loop {
            let changed = self.shared.sessions_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.shared.read().is_empty() {
                return;
            }
            changed.await;
        }
    }
}

impl<H> Shared<H> {
    /// Records traffic when metrics are on (`tally` is not called when they are off).
    pub(crate) fn traffic(
        &self,
        transport: Transport,
        direction: Direction,
        tally: impl FnOnce() -> Tally,
    ) {
        if let Some(metrics) = &self.metrics {
            metrics.traffic(transport, direction, tally());
        }
    }

    pub(crate) fn upgraded(&self, socket: &Socket) {
        tracing::debug!(sid = %socket.id(), from = %Transport::Polling, transport = %Transport::Websocket, "session upgraded");
        if let Some(metrics) = &self.metrics {
            metrics.upgrade();
        }
    }
}

impl<H: Handler> Shared<H> {
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Sid, Arc<Socket>>> {
        self.sessions.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn lookup(&self, sid: Sid) -> Option<Arc<Socket>> {
        self.read().get(&sid).cloned()
    }

    /// Opens a session: queues the open packet, registers it, starts its heartbeat task and
    /// tells the application.
    pub(crate) fn open_session(
        self: &Arc<Self>,
        protocol: Protocol,
        transport: Transport,
        request: Arc<HandshakeRequest>,
    ) -> Arc<Socket> {
        let config = &self.config;
        let heartbeat = Heartbeat::new(
            protocol,
            config.ping_interval,
            config.ping_timeout,
            Instant::now().into_std(),
        );
        let socket = Arc::new(Socket::new(
            protocol,
            transport,
            request,
            heartbeat,
            config.max_queued_packets,
        ));
        let upgrades: &[&str] =
            if transport == Transport::Polling && config.allow_upgrades && config.websocket {
                &["websocket"]
            } else {
                &[]
            };
        let open = OpenPacket::new(
            socket.id().as_str(),
            upgrades,
            config.ping_interval,
            config.ping_timeout,
            config.max_http_buffer_size,
        );
        socket
            .outbox
            .push_control(Packet::Open(Utf8Bytes::from(open.to_json())));
        self.sessions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(socket.id(), socket.clone());
        tracing::debug!(sid = %socket.id(), %transport, protocol = ?protocol, "session opened");
        if let Some(metrics) = &self.metrics {
            metrics.handshake(transport);
        }
        tokio::spawn(run_session(self.clone(), socket.clone()));
        self.handler.on_open(&socket);
        // A shutdown that began while this session was opening did not see it.
        if self.is_shutting_down() {
            socket.close_with(CloseReason::ServerShutdown);
        }
        socket
    }

    /// Acts on a packet from the client, whichever transport brought it.
    pub(crate) fn on_packet(&self, socket: &Arc<Socket>, packet: Packet) {
        if socket.is_closed() {
            return;
        }
        let now = || Instant::now().into_std();
        if socket.protocol() == Protocol::V4 && !matches!(packet, Packet::Pong(_)) {
            lock(&socket.heartbeat).on_packet(now());
        }
        match (packet, socket.protocol()) {
            (Packet::Message(message), _) => self.handler.on_message(socket, message),
            (Packet::Pong(_), Protocol::V4) => {
                lock(&socket.heartbeat).on_pong(now());
                socket.heartbeat_moved.notify_one();
            }
            (Packet::Ping(data), Protocol::V3) => {
                lock(&socket.heartbeat).on_ping(now());
                socket.outbox.push_control(Packet::Pong(data));
            }
            // v4 clients answer pings and never send them (except the upgrade probe, which
            // goes to the probing WebSocket, not here); v3 clients never answer.
            (Packet::Ping(_) | Packet::Pong(_), _) => {
                tracing::debug!(sid = %socket.id(), transport = %socket.transport(), "heartbeat in the wrong direction");
                socket.close_with(CloseReason::TransportError);
            }
            (Packet::Close, _) => {
                socket.close_with(CloseReason::TransportClose);
            }
            (Packet::Open(_) | Packet::Upgrade | Packet::Noop, _) => {}
        }
    }

    fn remove(&self, sid: Sid) {
        let mut sessions = self.sessions.write().unwrap_or_else(|e| e.into_inner());
        sessions.remove(&sid);
        drop(sessions);
        self.sessions_changed.notify_waiters();
    }
}

pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The heartbeat is plain data updated in one step; a panic elsewhere cannot corrupt it.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A session's own task: pings on time, closes a silent session, and when the session ends
/// for any reason, tells the application, lets a long-poll collect what is still queued (after
/// an application close), and unregisters it. It is the only timer a session has, and it ends
/// with the session.
async fn run_session<H: Handler>(shared: Arc<Shared<H>>, socket: Arc<Socket>) {
    loop {
        let Some(deadline) = lock(&socket.heartbeat).deadline() else {
            break;
        };
        tokio::select! {
            _ = sleep_until(Instant::from_std(deadline)) => {
                let event = lock(&socket.heartbeat).poll(Instant::now().into_std());
                match event {
                    Some(HeartbeatEvent::SendPing) => {
                        socket.outbox.push_control(Packet::Ping(Utf8Bytes::default()));
                    }
                    Some(HeartbeatEvent::Expired) => {
                        socket.close_with(CloseReason::PingTimeout);
                    }
                    None => {}
                }
            }
            // A pong can bring the next ping closer than the deadline slept on (when
            // ping_timeout > ping_interval).
            _ = socket.heartbeat_moved.notified() => {}
            _ = socket.closed.cancelled() => break,
        }
    }
    let reason = socket.close_reason().unwrap_or(CloseReason::TransportClose);
    tracing::debug!(sid = %socket.id(), transport = %socket.transport(), %reason, "session closed");
    if let Some(metrics) = &shared.metrics {
        metrics.closed(reason);
    }
    shared.handler.on_close(&socket, reason);
    if reason == CloseReason::ForcedClose && socket.transport() == Transport::Polling {
        // What the application sent before closing, and then the close packet, wait for the
        // client's next polls, as the reference server keeps them (bounded here by
        // ping_timeout: a client that does not poll by then is gone anyway).
        let _ = tokio::time::timeout(shared.config.ping_timeout, socket.outbox.drained()).await;
    }
    shared.remove(socket.id());
}
