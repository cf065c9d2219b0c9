//! A client's connection to one namespace: its handlers, emits, acks, rooms and state.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime};

use duplex_engineio::{HandshakeRequest, PreparedMessage, Sid, Transport};
use duplex_socketio_proto::{Packet, Utf8Bytes, args};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use crate::ack::{AckFuture, AckResponse};
use crate::adapter::BroadcastOptions;
use crate::error::SendError;
use crate::extensions::Extensions;
use crate::handler::{
    BoxFuture, BoxedEventHandler, EventContext, EventHandler, RawArgs, boxed_event_handler, run,
};
use crate::namespace::{Namespace, Restored};
use crate::operators::BroadcastOperators;
use crate::reason::DisconnectReason;
use crate::recovery::MissedEvent;
use crate::rooms::{IntoRooms, Room};

type DisconnectHandler =
    Box<dyn FnOnce(Arc<Socket>, DisconnectReason) -> BoxFuture<'static, ()> + Send>;
type EventMiddleware = Arc<dyn Fn(&EventContext) -> Result<(), String> + Send + Sync>;
type OutgoingHandler = Arc<dyn Fn(&str, &str) + Send + Sync>;
/// An emit waiting for the client's answer; with metrics on, since when.
type PendingAck = (oneshot::Sender<AckResponse>, Option<Instant>);

/// What the client sent when it joined the namespace.
#[derive(Debug)]
pub struct Handshake {
    auth: Option<Utf8Bytes>,
    time: SystemTime,
    engine: Arc<duplex_engineio::Socket>,
}

impl Handshake {
    /// The auth payload (`io({ auth: {...} })`), deserialized.
    pub fn auth<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.auth.as_deref().unwrap_or("{}"))
    }

    /// The auth payload as raw JSON (`None` when the client sent none).
    pub fn auth_raw(&self) -> Option<&str> {
        self.auth.as_deref()
    }

    /// The HTTP request that opened the connection (headers, query, address).
    pub fn request(&self) -> &HandshakeRequest {
        self.engine.request()
    }

    /// When the client joined the namespace.
    pub fn time(&self) -> SystemTime {
        self.time
    }
}

/// A socket: one client in one namespace.
pub struct Socket {
    id: Sid,
    pub(crate) ns: Arc<Namespace>,
    pub(crate) conn: Arc<duplex_engineio::Socket>,
    handshake: Handshake,
    /// By event name. A socket has few handlers, so a list beats a map (its memory stays
    /// with every idle socket).
    handlers: RwLock<Vec<(Box<str>, BoxedEventHandler)>>,
    any_handlers: RwLock<Vec<BoxedEventHandler>>,
    middlewares: RwLock<Vec<EventMiddleware>>,
    outgoing: RwLock<Vec<OutgoingHandler>>,
    disconnecting: Mutex<Vec<DisconnectHandler>>,
    disconnect: Mutex<Vec<DisconnectHandler>>,
    acks: Mutex<HashMap<u64, PendingAck>>,
    next_ack: AtomicU64,
    connected: AtomicBool,
    /// The private id that lets a reconnecting client recover this socket (recovery on).
    pid: Option<String>,
    recovered: bool,
    /// A recovered socket's rooms and missed events, until it is connected again.
    missed: Mutex<(Vec<Room>, Vec<MissedEvent>)>,
    data: Mutex<serde_json::Value>,
    /// Typed per-socket state.
    pub extensions: Extensions,
}

impl Socket {
    pub(crate) fn new(
        ns: Arc<Namespace>,
        conn: Arc<duplex_engineio::Socket>,
        auth: Option<Utf8Bytes>,
        restored: Option<Restored>,
    ) -> Socket {
        let recovers = ns.recovers();
        let recovered = restored.is_some();
        let (id, pid, rooms, missed) = match restored {
            Some(r) => (
                r.session.sid,
                Some(r.session.pid),
                r.session.rooms,
                r.missed,
            ),
            None => (
                Sid::generate(),
                recovers.then(|| Sid::generate().to_string()),
                Vec::new(),
                Vec::new(),
            ),
        };
        Socket {
            id,
            pid,
            recovered,
            missed: Mutex::new((rooms, missed)),
            ns,
            handshake: Handshake {
                auth,
                time: SystemTime::now(),
                engine: conn.clone(),
            },
            conn,
            handlers: RwLock::default(),
            any_handlers: RwLock::default(),
            middlewares: RwLock::default(),
            outgoing: RwLock::default(),
            disconnecting: Mutex::default(),
            disconnect: Mutex::default(),
            acks: Mutex::default(),
            next_ack: AtomicU64::new(0),
            connected: AtomicBool::new(false),
            data: Mutex::new(serde_json::Value::Object(serde_json::Map::new())),
            extensions: Extensions::default(),
        }
    }

    /// The socket id (not the connection's: each namespace gets its own).
    pub fn id(&self) -> Sid {
        self.id
    }

    /// The namespace name.
    pub fn ns(&self) -> &str {
        self.ns.name()
    }

    /// The handshake: auth payload and HTTP request.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// The transport the connection currently uses.
    pub fn transport(&self) -> Transport {
        self.conn.transport()
    }

    /// Whether this socket was recovered after a short disconnection: same id, same rooms,
    /// and the events it missed were sent again.
    pub fn recovered(&self) -> bool {
        self.recovered
    }

    pub(crate) fn pid(&self) -> Option<&str> {
        self.pid.as_deref()
    }

    pub(crate) fn take_missed(&self) -> (Vec<Room>, Vec<MissedEvent>) {
        std::mem::take(&mut *lock(&self.missed))
    }

    /// Whether the socket is connected to its namespace.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Handles `event` with `handler` (replacing an earlier handler of that event).
    pub fn on<H, P>(&self, event: impl Into<String>, handler: H)
    where
        H: EventHandler<P>,
        P: 'static,
    {
        let (event, handler) = (event.into(), boxed_event_handler(handler));
        let mut handlers = write(&self.handlers);
        match handlers.iter_mut().find(|(name, _)| **name == *event) {
            Some(slot) => slot.1 = handler,
            None => handlers.push((event.into_boxed_str(), handler)),
        }
    }

    /// Sees every event, before its own handler (`socket.onAny`).
    pub fn on_any<H, P>(&self, handler: H)
    where
        H: EventHandler<P>,
        P: 'static,
    {
        write(&self.any_handlers).push(boxed_event_handler(handler));
    }

    /// Sees every event sent to this socket — its own emits and the broadcasts that reach
    /// it, not acks (`socket.onAnyOutgoing`): the event name and the raw JSON data.
    pub fn on_any_outgoing<F>(&self, handler: F)
    where
        F: Fn(&str, &str) + Send + Sync + 'static,
    {
        write(&self.outgoing).push(Arc::new(handler));
    }

    /// Calls the outgoing catch-all handlers for an event packet about to be sent.
    pub(crate) fn notify_outgoing(&self, packet: &Packet) {
        let handlers = read(&self.outgoing);
        if handlers.is_empty() {
            return;
        }
        let Some(data) = &packet.data else { return };
        let name = event_name(data);
        for handler in handlers.iter() {
            handler(&name, data);
        }
    }

    /// Checks every incoming event before any handler (`socket.use`): an error drops the
    /// event (and is logged).
    pub fn use_middleware<F>(&self, middleware: F)
    where
        F: Fn(&EventContext) -> Result<(), String> + Send + Sync + 'static,
    {
        write(&self.middlewares).push(Arc::new(middleware));
    }

    /// Runs once the socket is leaving, while it is still in its rooms.
    pub fn on_disconnecting<F, Fut>(&self, handler: F)
    where
        F: FnOnce(Arc<Socket>, DisconnectReason) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        lock(&self.disconnecting).push(Box::new(move |s, r| Box::pin(handler(s, r))));
    }

    /// Runs once the socket has left.
    pub fn on_disconnect<F, Fut>(&self, handler: F)
    where
        F: FnOnce(Arc<Socket>, DisconnectReason) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        lock(&self.disconnect).push(Box::new(move |s, r| Box::pin(handler(s, r))));
    }

    /// Sends `event` with `args` (a tuple spreads into several arguments, `()` is none;
    /// [`Binary`](crate::Binary) values anywhere go as attachments).
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), SendError> {
        let (data, attachments) = args::encode_event(event, args)?;
        self.send_event(Packet::event(self.ns(), data).with_attachments(attachments))
    }

    /// Sends an event packet, recorded for recovery (as a broadcast to this socket's room)
    /// when recovery is on.
    fn send_event(&self, mut packet: Packet) -> Result<(), SendError> {
        if self.ns.recovers() {
            let opts = BroadcastOptions {
                rooms: vec![Room::from(self.id.to_string())],
                ..BroadcastOptions::default()
            };
            self.ns.record(&mut packet, &opts);
        }
        self.notify_outgoing(&packet);
        self.send_packet(&packet)
    }

    /// Sends `event` with arguments received earlier, unchanged.
    pub fn emit_raw(&self, event: &str, args: &RawArgs) -> Result<(), SendError> {
        let data = args::with_raw_args(Some(event), &args.json);
        self.send_event(Packet::event(self.ns(), data).with_attachments(args.attachments.clone()))
    }

    pub(crate) fn send_raw_ack(&self, id: u64, args: &RawArgs) -> Result<(), SendError> {
        let data = args::with_raw_args(None, &args.json);
        self.send_packet(
            &Packet::ack(self.ns(), id, data).with_attachments(args.attachments.clone()),
        )
    }

    /// Sends `event` with raw arguments and returns the client's acknowledgement.
    pub fn emit_raw_with_ack<T>(
        &self,
        event: &str,
        args: &RawArgs,
    ) -> Result<AckFuture<T>, SendError> {
        let data = args::with_raw_args(Some(event), &args.json);
        self.send_with_ack(data, args.attachments.clone())
    }

    /// Sends `event` and returns the client's acknowledgement, deserialized into `T`.
    pub fn emit_with_ack<T, A>(&self, event: &str, args: &A) -> Result<AckFuture<T>, SendError>
    where
        A: Serialize + ?Sized,
    {
        let (data, attachments) = args::encode_event(event, args)?;
        self.send_with_ack(data, attachments)
    }

    fn send_with_ack<T>(
        &self,
        data: Utf8Bytes,
        attachments: Vec<bytes::Bytes>,
    ) -> Result<AckFuture<T>, SendError> {
        let id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = oneshot::channel();
        let sent = self.ns.metrics.as_ref().map(|_| Instant::now());
        lock(&self.acks).insert(id, (sender, sent));
        let packet = Packet::event(self.ns(), data)
            .with_id(id)
            .with_attachments(attachments);
        self.notify_outgoing(&packet);
        if let Err(e) = self.send_packet(&packet) {
            lock(&self.acks).remove(&id);
            return Err(e);
        }
        Ok(AckFuture::new(receiver, self.ns.ack_timeout()))
    }

    /// The server's app-wide state of type `T`
    /// ([`SocketIoBuilder::with_state`](crate::SocketIoBuilder::with_state)), cloned.
    pub fn state<T: std::any::Any + Clone>(&self) -> Option<T> {
        self.ns.state.get::<T>()
    }

    /// Joins rooms.
    pub fn join(&self, rooms: impl IntoRooms) {
        self.ns.join(self.id, &rooms.into_rooms());
    }

    /// Leaves rooms.
    pub fn leave(&self, rooms: impl IntoRooms) {
        self.ns.leave(self.id, &rooms.into_rooms());
    }

    /// The rooms the socket is in (its own id's room included).
    pub fn rooms(&self) -> Vec<Room> {
        self.ns.rooms_of(self.id)
    }

    /// Broadcast to `rooms`, except this socket.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperators {
        self.broadcast().to(rooms)
    }

    /// Same as [`to`](Socket::to).
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperators {
        self.to(rooms)
    }

    /// Broadcast to everyone but this socket and `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperators {
        self.broadcast().except(rooms)
    }

    /// Broadcast over this socket's namespace (this socket included).
    pub fn namespace(&self) -> BroadcastOperators {
        BroadcastOperators::new(self.ns.clone())
    }

    /// Broadcast over every namespace created from the same dynamic namespace (socket.io's
    /// `socket.nsp.parent`); just this namespace for a static one.
    pub fn parent_namespace(&self) -> BroadcastOperators {
        let siblings = self.ns.siblings();
        if siblings.is_empty() {
            self.namespace()
        } else {
            BroadcastOperators::over(siblings)
        }
    }

    /// Sets the socket's application data (`socket.data`): JSON, so that other nodes can see
    /// it through `fetch_sockets`.
    pub fn set_data<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), serde_json::Error> {
        *lock(&self.data) = serde_json::to_value(data)?;
        if let Some(observer) = self.ns.hooks.get() {
            observer.data_updated(self);
        }
        Ok(())
    }

    /// The socket's application data, deserialized.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(lock(&self.data).clone())
    }

    pub(crate) fn data_raw(&self) -> serde_json::Value {
        lock(&self.data).clone()
    }

    /// Broadcast to every socket of the namespace but this one.
    pub fn broadcast(&self) -> BroadcastOperators {
        BroadcastOperators::new(self.ns.clone()).except_socket(self.id)
    }

    /// Sends only if the connection can take it right now.
    pub fn volatile(&self) -> VolatileEmitter<'_> {
        VolatileEmitter { socket: self }
    }

    /// Leaves the namespace (reason `server namespace disconnect`); the connection stays
    /// open for the client's other namespaces.
    pub fn disconnect(self: &Arc<Self>) {
        if self.connected() {
            let _ = self.send_packet(&Packet::disconnect(self.ns()));
        }
        self.close(DisconnectReason::ServerNamespaceDisconnect);
    }

    /// Disconnects every socket of this client (each with `server namespace disconnect`) and
    /// closes the connection: `socket.disconnect(true)`.
    pub fn close_connection(&self) {
        crate::connection::disconnect_all(&self.conn);
    }

    /// Encodes and queues `packet` and its attachments back to back.
    pub(crate) fn send_packet(&self, packet: &Packet) -> Result<(), SendError> {
        if !self.connected() {
            return Err(SendError::Disconnected);
        }
        let messages = self.ns.encode(packet);
        if let Some(observer) = self.ns.hooks.get() {
            observer.messages_out(&mut messages.iter());
        }
        self.conn.send_all(messages).map_err(SendError::from)
    }

    /// Queues a packet already encoded (a broadcast).
    pub(crate) fn send_prepared(&self, prepared: &[PreparedMessage]) -> Result<(), SendError> {
        if let Some(observer) = self.ns.hooks.get() {
            observer.messages_out(&mut prepared.iter().map(PreparedMessage::message));
        }
        self.conn
            .send_prepared_all(prepared)
            .map_err(SendError::from)
    }

    pub(crate) fn send_ack<T: Serialize + ?Sized>(
        &self,
        id: u64,
        args: &T,
    ) -> Result<(), SendError> {
        let (data, attachments) = args::encode_ack(args)?;
        self.send_packet(&Packet::ack(self.ns(), id, data).with_attachments(attachments))
    }

    pub(crate) fn set_connected(&self) {
        self.connected.store(true, Ordering::Release);
    }

    /// An event from the client.
    pub(crate) fn on_event(self: &Arc<Self>, packet: Packet) {
        let Some(data) = packet.data else { return };
        let ctx = EventContext {
            event: event_name(&data),
            socket: self.clone(),
            data,
            attachments: packet.attachments,
            ack_id: packet.id,
        };
        // As socket.io: the catch-all sees every event, the middlewares then decide.
        let any: Vec<BoxedEventHandler> = read(&self.any_handlers).clone();
        for handler in any {
            handler(ctx.clone());
        }
        for middleware in read(&self.middlewares).iter() {
            if let Err(e) = middleware(&ctx) {
                tracing::debug!(sid = %self.id, namespace = %self.ns(), event = %ctx.event, error = %e, "event refused by middleware");
                return;
            }
        }
        let handler = read(&self.handlers)
            .iter()
            .find(|(name, _)| **name == *ctx.event)
            .map(|(_, handler)| handler.clone());
        if let Some(handler) = handler {
            handler(ctx);
        }
    }

    /// The client's acknowledgement of one of our emits.
    pub(crate) fn on_ack(&self, packet: Packet) {
        let Some(id) = packet.id else { return };
        let pending = lock(&self.acks).remove(&id);
        if let Some((sender, sent)) = pending {
            if let (Some(metrics), Some(sent)) = (&self.ns.metrics, sent) {
                metrics.ack_answered(sent.elapsed());
            }
            let _ = sender.send(AckResponse {
                data: packet.data.unwrap_or_else(|| Utf8Bytes::from_static("[]")),
                attachments: packet.attachments,
            });
        }
    }

    /// Leaves the namespace for `reason`: the disconnecting handlers (rooms still joined),
    /// the rooms, pending acks (they fail), then the disconnect handlers.
    pub(crate) fn close(self: &Arc<Self>, reason: DisconnectReason) {
        if !self.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        tracing::debug!(sid = %self.id, conn = %self.conn.id(), namespace = %self.ns(), transport = %self.transport(), %reason, "socket disconnected");
        if let Some(metrics) = &self.ns.metrics {
            metrics.disconnected(reason);
        }
        crate::connection::forget(&self.conn, self);
        if let Some(pid) = &self.pid {
            // socket.io keeps the state of these (the client may come back), not of a
            // namespace disconnect either side asked for.
            let recoverable = matches!(
                reason,
                DisconnectReason::TransportError
                    | DisconnectReason::TransportClose
                    | DisconnectReason::ForcedClose
                    | DisconnectReason::PingTimeout
                    | DisconnectReason::ServerShuttingDown
            );
            if recoverable {
                self.ns.persist(self.id, pid.clone(), self.rooms());
            }
        }
        let disconnecting = std::mem::take(&mut *lock(&self.disconnecting));
        let disconnect = std::mem::take(&mut *lock(&self.disconnect));
        let socket = self.clone();
        run(async move {
            for handler in disconnecting {
                handler(socket.clone(), reason).await;
            }
            socket.ns.remove(&socket);
            lock(&socket.acks).clear();
            for handler in disconnect {
                handler(socket.clone(), reason).await;
            }
            // Handlers hold the socket; dropping them breaks the cycle.
            write(&socket.handlers).clear();
            write(&socket.any_handlers).clear();
        });
    }
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.id)
            .field("ns", &self.ns())
            .field("connected", &self.connected())
            .finish()
    }
}

/// Emits dropped when the connection cannot take them at once (`socket.volatile.emit`).
#[derive(Debug)]
pub struct VolatileEmitter<'a> {
    socket: &'a Socket,
}

impl VolatileEmitter<'_> {
    /// Sends `event` if the transport can take it now; `Ok` also when it was dropped.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), SendError> {
        if !self.socket.conn.is_writable() {
            return Ok(());
        }
        self.socket.emit(event, args)
    }
}

/// The name of an event (its first element): a string, or a number's text.
fn event_name(data: &str) -> String {
    args::event_name(data).unwrap_or_default()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}
