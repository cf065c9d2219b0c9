//! A session: its id, its transport, its outgoing queue and its heartbeat.

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use duplex_engineio_proto::server::{Refusal, SessionState, Upgrade};
use duplex_engineio_proto::{Heartbeat, Message, Packet, Protocol, Sid};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::Transport;
use crate::error::{BatchError, SendError};
use crate::handler::CloseReason;
use crate::outbox::Outbox;
use crate::prepared::PreparedMessage;
use crate::request::HandshakeRequest;

/// One Engine.IO session, shared by the application and the server's tasks.
pub struct Socket {
    id: Sid,
    protocol: Protocol,
    request: Arc<HandshakeRequest>,
    pub(crate) outbox: Outbox,
    /// The transport, the upgrade and the requests under way: a [`SessionState`] as its
    /// bits, changed only through its transitions (see [`Socket::transition`]).
    state: AtomicU8,
    close_reason: OnceLock<CloseReason>,
    data: OnceLock<Box<dyn Any + Send + Sync>>,
    pub(crate) closed: CancellationToken,
    pub(crate) heartbeat: Mutex<Heartbeat>,
    /// Wakes the session task when a pong moved the heartbeat deadline.
    pub(crate) heartbeat_moved: Notify,
}

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
            state: AtomicU8::new(
                match transport {
                    Transport::Polling => SessionState::polling(),
                    Transport::Websocket => SessionState::websocket(),
                }
                .to_bits(),
            ),
            close_reason: OnceLock::new(),
            data: OnceLock::new(),
            closed: CancellationToken::new(),
            heartbeat: Mutex::new(heartbeat),
            heartbeat_moved: Notify::new(),
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
        if self.state().is_websocket() {
            Transport::Websocket
        } else {
            Transport::Polling
        }
    }

    /// Whether binary messages go out as binary WebSocket frames; clients that cannot take
    /// them (`b64=1` in the handshake query) get base64 text instead.
    pub fn supports_binary(&self) -> bool {
        self.request.query("b64").is_none_or(str::is_empty)
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

    /// Queues several messages back to back (a Socket.IO packet and its binary attachments
    /// must not be interleaved with other sends): all of them, or none when the queue cannot
    /// take them all or the session is closed. For one session this is cheaper than
    /// [`send_prepared_all`](Socket::send_prepared_all): the transport frames each message
    /// straight into its write buffer.
    pub fn send_all(&self, batch: Vec<Message>) -> Result<(), BatchError> {
        if self.is_closed() {
            return Err(BatchError::Closed);
        }
        self.outbox.push_all(batch).map_err(|_| BatchError::Full)
    }

    /// Queues a message prepared once for many sessions (a broadcast): WebSocket sessions
    /// share its frame bytes. Fails like [`send`](Socket::send).
    pub fn send_prepared(&self, message: &PreparedMessage) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::Closed(message.message().clone()));
        }
        self.outbox
            .push_prepared(message.clone())
            .map_err(|m| SendError::Full(m.message().clone()))
    }

    /// Queues several prepared messages back to back (a Socket.IO packet and its binary
    /// attachments must not be interleaved with other sends): all of them, or none when the
    /// queue cannot take them all or the session is closed.
    pub fn send_prepared_all(&self, batch: &[PreparedMessage]) -> Result<(), BatchError> {
        if self.is_closed() {
            return Err(BatchError::Closed);
        }
        if self.outbox.push_prepared_all(batch) {
            Ok(())
        } else {
            Err(BatchError::Full)
        }
    }

    /// Whether a message sent now would leave without waiting for the client: a long-poll is
    /// pending, or the WebSocket has nothing queued. Socket.IO drops `volatile` packets when
    /// this is false.
    pub fn is_writable(&self) -> bool {
        if self.is_closed() {
            return false;
        }
        let state = self.state();
        (state.is_websocket() || state.is_poll_pending()) && self.outbox.is_empty()
    }

    /// Attaches the application's state to the session, once; a second call hands the value
    /// back.
    pub fn set_data<T: Any + Send + Sync>(&self, data: T) -> Result<(), T> {
        // The slot holds an `Option<T>`: whether `get_or_init` used our value shows in `slot`.
        let mut slot = Some(data);
        self.data.get_or_init(|| Box::new(slot.take()));
        match slot {
            None => Ok(()),
            Some(data) => Err(data),
        }
    }

    /// The state attached by [`set_data`](Socket::set_data), if it is a `T`.
    pub fn data<T: Any>(&self) -> Option<&T> {
        self.data
            .get()
            .and_then(|d| d.downcast_ref::<Option<T>>())
            .and_then(Option::as_ref)
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
        self.update(SessionState::close);
        // What a pending long-poll answers: the client's own close is acknowledged with a
        // noop, any other end with a close packet.
        self.outbox.push_control(match reason {
            CloseReason::TransportClose => Packet::Noop,
            _ => Packet::Close,
        });
        self.closed.cancel();
        true
    }

    /// The session's state, as last changed by any task.
    pub(crate) fn state(&self) -> SessionState {
        SessionState::from_bits(self.state.load(Ordering::Acquire))
    }

    /// Applies `step` to the state atomically, or nothing when it refuses. A compare-and-swap
    /// loop rather than a lock: `is_writable` and every long-poll read the state, and the
    /// requests of one session change it from several tasks at once.
    pub(crate) fn transition(
        &self,
        step: impl Fn(SessionState) -> Result<SessionState, Refusal>,
    ) -> Result<SessionState, Refusal> {
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let next = step(SessionState::from_bits(current))?;
            match self.state.compare_exchange_weak(
                current,
                next.to_bits(),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(next),
                Err(actual) => current = actual,
            }
        }
    }

    /// [`transition`](Socket::transition) for the steps that are never refused.
    pub(crate) fn update(&self, step: impl Fn(SessionState) -> SessionState) {
        let _ = self.transition(|state| Ok(step(state)));
    }

    /// `3probe` went out (see [`SessionState::probe_answered`]): pending long-polls are woken
    /// to be answered at once. engine.io does the same with a noop written to any pending poll
    /// every 100 ms during the probe.
    pub(crate) fn probe_answered(&self) -> Result<(), Refusal> {
        self.transition(SessionState::probe_answered)?;
        self.outbox.wake();
        Ok(())
    }

    /// Whether `3probe` went out and the upgrade has not finished or failed since.
    pub(crate) fn is_probed(&self) -> bool {
        self.state().upgrade() == Upgrade::Probed
    }

    /// The client sent `5`: from now on the WebSocket carries the session. A long-poll still
    /// pending (a client should have none) is released with a noop.
    pub(crate) fn finish_upgrade(&self) -> Result<(), Refusal> {
        self.transition(SessionState::finish_upgrade)?;
        self.outbox.wake();
        Ok(())
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn polling_socket() -> Socket {
        let request = HandshakeRequest::from_request(&http::Request::new(()));
        let heartbeat = Heartbeat::new(
            Protocol::V4,
            Duration::from_secs(25),
            Duration::from_secs(20),
            Instant::now(),
        );
        Socket::new(
            Protocol::V4,
            Transport::Polling,
            Arc::new(request),
            heartbeat,
            16,
        )
    }

    /// The compare-and-swap loop applies each transition once: of GETs racing on one
    /// session, exactly one is taken, and the POSTs racing beside them do not disturb it.
    #[test]
    fn racing_requests_take_exactly_one_poll_and_one_post() {
        for _ in 0..50 {
            let socket = polling_socket();
            let (polls, posts) = std::thread::scope(|scope| {
                let polls: Vec<_> = (0..4)
                    .map(|_| scope.spawn(|| socket.transition(SessionState::begin_poll)))
                    .collect();
                let posts: Vec<_> = (0..4)
                    .map(|_| scope.spawn(|| socket.transition(SessionState::begin_post)))
                    .collect();
                let join = |handles: Vec<std::thread::ScopedJoinHandle<'_, _>>| {
                    handles
                        .into_iter()
                        .map(|h| h.join().expect("no panic"))
                        .collect::<Vec<Result<SessionState, Refusal>>>()
                };
                (join(polls), join(posts))
            });
            assert_eq!(polls.iter().filter(|r| r.is_ok()).count(), 1, "{polls:?}");
            assert_eq!(posts.iter().filter(|r| r.is_ok()).count(), 1, "{posts:?}");
            let state = socket.state();
            assert!(state.is_poll_pending() && state.is_post_pending());
            socket.update(SessionState::end_poll);
            assert!(!socket.state().is_poll_pending() && socket.state().is_post_pending());
        }
    }

    #[test]
    fn the_upgrade_moves_the_transport_and_the_close_stops_new_probes() {
        let socket = polling_socket();
        assert_eq!(socket.transport(), Transport::Polling);
        socket.transition(SessionState::begin_probe).unwrap();
        assert_eq!(socket.probe_answered(), Ok(()));
        assert!(socket.is_probed());
        assert_eq!(socket.finish_upgrade(), Ok(()));
        assert_eq!(socket.transport(), Transport::Websocket);

        let socket = polling_socket();
        assert!(socket.close_with(CloseReason::ForcedClose));
        assert_eq!(
            socket.transition(SessionState::begin_probe),
            Err(Refusal::Closed)
        );
    }
}
