//! Broadcast operators: `io.to("room").except("other").emit(...)`, chainable, the packet
//! encoded once for every recipient.

use std::sync::Arc;
use std::time::Duration;

use duplex_engineio::{PreparedMessage, Sid};
use duplex_socketio_proto::{Packet, args};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ack::AckFuture;
use crate::error::{AckError, SendError};
use crate::handler::RawArgs;
use crate::namespace::Namespace;
use crate::rooms::{IntoRooms, Room};
use crate::socket::Socket;

/// A broadcast being described: which rooms, which exceptions, which flags.
#[derive(Clone)]
pub struct BroadcastOperators {
    ns: Arc<Namespace>,
    rooms: Vec<Room>,
    except: Vec<Room>,
    skip: Vec<Sid>,
    volatile: bool,
    timeout: Option<Duration>,
}

impl BroadcastOperators {
    pub(crate) fn new(ns: Arc<Namespace>) -> Self {
        let timeout = ns.ack_timeout();
        BroadcastOperators {
            ns,
            rooms: Vec::new(),
            except: Vec::new(),
            skip: Vec::new(),
            volatile: false,
            timeout,
        }
    }

    pub(crate) fn except_socket(mut self, sid: Sid) -> Self {
        self.skip.push(sid);
        self
    }

    /// Only sockets in these rooms (added to earlier `to`s: a socket in any of them).
    pub fn to(mut self, rooms: impl IntoRooms) -> Self {
        self.rooms.extend(rooms.into_rooms());
        self
    }

    /// Same as [`to`](BroadcastOperators::to).
    pub fn within(self, rooms: impl IntoRooms) -> Self {
        self.to(rooms)
    }

    /// Not the sockets in these rooms.
    pub fn except(mut self, rooms: impl IntoRooms) -> Self {
        self.except.extend(rooms.into_rooms());
        self
    }

    /// Only this node's sockets (no other node is asked; with the in-memory adapter all
    /// sockets are local).
    pub fn local(self) -> Self {
        self
    }

    /// Skip sockets whose connection cannot take the packet right now.
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// How long [`emit_with_ack`](BroadcastOperators::emit_with_ack) waits for each answer.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The selected sockets of this node.
    pub fn sockets(&self) -> Vec<Arc<Socket>> {
        self.ns.select(&self.rooms, &self.except, &self.skip)
    }

    /// Sends `event` to every selected socket; the packet is encoded once and the same
    /// frames go to everyone. Sockets whose queue is full miss it (logged).
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), SendError> {
        let (data, attachments) = args::encode_event(event, args)?;
        let packet = Packet::event(self.ns.name(), data).with_attachments(attachments);
        self.deliver(&packet);
        Ok(())
    }

    /// Encodes `packet` once and queues it for every selected socket.
    fn deliver(&self, packet: &Packet) {
        let prepared: Vec<PreparedMessage> = self.ns.prepare(packet);
        for socket in self.sockets() {
            if self.volatile && !socket.conn.is_writable() {
                continue;
            }
            if let Err(e) = socket.send_prepared(&prepared) {
                tracing::debug!(sid = %socket.id(), error = %e, "broadcast not queued");
            }
        }
    }

    /// Sends `event` with arguments received earlier, unchanged, to every selected socket.
    pub fn emit_raw(&self, event: &str, args: &RawArgs) -> Result<(), SendError> {
        let data = args::with_raw_args(Some(event), &args.json);
        let packet = Packet::event(self.ns.name(), data).with_attachments(args.attachments.clone());
        self.deliver(&packet);
        Ok(())
    }

    /// Sends `event` to every selected socket and collects each answer (or its error), in
    /// no particular order. Each socket gets its own ack id, so this packet is encoded per
    /// socket.
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
            if self.volatile && !socket.conn.is_writable() {
                continue;
            }
            pending.push((socket.id(), socket.emit_with_ack(event, args)));
        }
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

    /// Makes the selected sockets join `rooms`.
    pub fn join(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        for socket in self.sockets() {
            self.ns.join(socket.id(), &rooms);
        }
    }

    /// Makes the selected sockets leave `rooms`.
    pub fn leave(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        for socket in self.sockets() {
            self.ns.leave(socket.id(), &rooms);
        }
    }

    /// Disconnects the selected sockets from the namespace (`server namespace disconnect`).
    pub fn disconnect(&self) {
        for socket in self.sockets() {
            socket.disconnect();
        }
    }

    /// The rooms of the namespace that have members.
    pub fn rooms(&self) -> Vec<Room> {
        self.ns.all_rooms()
    }
}

impl std::fmt::Debug for BroadcastOperators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastOperators")
            .field("ns", &self.ns.name())
            .field("rooms", &self.rooms)
            .field("except", &self.except)
            .field("volatile", &self.volatile)
            .finish()
    }
}
