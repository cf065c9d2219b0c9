//! Broadcast operators: `io.to("room").except("other").emit(...)`, chainable. The packet is
//! encoded once for every local recipient, and the adapter carries the operation to the other
//! nodes unless `local()` says not to.

use std::sync::Arc;
use std::time::Duration;

use duplex_engineio::{PreparedMessage, Sid};
use duplex_socketio_proto::{Packet, args};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ack::AckFuture;
use crate::adapter::{AdapterError, BroadcastOptions, RemoteSocket, bounded};
use crate::error::{AckError, SendError};
use crate::handler::{RawArgs, run};
use crate::namespace::Namespace;
use crate::rooms::{IntoRooms, Room};
use crate::socket::Socket;

/// A broadcast being described: which rooms, which exceptions, which flags.
#[derive(Clone)]
pub struct BroadcastOperators {
    /// One namespace, or every child of a dynamic namespace (its parent).
    targets: Vec<Arc<Namespace>>,
    opts: BroadcastOptions,
    local: bool,
    timeout: Option<Duration>,
}

impl BroadcastOperators {
    pub(crate) fn new(ns: Arc<Namespace>) -> Self {
        BroadcastOperators::over(vec![ns])
    }

    /// Operators over several namespaces: the children of a dynamic namespace.
    pub(crate) fn over(targets: Vec<Arc<Namespace>>) -> Self {
        let timeout = targets.first().and_then(|ns| ns.ack_timeout());
        BroadcastOperators {
            targets,
            opts: BroadcastOptions::default(),
            local: false,
            timeout,
        }
    }

    pub(crate) fn except_socket(mut self, sid: Sid) -> Self {
        self.opts.skip.push(sid);
        self
    }

    /// Only sockets in these rooms (added to earlier `to`s: a socket in any of them).
    pub fn to(mut self, rooms: impl IntoRooms) -> Self {
        self.opts.rooms.extend(rooms.into_rooms());
        self
    }

    /// Same as [`to`](BroadcastOperators::to).
    pub fn within(self, rooms: impl IntoRooms) -> Self {
        self.to(rooms)
    }

    /// Not the sockets in these rooms.
    pub fn except(mut self, rooms: impl IntoRooms) -> Self {
        self.opts.except.extend(rooms.into_rooms());
        self
    }

    /// Only this node's sockets: the adapter is not asked.
    pub fn local(mut self) -> Self {
        self.local = true;
        self
    }

    /// Skip sockets whose connection cannot take the packet right now.
    pub fn volatile(mut self) -> Self {
        self.opts.volatile = true;
        self
    }

    /// How long [`emit_with_ack`](BroadcastOperators::emit_with_ack) waits for the answers.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The selected sockets of this node.
    pub fn sockets(&self) -> Vec<Arc<Socket>> {
        self.targets
            .iter()
            .flat_map(|ns| ns.select(&self.opts.rooms, &self.opts.except, &self.opts.skip))
            .collect()
    }

    /// Sends `event` to every selected socket: locally the packet is encoded once and the same
    /// frames go to everyone (a socket whose queue is full misses it, logged); the adapter
    /// takes it to the other nodes.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), SendError> {
        let (data, attachments) = args::encode_event(event, args)?;
        for ns in &self.targets {
            let packet =
                Packet::event(ns.name(), data.clone()).with_attachments(attachments.clone());
            self.deliver(ns, packet);
        }
        Ok(())
    }

    /// Sends `event` with arguments received earlier, unchanged, to every selected socket.
    pub fn emit_raw(&self, event: &str, args: &RawArgs) -> Result<(), SendError> {
        let data = args::with_raw_args(Some(event), &args.json);
        for ns in &self.targets {
            let packet =
                Packet::event(ns.name(), data.clone()).with_attachments(args.attachments.clone());
            self.deliver(ns, packet);
        }
        Ok(())
    }

    /// Counts a broadcast with acks (each socket its own packet) when metrics are on.
    fn count_broadcast(&self, recipients: usize) {
        if let Some(metrics) = self.targets.first().and_then(|ns| ns.metrics.as_ref()) {
            metrics.broadcast(recipients);
        }
    }

    fn deliver(&self, ns: &Namespace, mut packet: Packet) {
        ns.record(&mut packet, &self.opts);
        let prepared: Vec<PreparedMessage> = ns.prepare(&packet);
        let mut recipients = 0;
        for socket in ns.select(&self.opts.rooms, &self.opts.except, &self.opts.skip) {
            if self.opts.volatile && !socket.conn.is_writable() {
                continue;
            }
            socket.notify_outgoing(&packet);
            match socket.send_prepared(&prepared) {
                Ok(()) => recipients += 1,
                Err(e) => {
                    tracing::debug!(sid = %socket.id(), namespace = %ns.name(), error = %e, "broadcast not queued")
                }
            }
        }
        if let Some(metrics) = &ns.metrics {
            metrics.broadcast(recipients);
        }
        if !self.local {
            let remote = ns.adapter.broadcast(ns.name(), &packet, &self.opts);
            let limit = ns.adapter_timeout;
            run(async move {
                if let Err(e) = bounded(limit, remote).await {
                    tracing::warn!(error = %e, "broadcast to the other nodes failed");
                }
            });
        }
    }

    /// Sends `event` to every selected socket of this node and collects each answer (or its
    /// error). Each socket gets its own ack id, so the packet is encoded per socket.
    pub async fn emit_with_ack<T, A>(
        &self,
        event: &str,
        args: &A,
    ) -> Vec<(Sid, Result<T, AckError>)>
    where
        T: DeserializeOwned + Send + 'static,
        A: Serialize + ?Sized,
    {
        let mut pending: Vec<(Sid, Result<AckFuture<T>, SendError>)> = Vec::new();
        for socket in self.sockets() {
            if self.opts.volatile && !socket.conn.is_writable() {
                continue;
            }
            pending.push((socket.id(), socket.emit_with_ack(event, args)));
        }
        self.count_broadcast(pending.iter().filter(|(_, sent)| sent.is_ok()).count());
        // One deadline for all: answers arrive concurrently, they are only collected in turn.
        let deadline = self.timeout.map(|t| tokio::time::Instant::now() + t);
        let mut answers = Vec::with_capacity(pending.len());
        for (sid, ack) in pending {
            let answer = match (ack, deadline) {
                (Ok(ack), Some(deadline)) => {
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    ack.timeout(left).await
                }
                (Ok(ack), None) => ack.await,
                (Err(e), _) => Err(AckError::Send(e)),
            };
            answers.push((sid, answer));
        }
        answers
    }

    /// Like [`emit_with_ack`](BroadcastOperators::emit_with_ack) with raw arguments, answers
    /// kept raw. The packets are queued now; the returned future collects the answers.
    pub fn emit_raw_with_ack(
        &self,
        event: &str,
        args: &RawArgs,
    ) -> impl std::future::Future<Output = Vec<(Sid, Result<RawArgs, AckError>)>> + Send + 'static
    {
        let mut pending: Vec<(Sid, Result<AckFuture<()>, SendError>)> = Vec::new();
        for socket in self.sockets() {
            if self.opts.volatile && !socket.conn.is_writable() {
                continue;
            }
            pending.push((socket.id(), socket.emit_raw_with_ack(event, args)));
        }
        self.count_broadcast(pending.iter().filter(|(_, sent)| sent.is_ok()).count());
        let deadline = self.timeout.map(|t| tokio::time::Instant::now() + t);
        async move {
            let mut answers = Vec::with_capacity(pending.len());
            for (sid, ack) in pending {
                let answer = match (ack, deadline) {
                    (Ok(ack), Some(deadline)) => {
                        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                        ack.timeout(left).raw().await
                    }
                    (Ok(ack), None) => ack.raw().await,
                    (Err(e), _) => Err(AckError::Send(e)),
                };
                answers.push((sid, answer));
            }
            answers
        }
    }

    /// The selected sockets, on every node (`fetchSockets`).
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        let mut found: Vec<RemoteSocket> = self
            .sockets()
            .into_iter()
            .map(|socket| RemoteSocket {
                id: socket.id(),
                ns: socket.ns().to_owned(),
                rooms: socket.rooms(),
                data: socket.data_raw(),
                node: None,
            })
            .collect();
        if !self.local {
            for ns in &self.targets {
                let remote = ns.adapter.fetch_sockets(ns.name(), &self.opts);
                found.extend(bounded(ns.adapter_timeout, remote).await?);
            }
        }
        Ok(found)
    }

    /// Makes the selected sockets join `rooms`, on every node (`socketsJoin`).
    pub async fn sockets_join(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        let rooms: Vec<Room> = rooms.into_rooms();
        for socket in self.sockets() {
            socket.join(rooms.clone());
        }
        if self.local {
            return Ok(());
        }
        for ns in &self.targets {
            let remote = ns.adapter.add_sockets(ns.name(), &self.opts, &rooms);
            bounded(ns.adapter_timeout, remote).await?;
        }
        Ok(())
    }

    /// Makes the selected sockets leave `rooms`, on every node (`socketsLeave`).
    pub async fn sockets_leave(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        let rooms: Vec<Room> = rooms.into_rooms();
        for socket in self.sockets() {
            socket.leave(rooms.clone());
        }
        if self.local {
            return Ok(());
        }
        for ns in &self.targets {
            let remote = ns.adapter.del_sockets(ns.name(), &self.opts, &rooms);
            bounded(ns.adapter_timeout, remote).await?;
        }
        Ok(())
    }

    /// Disconnects the selected sockets, on every node (`disconnectSockets`): from the
    /// namespace, or with `close` their whole connection.
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), AdapterError> {
        for socket in self.sockets() {
            if close {
                socket.close_connection();
            } else {
                socket.disconnect();
            }
        }
        if self.local {
            return Ok(());
        }
        for ns in &self.targets {
            let remote = ns.adapter.disconnect_sockets(ns.name(), &self.opts, close);
            bounded(ns.adapter_timeout, remote).await?;
        }
        Ok(())
    }

    /// Whether packets may be compressed (per-message deflate, when negotiated). Accepted for
    /// compatibility: frames are compressed per connection as negotiated.
    pub fn compress(self, _compress: bool) -> Self {
        self
    }

    /// The rooms of this node's namespaces that have members.
    pub fn rooms(&self) -> Vec<Room> {
        self.targets.iter().flat_map(|ns| ns.all_rooms()).collect()
    }
}

impl std::fmt::Debug for BroadcastOperators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastOperators")
            .field(
                "ns",
                &self.targets.iter().map(|ns| ns.name()).collect::<Vec<_>>(),
            )
            .field("opts", &self.opts)
            .field("local", &self.local)
            .finish()
    }
}
