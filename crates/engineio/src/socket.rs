//! A session: its id, its transport, its outgoing queue and its heartbeat.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use duplex_engineio_proto::{Heartbeat, Message, Packet, Protocol, Sid};
use tokio_util::sync::CancellationToken;

use crate::config::Transport;
use crate::error::SendError;
use crate::handler::CloseReason;
use crate::outbox::Outbox;
use crate::request::HandshakeRequest;

/// One Engine.IO session, shared by the application and the server's tasks.
pub struct Socket {
    id: Sid,
    protocol: Protocol,
    request: Arc<HandshakeRequest>,
    pub(crate) outbox: Outbox,
    transport: AtomicU8,
    upgrading: AtomicBool,
    close_reason: OnceLock<CloseReason>,
    pub(crate) closed: CancellationToken,
    pub(crate) heartbeat: Mutex<Heartbeat>,
    /// A long-poll GET is waiting on this session.
    pub(crate) poll_pending: AtomicBool,
    /// A POST is being read for this session.
    pub(crate) post_pending: AtomicBool,
}

const POLLING: u8 = 0;
const WEBSOCKET: u8 = 1;

impl Socket {
    pub(crate) fn new(
        protocol: Protocol,
        transport: Transport,
        request: Arc<HandshakeRequest>,
        heartbeat: Heartbeat,
        max_queued_packets: usize,
    ) -> Socket {
        Socket {
            id: Sid::generate(),
            protocol,
            request,
            outbox: Outbox::new(max_queued_packets),
            transport: AtomicU8::new(match transport {
                Transport::Polling => POLLING,
                Transport::Websocket => WEBSOCKET,
            }),
            upgrading: AtomicBool::new(false),
            close_reason: OnceLock::new(),
            closed: CancellationToken::new(),
            heartbeat: Mutex::new(heartbeat),
            poll_pending: AtomicBool::new(false),
            post_pending: AtomicBool::new(false),
        }
    }

    /// The session id.
    pub fn id(&self) -> Sid {
        self.id
    }

    /// The protocol revision the client speaks.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The transport currently carrying the session.
    pub fn transport(&self) -> Transport {
        match self.transport.load(Ordering::Acquire) {
            POLLING => Transport::Polling,
            _ => Transport::Websocket,
        }
    }

    /// The request that opened the session.
    pub fn request(&self) -> &HandshakeRequest {
        &self.request
    }

    /// Queues a message for the client. Never waits: when the queue is full (see
    /// [`Config::max_queued_packets`](crate::Config::max_queued_packets)) or the session is
    /// closed, the message comes back in the error.
    pub fn send(&self, message: impl Into<Message>) -> Result<(), SendError> {
        let message = message.into();
        if self.is_closed() {
            return Err(SendError::Closed(message));
        }
        self.outbox.push(message).map_err(SendError::Full)
    }

    /// Closes the session (reason `forced close`): the client gets what was queued before,
    /// then the close.
    pub fn close(&self) {
        self.close_with(CloseReason::ForcedClose);
    }

    /// Whether the session has closed.
    pub fn is_closed(&self) -> bool {
        self.close_reason.get().is_some()
    }

    /// Why the session closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason.get().copied()
    }

    /// Waits until the session closes.
    pub async fn closed(&self) {
        self.closed.cancelled().await;
    }

    /// Closes with `reason` unless already closed; returns whether this call closed it.
    pub(crate) fn close_with(&self, reason: CloseReason) -> bool {
        if self.close_reason.set(reason).is_err() {
            return false;
        }
        // What a pending long-poll answers: the client's own close is acknowledged with a
        // noop, any other end with a close packet.
        self.outbox.push_control(match reason {
            CloseReason::TransportClose => Packet::Noop,
            _ => Packet::Close,
        });
        self.closed.cancel();
        true
    }

    /// Claims the upgrade for one probing WebSocket; false if the session is not polling,
    /// already probing, or closed.
    pub(crate) fn begin_upgrade(&self) -> bool {
        self.transport() == Transport::Polling
            && !self.is_closed()
            && self
                .upgrading
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// The probe failed or timed out: the session stays on polling.
    pub(crate) fn abort_upgrade(&self) {
        self.upgrading.store(false, Ordering::Release);
    }

    /// The client sent `5`: from now on the WebSocket carries the session. A long-poll still
    /// pending (a client should have none) is released with a noop.
    pub(crate) fn finish_upgrade(&self) {
        self.transport.store(WEBSOCKET, Ordering::Release);
        self.upgrading.store(false, Ordering::Release);
        self.outbox.wake();
    }
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.id)
            .field("protocol", &self.protocol)
            .field("transport", &self.transport())
            .field("closed", &self.close_reason())
            .finish()
    }
}
