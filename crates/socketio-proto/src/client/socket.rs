//! One namespace as the client sees it, sans-IO: the connect handshake (with the recovery
//! session id and offset), ack ids, the buffer of emits made while disconnected, and the
//! retry queue that makes emits at-least-once.

use std::collections::{HashMap, VecDeque};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{Packet, PacketType, Utf8Bytes};

/// How many emits [`ClientSocket`] keeps while disconnected, by default.
pub const DEFAULT_MAX_BUFFERED: usize = 1024;

/// The client side of one namespace. `A` is what the driver keeps to answer an
/// acknowledgement (a channel, a callback); the socket only stores and returns it.
#[derive(Debug)]
pub struct ClientSocket<A> {
    nsp: Utf8Bytes,
    state: State,
    next_id: u64,
    acks: HashMap<u64, PendingAck<A>>,
    buffer: VecDeque<Packet>,
    /// Events that came between our CONNECT and its answer (a recovering server sends the
    /// missed packets first); socket.io-client delivers them once connected.
    early: Vec<Packet>,
    max_buffered: usize,
    queue: VecDeque<Queued<A>>,
    retries: Option<u32>,
    pid: Option<String>,
    offset: Option<String>,
    recovered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Disconnected,
    Connecting,
    Connected { sid: String },
}

#[derive(Debug)]
struct PendingAck<A> {
    answer: A,
    /// Whether the packet left; a buffered one still may be answered after a reconnection.
    sent: bool,
}

#[derive(Debug)]
struct Queued<A> {
    packet: Packet,
    tries: u32,
    in_flight: bool,
    answer: A,
}

/// What became of an emit.
#[derive(Debug, PartialEq, Eq)]
pub enum Emit {
    /// Connected: send this packet now.
    Send(Packet),
    /// Disconnected: kept, and returned by [`Received::Connected`] once connected.
    Buffered,
    /// A volatile emit while disconnected, dropped as socket.io-client drops it.
    Dropped,
    /// The retry queue holds it; it goes when the packets before it are acknowledged.
    Queued,
}

/// A queued packet to send now: its ack id and which try this is (1 for the first), to
/// arm its timeout with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSend {
    /// The packet, with the same ack id on every try.
    pub packet: Packet,
    /// Its ack id.
    pub id: u64,
    /// 1 for the first send.
    pub attempt: u32,
}

/// What a packet from the server means for the application.
#[derive(Debug)]
pub enum Received<A> {
    /// The namespace accepted us. Send `flush` (emits buffered meanwhile) and `queued`.
    Connected {
        /// The socket id.
        sid: String,
        /// Events that arrived before the answer, to deliver first.
        events: Vec<Packet>,
        /// Whether the server restored the previous session (same id, missed packets follow).
        recovered: bool,
        /// The emits buffered while disconnected, in order.
        flush: Vec<Packet>,
        /// The head of the retry queue, sent again.
        queued: Option<QueueSend>,
    },
    /// The namespace refused us (`connect_error`).
    Refused {
        /// The server's message.
        message: String,
        /// The server's data, if any.
        data: Option<serde_json::Value>,
    },
    /// An event for the application.
    Event(Packet),
    /// The answer to one of our emits; then send `next` from the retry queue.
    Ack {
        /// What the driver registered for this ack.
        answer: A,
        /// The ack packet.
        packet: Packet,
        /// The next queued packet.
        next: Option<QueueSend>,
    },
    /// The server disconnected this socket (`io server disconnect`); `failed` are the acks
    /// that can no longer come.
    Disconnected {
        /// Answers to fail.
        failed: Vec<A>,
    },
    /// Nothing for the application (a stray ack, a packet in the wrong state).
    Ignored,
}

/// What a queued packet's timeout leads to.
#[derive(Debug)]
pub enum QueueTimeout<A> {
    /// The packet was answered or resent meanwhile: nothing to do.
    Stale,
    /// Send it again.
    Resend(QueueSend),
    /// Out of retries: fail `answer`, then send `next`.
    GaveUp {
        /// What the driver registered.
        answer: A,
        /// The next queued packet.
        next: Option<QueueSend>,
    },
}

#[derive(Deserialize)]
struct ConnectAnswer {
    sid: String,
    #[serde(default)]
    pid: Option<String>,
}

#[derive(Deserialize)]
struct Refusal {
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

impl<A> ClientSocket<A> {
    /// A disconnected socket for namespace `nsp`. `retries`: `None` sends emits as they come;
    /// `Some(n)` queues every non-volatile emit, one in flight at a time, each asking for an
    /// ack and sent up to `n + 1` times (socket.io-client's `retries`).
    pub fn new(nsp: &str, max_buffered: usize, retries: Option<u32>) -> ClientSocket<A> {
        ClientSocket {
            nsp: Packet::disconnect(nsp).nsp,
            state: State::Disconnected,
            next_id: 0,
            acks: HashMap::new(),
            buffer: VecDeque::new(),
            early: Vec::new(),
            max_buffered,
            queue: VecDeque::new(),
            retries,
            pid: None,
            offset: None,
            recovered: false,
        }
    }

    /// The namespace.
    pub fn nsp(&self) -> &str {
        &self.nsp
    }

    /// The socket id while connected.
    pub fn sid(&self) -> Option<&str> {
        match &self.state {
            State::Connected { sid } => Some(sid),
            _ => None,
        }
    }

    /// Whether the namespace is connected.
    pub fn is_connected(&self) -> bool {
        matches!(self.state, State::Connected { .. })
    }

    /// Whether the namespace is neither connected nor waiting for the server's answer.
    pub fn is_idle(&self) -> bool {
        self.state == State::Disconnected
    }

    /// Whether the last connection restored the previous session.
    pub fn recovered(&self) -> bool {
        self.recovered
    }

    /// Whether emits go through the retry queue.
    pub fn has_retries(&self) -> bool {
        self.retries.is_some()
    }

    /// The CONNECT packet for a new attempt, the auth object merged with the recovery
    /// session id and offset when the server gave one (socket.io-client's rule: the
    /// application's own keys win).
    pub fn connect(&mut self, auth: Option<serde_json::Value>) -> Packet {
        self.state = State::Connecting;
        let data = match (&self.pid, auth) {
            (Some(pid), auth) => {
                let mut merged = serde_json::Map::new();
                merged.insert("pid".into(), pid.clone().into());
                if let Some(offset) = &self.offset {
                    merged.insert("offset".into(), offset.clone().into());
                }
                match auth {
                    Some(serde_json::Value::Object(own)) => merged.extend(own),
                    Some(other) => return self.connect_packet(Some(other)),
                    None => {}
                }
                Some(serde_json::Value::Object(merged))
            }
            (None, auth) => auth,
        };
        self.connect_packet(data)
    }

    fn connect_packet(&self, data: Option<serde_json::Value>) -> Packet {
        let data = data.map(|data| Utf8Bytes::from(data.to_string()));
        Packet::connect(&self.nsp, data)
    }

    /// A fresh ack id for an emit whose answer `answer` awaits.
    pub fn register_ack(&mut self, answer: A) -> u64 {
        let id = self.take_id();
        self.acks.insert(
            id,
            PendingAck {
                answer,
                sent: false,
            },
        );
        id
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Forgets a pending ack (its caller gave up waiting); a late answer is then ignored.
    pub fn forget_ack(&mut self, id: u64) -> Option<A> {
        self.acks.remove(&id).map(|pending| pending.answer)
    }

    /// An emit, without the retry queue: sent now when connected, buffered otherwise (up to
    /// the bound: `Err` gives a packet back when the buffer is full), dropped if `volatile`.
    pub fn emit(&mut self, packet: Packet, volatile: bool) -> Result<Emit, Packet> {
        if self.is_connected() {
            self.mark_sent(&packet);
            return Ok(Emit::Send(packet));
        }
        if volatile {
            if let Some(id) = packet.id {
                self.acks.remove(&id);
            }
            return Ok(Emit::Dropped);
        }
        if self.buffer.len() >= self.max_buffered {
            return Err(packet);
        }
        self.buffer.push_back(packet);
        Ok(Emit::Buffered)
    }

    fn mark_sent(&mut self, packet: &Packet) {
        if let Some(pending) = packet.id.and_then(|id| self.acks.get_mut(&id)) {
            pending.sent = true;
        }
    }

    /// An emit through the retry queue: `packet` gets an ack id (kept on every try) and
    /// `answer` is returned when it is answered or out of tries. `Err` gives it back when
    /// the queue is full.
    pub fn enqueue(&mut self, packet: Packet, answer: A) -> Result<Option<QueueSend>, Packet> {
        if self.queue.len() >= self.max_buffered {
            return Err(packet);
        }
        let id = self.take_id();
        self.queue.push_back(Queued {
            packet: packet.with_id(id),
            tries: 0,
            in_flight: false,
            answer,
        });
        Ok(self.drain_queue(false))
    }

    /// The queue's head to send, if connected and (unless `force`) not already in flight.
    fn drain_queue(&mut self, force: bool) -> Option<QueueSend> {
        if !self.is_connected() {
            return None;
        }
        let head = self.queue.front_mut()?;
        if head.in_flight && !force {
            return None;
        }
        head.in_flight = true;
        head.tries += 1;
        Some(QueueSend {
            packet: head.packet.clone(),
            id: head.packet.id.unwrap_or_default(),
            attempt: head.tries,
        })
    }

    /// The timeout of try `attempt` of queued packet `id` expired.
    pub fn queue_timeout(&mut self, id: u64, attempt: u32) -> QueueTimeout<A> {
        let Some(head) = self.queue.front() else {
            return QueueTimeout::Stale;
        };
        if head.packet.id != Some(id) || head.tries != attempt || !head.in_flight {
            return QueueTimeout::Stale;
        }
        if head.tries > self.retries.unwrap_or(0) {
            let Some(done) = self.queue.pop_front() else {
                return QueueTimeout::Stale;
            };
            return QueueTimeout::GaveUp {
                answer: done.answer,
                next: self.drain_queue(false),
            };
        }
        match self.drain_queue(true) {
            Some(send) => QueueTimeout::Resend(send),
            None => QueueTimeout::Stale,
        }
    }

    /// A packet of this namespace from the server.
    pub fn receive(&mut self, packet: Packet) -> Received<A> {
        match packet.kind {
            PacketType::Connect => self.on_connect(&packet),
            PacketType::ConnectError => {
                self.state = State::Disconnected;
                let refusal = packet
                    .data
                    .as_deref()
                    .and_then(|data| serde_json::from_str::<Refusal>(data).ok());
                let (message, data) = refusal.map_or_else(
                    || ("connect error".to_owned(), None),
                    |r| (r.message, r.data),
                );
                Received::Refused { message, data }
            }
            PacketType::Event | PacketType::BinaryEvent if !self.is_idle() => {
                if self.pid.is_some() {
                    if let Some(offset) = packet.data.as_deref().and_then(last_string) {
                        self.offset = Some(offset);
                    }
                }
                if self.is_connected() {
                    return Received::Event(packet);
                }
                if self.early.len() < self.max_buffered {
                    self.early.push(packet);
                }
                Received::Ignored
            }
            PacketType::Ack | PacketType::BinaryAck => self.on_ack(packet),
            PacketType::Disconnect if self.is_connected() => Received::Disconnected {
                failed: self.lose_connection(),
            },
            _ => Received::Ignored,
        }
    }

    fn on_connect(&mut self, packet: &Packet) -> Received<A> {
        let Some(answer) = packet
            .data
            .as_deref()
            .and_then(|data| serde_json::from_str::<ConnectAnswer>(data).ok())
        else {
            return Received::Ignored;
        };
        self.recovered = answer.pid.is_some() && answer.pid == self.pid;
        if !self.recovered {
            self.offset = None;
        }
        self.pid = answer.pid;
        self.state = State::Connected {
            sid: answer.sid.clone(),
        };
        let flush: Vec<Packet> = self.buffer.drain(..).collect();
        for packet in &flush {
            self.mark_sent(packet);
        }
        Received::Connected {
            sid: answer.sid,
            events: std::mem::take(&mut self.early),
            recovered: self.recovered,
            flush,
            queued: self.drain_queue(true),
        }
    }

    fn on_ack(&mut self, packet: Packet) -> Received<A> {
        let Some(id) = packet.id else {
            return Received::Ignored;
        };
        let head_matches = self
            .queue
            .front()
            .is_some_and(|head| head.in_flight && head.packet.id == Some(id));
        if head_matches {
            if let Some(done) = self.queue.pop_front() {
                let next = self.drain_queue(false);
                return Received::Ack {
                    answer: done.answer,
                    packet,
                    next,
                };
            }
        }
        match self.acks.remove(&id) {
            Some(pending) => Received::Ack {
                answer: pending.answer,
                packet,
                next: None,
            },
            None => Received::Ignored,
        }
    }

    /// The connection under the namespace closed: the answers to fail (emits that left and
    /// can no longer be answered; buffered ones stay). The queue's head goes again once
    /// connected.
    pub fn on_close(&mut self) -> Vec<A> {
        self.lose_connection()
    }

    /// The application leaves the namespace: the DISCONNECT packet to send if connected, and
    /// the answers to fail.
    pub fn disconnect(&mut self) -> (Option<Packet>, Vec<A>) {
        let packet = self.is_connected().then(|| Packet::disconnect(&self.nsp));
        (packet, self.lose_connection())
    }

    fn lose_connection(&mut self) -> Vec<A> {
        self.state = State::Disconnected;
        self.early.clear();
        if let Some(head) = self.queue.front_mut() {
            head.in_flight = false;
        }
        let lost: Vec<u64> = self
            .acks
            .iter()
            .filter(|(_, pending)| pending.sent)
            .map(|(id, _)| *id)
            .collect();
        lost.into_iter()
            .filter_map(|id| self.acks.remove(&id).map(|pending| pending.answer))
            .collect()
    }
}

/// The last element of a JSON array when it is a string: the offset that a server with
/// connection state recovery appends to each broadcast.
fn last_string(data: &str) -> Option<String> {
    let all: Vec<&RawValue> = serde_json::from_str(data).ok()?;
    let last = all.get(1..)?.last()?;
    serde_json::from_str::<String>(last.get()).ok()
}
