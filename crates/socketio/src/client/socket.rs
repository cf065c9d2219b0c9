//! [`Socket`]: one namespace of a client connection — emits, acks, callbacks — over the
//! sans-IO [`ClientSocket`] state.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use duplex_socketio_proto::client::{ClientSocket, Emit, QueueSend, QueueTimeout, Received};
use duplex_socketio_proto::{Packet, Utf8Bytes, args};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};

use super::ack::{AckFuture, Answer};
use super::handlers::{self, Dispatch, Handlers};
use super::manager::{Manager, ManagerShared};
use super::{ConnectError, DisconnectReason, Incoming, SocketConfig};
use crate::engineio::client::{Client as EngineClient, Transport};
use crate::error::{AckError, SendError};

/// One namespace on a client connection: a handle, cheap to clone. Emits made while it is
/// not connected are buffered (see [`SocketConfig::max_buffered`]) and sent once it is.
///
/// As with socket.io-client, a connected socket stays connected (and reconnects) until
/// [`disconnect`](Self::disconnect) — dropping the handles does not end it.
#[derive(Clone)]
pub struct Socket {
    pub(crate) shared: Arc<SocketShared>,
}

/// What the handles, the connection's task and the callback task share.
pub(crate) struct SocketShared {
    pub(crate) nsp: String,
    pub(crate) manager: Arc<ManagerShared>,
    pub(crate) config: SocketConfig,
    pub(crate) core: Mutex<Core>,
    pub(crate) handlers: Mutex<Arc<Handlers>>,
    dispatch: mpsc::UnboundedSender<Dispatch>,
    /// The outcome of the latest `connect`: `None` while under way.
    pub(crate) status: watch::Sender<Option<Result<(), ConnectError>>>,
}

pub(crate) struct Core {
    pub(crate) proto: ClientSocket<Answer>,
    /// The connection's sender while it is open.
    pub(crate) engine: Option<EngineClient>,
    /// Whether the application wants this namespace connected.
    pub(crate) active: bool,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("nsp", &self.shared.nsp)
            .field("id", &self.id())
            .finish()
    }
}

impl fmt::Debug for SocketShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketShared")
            .field("nsp", &self.nsp)
            .finish()
    }
}

impl SocketShared {
    pub(crate) fn new(
        manager: Arc<ManagerShared>,
        nsp: &str,
        config: SocketConfig,
        handlers: Handlers,
    ) -> Arc<SocketShared> {
        let (dispatch, rx) = mpsc::unbounded_channel();
        let proto = ClientSocket::new(nsp, config.max_buffered, config.retries);
        let shared = Arc::new(SocketShared {
            nsp: proto.nsp().to_owned(),
            manager,
            config,
            core: Mutex::new(Core {
                proto,
                engine: None,
                active: false,
            }),
            handlers: Mutex::new(Arc::new(handlers)),
            dispatch,
            status: watch::Sender::new(None),
        });
        tokio::spawn(handlers::run(Arc::downgrade(&shared), rx));
        shared
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Core> {
        self.core
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn dispatch(&self, dispatch: Dispatch) {
        // The callback task ends only with the socket itself.
        let _ = self.dispatch.send(dispatch);
    }

    fn send(&self, core: &Core, packet: &Packet) {
        if let Some(engine) = &core.engine {
            for message in self.manager.config.parser.encode(packet) {
                let _ = engine.send(message);
            }
        }
    }

    /// Sends a packet of the retry queue and arms the timeout of this try.
    fn send_queued(self: &Arc<Self>, core: &Core, send: QueueSend) {
        self.send(core, &send.packet);
        if let Some(timeout) = self.config.ack_timeout {
            let socket = Arc::downgrade(self);
            tokio::spawn(async move {
                tokio::time::sleep(timeout).await;
                if let Some(socket) = socket.upgrade() {
                    socket.queue_timeout(send.id, send.attempt);
                }
            });
        }
    }

    fn queue_timeout(self: &Arc<Self>, id: u64, attempt: u32) {
        let mut core = self.lock();
        match core.proto.queue_timeout(id, attempt) {
            QueueTimeout::Stale => {}
            QueueTimeout::Resend(send) => self.send_queued(&core, send),
            QueueTimeout::GaveUp { answer, next } => {
                let _ = answer.send(Err(AckError::Timeout));
                if let Some(next) = next {
                    self.send_queued(&core, next);
                }
            }
        }
    }

    pub(crate) fn forget_ack(&self, id: u64) {
        self.lock().proto.forget_ack(id);
    }

    /// The connection opened (or the namespace was activated on an open one): send CONNECT
    /// if the application wants the namespace and it is not connected yet.
    pub(crate) async fn open(self: &Arc<Self>, engine: &EngineClient) {
        let wanted = {
            let mut core = self.lock();
            core.engine = Some(engine.clone());
            core.active && core.proto.is_idle()
        };
        if !wanted {
            return;
        }
        let auth = self.config.auth.resolve().await;
        let mut core = self.lock();
        if core.active && core.proto.is_idle() {
            let packet = core.proto.connect(auth);
            self.send(&core, &packet);
        }
    }

    /// A packet of this namespace from the server.
    pub(crate) fn receive(self: &Arc<Self>, packet: Packet) {
        let mut core = self.lock();
        match core.proto.receive(packet) {
            Received::Connected {
                events,
                flush,
                queued,
                ..
            } => {
                for packet in &flush {
                    self.send(&core, packet);
                }
                if let Some(queued) = queued {
                    self.send_queued(&core, queued);
                }
                drop(core);
                self.status.send_replace(Some(Ok(())));
                // socket.io-client's order: the early events, then `connect`.
                for packet in events {
                    let name = packet.event_name().unwrap_or_default();
                    self.dispatch(Dispatch::Event(name, packet));
                }
                self.dispatch(Dispatch::Connect);
            }
            Received::Refused { message, data } => {
                core.active = false;
                drop(core);
                let error = ConnectError::Refused { message, data };
                self.status.send_replace(Some(Err(error.clone())));
                self.dispatch(Dispatch::ConnectError(error));
                self.manager.release();
            }
            Received::Event(packet) => {
                drop(core);
                let name = packet.event_name().unwrap_or_default();
                self.dispatch(Dispatch::Event(name, packet));
            }
            Received::Ack {
                answer,
                packet,
                next,
            } => {
                if let Some(next) = next {
                    self.send_queued(&core, next);
                }
                drop(core);
                let _ = answer.send(Ok(packet));
            }
            Received::Disconnected { failed } => {
                core.active = false;
                drop(core);
                fail(failed);
                self.dispatch(Dispatch::Disconnect(DisconnectReason::IoServerDisconnect));
                self.manager.release();
            }
            Received::Ignored => {}
        }
    }

    /// The connection closed.
    pub(crate) fn close(&self, reason: DisconnectReason) {
        let mut core = self.lock();
        core.engine = None;
        let was_connected = core.proto.is_connected();
        let failed = core.proto.on_close();
        drop(core);
        fail(failed);
        if was_connected {
            self.dispatch(Dispatch::Disconnect(reason));
        }
    }

    /// A connection attempt failed; `last` when no other attempt follows.
    pub(crate) fn attempt_failed(&self, error: ConnectError, last: bool) {
        let core = self.lock();
        if !core.active || core.proto.is_connected() {
            return;
        }
        drop(core);
        if last {
            self.status.send_replace(Some(Err(error.clone())));
        }
        self.dispatch(Dispatch::ConnectError(error));
    }

    pub(crate) fn is_active(&self) -> bool {
        self.lock().active
    }
}

fn fail(answers: Vec<Answer>) {
    for answer in answers {
        let _ = answer.send(Err(AckError::Disconnected));
    }
}

impl Socket {
    /// The namespace.
    pub fn nsp(&self) -> &str {
        &self.shared.nsp
    }

    /// The socket id the server gave, while connected.
    pub fn id(&self) -> Option<String> {
        self.shared.lock().proto.sid().map(str::to_owned)
    }

    /// Whether the namespace is connected.
    pub fn connected(&self) -> bool {
        self.shared.lock().proto.is_connected()
    }

    /// Whether the client will (re)connect this namespace by itself: `connect` was called
    /// and neither side disconnected it since.
    pub fn active(&self) -> bool {
        self.shared.is_active()
    }

    /// Whether the last connection restored the previous session (connection state
    /// recovery on the server): same id, and the packets missed meanwhile were delivered.
    pub fn recovered(&self) -> bool {
        self.shared.lock().proto.recovered()
    }

    /// The transport under the connection, while it is open.
    pub fn transport(&self) -> Option<Transport> {
        self.shared
            .lock()
            .engine
            .as_ref()
            .map(EngineClient::transport)
    }

    /// The connection this socket runs on, to open other namespaces on it.
    pub fn manager(&self) -> Manager {
        Manager {
            shared: self.shared.manager.clone(),
        }
    }

    /// Handles event `event` with an async function; it replaces an earlier one for the same
    /// name. Events of one socket are handled one after another, in order.
    pub fn on<F, Fut>(&self, event: impl Into<String>, handler: F)
    where
        F: Fn(Incoming) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let event = event.into();
        let handler = handlers::event_handler(handler);
        handlers::update(&self.shared.handlers, |h| {
            h.events.insert(event, handler);
        });
    }

    /// Handles every event, before the handler of its name.
    pub fn on_any<F, Fut>(&self, handler: F)
    where
        F: Fn(Incoming) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler = handlers::event_handler(handler);
        handlers::update(&self.shared.handlers, |h| h.any.push(handler));
    }

    /// Removes the handler of `event`.
    pub fn off(&self, event: &str) {
        handlers::update(&self.shared.handlers, |h| {
            h.events.remove(event);
        });
    }

    /// Called on every connection of the namespace (the first and each reconnection).
    pub fn on_connect(&self, f: impl Fn(&Socket) + Send + Sync + 'static) {
        handlers::update(&self.shared.handlers, |h| h.on_connect(f));
    }

    /// Called when the connected namespace disconnects, with the reason.
    pub fn on_disconnect(&self, f: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static) {
        handlers::update(&self.shared.handlers, |h| h.on_disconnect(f));
    }

    /// Called when an attempt to connect fails: a refusal by the server (no retry follows)
    /// or a failed connection (retried unless reconnection is off).
    pub fn on_connect_error(&self, f: impl Fn(&Socket, &ConnectError) + Send + Sync + 'static) {
        handlers::update(&self.shared.handlers, |h| h.on_connect_error(f));
    }

    /// Emits `event` with `args` (a tuple spreads into several arguments; [`Binary`](crate::Binary)
    /// anywhere becomes an attachment).
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), SendError> {
        let packet = self.event_packet(event, args)?;
        if self.shared.config.retries.is_some() {
            let (answer, _) = oneshot::channel();
            return self.enqueue(packet, answer);
        }
        self.emit_packet(packet, false)
    }

    /// Emits with a request for acknowledgement; await the returned future for the answer,
    /// deserialized as `R`.
    pub fn emit_with_ack<R, T>(&self, event: &str, args: &T) -> Result<AckFuture<R>, SendError>
    where
        T: Serialize + ?Sized,
    {
        let packet = self.event_packet(event, args)?;
        let (answer, rx) = oneshot::channel();
        if self.shared.config.retries.is_some() {
            self.enqueue(packet, answer)?;
            return Ok(AckFuture {
                rx,
                forget: None,
                deadline: None,
                _type: PhantomData,
            });
        }
        let mut core = self.shared.lock();
        let id = core.proto.register_ack(answer);
        match core.proto.emit(packet.with_id(id), false) {
            Ok(Emit::Send(packet)) => self.shared.send(&core, &packet),
            Ok(_) => {}
            Err(_) => {
                core.proto.forget_ack(id);
                return Err(SendError::Full);
            }
        }
        drop(core);
        let deadline = self
            .shared
            .config
            .ack_timeout
            .map(|timeout| tokio::time::Instant::now() + timeout);
        Ok(AckFuture {
            rx,
            forget: Some((Arc::downgrade(&self.shared), id)),
            deadline,
            _type: PhantomData,
        })
    }

    /// Emits that are dropped rather than buffered while the socket is disconnected.
    pub fn volatile(&self) -> Volatile<'_> {
        Volatile { socket: self }
    }

    /// Connects the namespace (again) after a [`disconnect`](Self::disconnect), a refusal or
    /// a failed reconnection; opens the connection if it is closed. Returns at once:
    /// [`on_connect`](Self::on_connect) and [`on_connect_error`](Self::on_connect_error) tell
    /// the outcome, as does [`wait_connected`](Self::wait_connected).
    pub fn connect(&self) {
        {
            let mut core = self.shared.lock();
            if core.active && !core.proto.is_idle() {
                return;
            }
            core.active = true;
        }
        self.shared.status.send_replace(None);
        self.shared.manager.activate(&self.shared);
    }

    /// Waits for the outcome of the latest [`connect`](Self::connect): `Ok` once connected;
    /// a refusal; or, when no attempt is left, why the connection failed. Failed attempts
    /// that are retried do not end the wait.
    pub async fn wait_connected(&self) -> Result<(), ConnectError> {
        let mut status = self.shared.status.subscribe();
        loop {
            if let Some(outcome) = status.borrow_and_update().clone() {
                return outcome;
            }
            if status.changed().await.is_err() {
                return Err(ConnectError::Disconnected);
            }
        }
    }

    /// Leaves the namespace: the server gets a DISCONNECT, pending acks fail, and nothing
    /// reconnects it until [`connect`](Self::connect). The connection closes when no
    /// namespace on it is active.
    pub fn disconnect(&self) {
        let mut core = self.shared.lock();
        if !core.active {
            return;
        }
        core.active = false;
        let was_connected = core.proto.is_connected();
        let (packet, failed) = core.proto.disconnect();
        if let Some(packet) = packet {
            self.shared.send(&core, &packet);
        }
        drop(core);
        fail(failed);
        self.shared.status.send_if_modified(|status| match status {
            None => {
                *status = Some(Err(ConnectError::Disconnected));
                true
            }
            Some(_) => false,
        });
        if was_connected {
            self.shared
                .dispatch(Dispatch::Disconnect(DisconnectReason::IoClientDisconnect));
        }
        self.shared.manager.release();
    }

    fn event_packet<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<Packet, SendError> {
        let (data, attachments) = args::encode_event(event, args)?;
        Ok(Packet::event(&self.shared.nsp, data).with_attachments(attachments))
    }

    fn emit_packet(&self, packet: Packet, volatile: bool) -> Result<(), SendError> {
        let mut core = self.shared.lock();
        match core.proto.emit(packet, volatile) {
            Ok(Emit::Send(packet)) => {
                self.shared.send(&core, &packet);
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(_) => Err(SendError::Full),
        }
    }

    fn enqueue(&self, packet: Packet, answer: Answer) -> Result<(), SendError> {
        let mut core = self.shared.lock();
        match core.proto.enqueue(packet, answer) {
            Ok(Some(send)) => self.shared.send_queued(&core, send),
            Ok(None) => {}
            Err(_) => return Err(SendError::Full),
        }
        Ok(())
    }

    pub(crate) fn send_ack(
        &self,
        id: u64,
        data: Utf8Bytes,
        attachments: Vec<Bytes>,
    ) -> Result<(), SendError> {
        let core = self.shared.lock();
        if !core.proto.is_connected() {
            return Err(SendError::Disconnected);
        }
        let packet = Packet::ack(&self.shared.nsp, id, data).with_attachments(attachments);
        self.shared.send(&core, &packet);
        Ok(())
    }
}

/// Emits dropped while disconnected, from [`Socket::volatile`].
#[derive(Debug)]
pub struct Volatile<'a> {
    socket: &'a Socket,
}

impl Volatile<'_> {
    /// Emits `event` if connected; otherwise drops it.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), SendError> {
        let packet = self.socket.event_packet(event, args)?;
        self.socket.emit_packet(packet, true)
    }
}
