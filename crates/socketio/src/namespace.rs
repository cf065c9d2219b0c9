//! Namespaces: the sockets of one name (`/`, `/chat`), their rooms, the connection handler
//! and the middlewares a client passes to join.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use duplex_engineio::Sid;
use duplex_socketio_proto::{Packet, PacketType, Parser, Utf8Bytes};

use crate::adapter::{Adapter, BroadcastOptions};
use crate::config::SocketIoConfig;
use crate::recovery::{MissedEvent, RecoveryLog, Session};

use crate::error::ConnectError;
use crate::extensions::Extensions;
use crate::handler::{BoxFuture, SocketRef};
use crate::metrics::SocketIoMetrics;
use crate::observe::{Hooks, room_change};
use crate::rooms::{Room, RoomIndex};
use crate::sid_hash::SidMap;
use crate::socket::Socket;

pub(crate) type ConnectHandler = Arc<dyn Fn(SocketRef) -> BoxFuture<'static, ()> + Send + Sync>;
pub(crate) type Middleware =
    Arc<dyn Fn(SocketRef) -> BoxFuture<'static, Result<(), ConnectError>> + Send + Sync>;

/// What a namespace (or a family of dynamic namespaces) runs for joining clients.
pub(crate) struct NamespaceHandlers {
    pub(crate) connect: ConnectHandler,
    pub(crate) middlewares: RwLock<Vec<Middleware>>,
    /// The namespaces created from a dynamic one (empty for a static namespace).
    pub(crate) children: RwLock<Vec<Arc<Namespace>>>,
}

pub(crate) struct Namespace {
    name: String,
    handlers: Arc<NamespaceHandlers>,
    sockets: RwLock<SidMap<Arc<Socket>>>,
    rooms: RwLock<RoomIndex>,
    ack_timeout: Option<Duration>,
    parser: Parser,
    pub(crate) adapter: Arc<dyn Adapter>,
    pub(crate) adapter_timeout: Duration,
    recovery: Option<Mutex<RecoveryLog>>,
    skip_middlewares_on_recovery: bool,
    /// The server's app-wide state.
    pub(crate) state: Arc<Extensions>,
    pub(crate) hooks: Arc<Hooks>,
    /// The server's counters, when metrics are on.
    pub(crate) metrics: Option<Arc<SocketIoMetrics>>,
}

impl Namespace {
    pub(crate) fn new(
        name: String,
        handlers: Arc<NamespaceHandlers>,
        config: &SocketIoConfig,
        adapter: Arc<dyn Adapter>,
    ) -> Namespace {
        Namespace {
            name,
            handlers,
            sockets: RwLock::default(),
            rooms: RwLock::default(),
            ack_timeout: config.ack_timeout,
            parser: config.parser,
            adapter,
            adapter_timeout: config.adapter_timeout,
            recovery: config.recovery.map(|r| Mutex::new(RecoveryLog::new(r))),
            skip_middlewares_on_recovery: config.recovery.is_some_and(|r| r.skip_middlewares),
            state: config.state.clone(),
            hooks: config.hooks.clone(),
            metrics: config.metrics.clone(),
        }
    }

    /// Whether connection state recovery is on.
    pub(crate) fn recovers(&self) -> bool {
        self.recovery.is_some()
    }

    /// With recovery on, gives an event its offset and keeps it for the selected sockets.
    pub(crate) fn record(&self, packet: &mut Packet, opts: &BroadcastOptions) {
        if let Some(log) = &self.recovery {
            if packet.kind == PacketType::Event && packet.id.is_none() && !opts.volatile {
                lock(log).record(packet, opts);
            }
        }
    }

    /// With recovery on, keeps a socket's state for its return.
    pub(crate) fn persist(&self, sid: Sid, pid: String, rooms: Vec<Room>) {
        if let Some(log) = &self.recovery {
            lock(log).persist(sid, pid, rooms);
        }
    }

    /// The session `auth` (`{"pid":..,"offset":..}`) asks to recover, and what it missed.
    pub(crate) fn restore(&self, auth: Option<&str>) -> Option<Restored> {
        let log = self.recovery.as_ref()?;
        #[derive(serde::Deserialize)]
        struct Resume {
            pid: String,
            offset: String,
        }
        let resume: Resume = serde_json::from_str(auth?).ok()?;
        let (session, missed) = lock(log).restore(&resume.pid, &resume.offset)?;
        Some(Restored { session, missed })
    }

    /// `packet` encoded for one of this namespace's clients: the packet, then its attachments.
    pub(crate) fn encode(&self, packet: &Packet) -> Vec<duplex_engineio::Message> {
        self.parser.encode(packet)
    }

    /// `packet` encoded for this namespace's clients, once for all of them.
    pub(crate) fn prepare(&self, packet: &Packet) -> Vec<duplex_engineio::PreparedMessage> {
        self.encode(packet)
            .into_iter()
            .map(duplex_engineio::PreparedMessage::new)
            .collect()
    }

    /// Every namespace created from the same dynamic namespace (none for a static one).
    pub(crate) fn siblings(&self) -> Vec<Arc<Namespace>> {
        read(&self.handlers.children).clone()
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn ack_timeout(&self) -> Option<Duration> {
        self.ack_timeout
    }

    /// Runs the middlewares, then connects `socket` (answering `40{"sid":...}` and calling the
    /// connection handler) or refuses it (`44{"message":...}`).
    pub(crate) async fn connect(self: Arc<Self>, socket: Arc<Socket>) -> bool {
        let skip = socket.recovered() && self.skip_middlewares_on_recovery;
        let middlewares: Vec<Middleware> = if skip {
            Vec::new()
        } else {
            read(&self.handlers.middlewares).clone()
        };
        for middleware in middlewares {
            if let Err(refusal) = middleware(socket.clone()).await {
                tracing::debug!(sid = %socket.id(), namespace = %self.name, transport = %socket.transport(), "connection refused by a middleware");
                let packet = Packet::connect_error(&self.name, Utf8Bytes::from(refusal.to_json()));
                let _ = socket.conn.send_all(self.encode(&packet));
                return false;
            }
        }
        if socket.conn.is_closed() {
            return false;
        }
        socket.set_connected();
        tracing::debug!(sid = %socket.id(), conn = %socket.conn.id(), namespace = %self.name, transport = %socket.transport(), recovered = socket.recovered(), "socket connected");
        let ack = match socket.pid() {
            Some(pid) => format!(r#"{{"sid":"{}","pid":"{pid}"}}"#, socket.id()),
            None => format!(r#"{{"sid":"{}"}}"#, socket.id()),
        };
        let _ = socket.send_packet(&Packet::connect(&self.name, Some(Utf8Bytes::from(ack))));
        write(&self.sockets).insert(socket.id(), socket.clone());
        self.join(socket.id(), &[Room::from(socket.id().to_string())]);
        let (rooms, missed) = socket.take_missed();
        self.join(socket.id(), &rooms);
        for (data, attachments) in missed {
            let _ =
                socket.send_packet(&Packet::event(&self.name, data).with_attachments(attachments));
        }
        if let Some(observer) = self.hooks.get() {
            observer.socket_connected(&socket);
        }
        (self.handlers.connect)(socket).await;
        true
    }

    /// How many sockets are connected.
    pub(crate) fn socket_count(&self) -> usize {
        read(&self.sockets).len()
    }

    pub(crate) fn remove(&self, socket: &Socket) {
        let sid = socket.id();
        let change = room_change(&self.hooks, &self.rooms, sid, |index| index.leave_all(sid));
        write(&self.sockets).remove(&sid);
        if let Some(change) = change {
            change.report(&self.name, sid);
        }
    }

    pub(crate) fn join(&self, sid: Sid, rooms: &[Room]) {
        let change = room_change(&self.hooks, &self.rooms, sid, |index| {
            index.join(sid, rooms)
        });
        if let Some(change) = change {
            change.report(&self.name, sid);
        }
    }

    pub(crate) fn leave(&self, sid: Sid, rooms: &[Room]) {
        let change = room_change(&self.hooks, &self.rooms, sid, |index| {
            index.leave(sid, rooms)
        });
        if let Some(change) = change {
            change.report(&self.name, sid);
        }
    }

    /// The connected sockets.
    #[cfg(feature = "admin-ui")]
    pub(crate) fn sockets(&self) -> Vec<Arc<Socket>> {
        read(&self.sockets).values().cloned().collect()
    }

    pub(crate) fn rooms_of(&self, sid: Sid) -> Vec<Room> {
        read(&self.rooms).rooms_of(sid)
    }

    pub(crate) fn all_rooms(&self) -> Vec<Room> {
        read(&self.rooms).all_rooms()
    }

    /// The sockets in any of `rooms` (all when empty), in none of `except`, and not `skip`.
    pub(crate) fn select(&self, rooms: &[Room], except: &[Room], skip: &[Sid]) -> Vec<Arc<Socket>> {
        let sockets = read(&self.sockets);
        let mut selected = Vec::with_capacity(if rooms.is_empty() { sockets.len() } else { 0 });
        read(&self.rooms).select(rooms, except, sockets.keys().copied(), |sid| {
            if !skip.contains(&sid) {
                if let Some(socket) = sockets.get(&sid) {
                    selected.push(socket.clone());
                }
            }
        });
        selected
    }
}

/// A recovered session and the events it missed (data with offsets, attachments).
pub(crate) struct Restored {
    pub(crate) session: Session,
    pub(crate) missed: Vec<MissedEvent>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}
