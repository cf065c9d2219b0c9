//! [`ClientSession`]: one client session's state, queue and heartbeat.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::post::take_post;
use super::{Action, ClientOptions, CloseReason, Event, Transport};
use crate::error::Error;
use crate::message::Message;
use crate::open::OpenPacket;
use crate::packet::Packet;
use crate::protocol::Protocol;

mod upgrade;

/// The states of the module diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The handshake request is under way; the open packet has not arrived.
    Opening(Transport),
    /// Open over polling, no upgrade under way.
    Polling,
    /// Open over polling; the probe WebSocket is connecting (`ws_open: false`) or has sent
    /// `2probe`.
    Probing { ws_open: bool },
    /// `3probe` arrived: polling winds down before the switch.
    Pausing { polling_paused: bool },
    /// Open over WebSocket.
    WebSocket,
    /// Ended; nothing more happens.
    Closed(CloseReason),
}

/// The state machine of one Engine.IO v4 client session (see the [module](super) docs).
///
/// Methods taking input return `Err` only when that input ended the session (with
/// [`CloseReason::TransportError`]); the error says what the server got wrong. No input
/// panics, whatever its bytes or order.
#[derive(Debug, Clone)]
pub struct ClientSession {
    options: ClientOptions,
    state: State,
    handshake: Option<OpenPacket>,
    /// Packets not yet handed to a transport, in the order they must go.
    queue: VecDeque<Packet>,
    /// A POST body was handed out and not yet answered.
    post_in_flight: bool,
    /// `close()` was called; it takes effect once the queue has drained.
    close_requested: bool,
    /// When the server counts as gone if nothing arrives before.
    expires_at: Option<Instant>,
    actions: VecDeque<Action>,
    events: VecDeque<Event>,
}

impl ClientSession {
    /// A session about to make its handshake request over `options.transport`: a GET without
    /// `sid` for polling (the driver starts it as [`wants_poll`](Self::wants_poll) says), or a
    /// WebSocket connection.
    pub fn new(options: ClientOptions) -> ClientSession {
        ClientSession {
            state: State::Opening(options.transport),
            options,
            handshake: None,
            queue: VecDeque::new(),
            post_in_flight: false,
            close_requested: false,
            expires_at: None,
            actions: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The session id, once open.
    pub fn sid(&self) -> Option<&str> {
        self.handshake.as_ref().map(|h| h.sid.as_str())
    }

    /// The server's handshake, once open.
    pub fn handshake(&self) -> Option<&OpenPacket> {
        self.handshake.as_ref()
    }

    /// The transport the session's packets go over; `None` once closed.
    pub fn transport(&self) -> Option<Transport> {
        match self.state {
            State::Opening(transport) => Some(transport),
            State::Polling | State::Probing { .. } | State::Pausing { .. } => {
                Some(Transport::Polling)
            }
            State::WebSocket => Some(Transport::WebSocket),
            State::Closed(_) => None,
        }
    }

    /// Whether the handshake completed and the session has not ended.
    pub fn is_open(&self) -> bool {
        !matches!(self.state, State::Opening(_) | State::Closed(_))
    }

    /// Whether the session ended.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed(_))
    }

    /// Why the session ended, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        match self.state {
            State::Closed(reason) => Some(reason),
            _ => None,
        }
    }

    /// Whether a WebSocket probe or switch is under way.
    pub fn is_upgrading(&self) -> bool {
        matches!(self.state, State::Probing { .. } | State::Pausing { .. })
    }

    /// Whether the driver should have a GET under way: polling carries the session and is not
    /// pausing. When a GET ends, the driver starts the next one while this holds.
    pub fn wants_poll(&self) -> bool {
        matches!(
            self.state,
            State::Opening(Transport::Polling) | State::Polling | State::Probing { .. }
        )
    }

    /// Queues an application message. Gives it back if the session is closed or closing.
    pub fn send(&mut self, message: impl Into<Message>) -> Result<(), Message> {
        let message = message.into();
        if self.is_closed() || self.close_requested {
            return Err(message);
        }
        self.queue.push_back(Packet::Message(message));
        Ok(())
    }

    /// Closes the session (reason [`CloseReason::ForcedClose`]) once the packets already
    /// queued have gone and a switch under way has finished, as engine.io-client does. Over
    /// polling the server is told with a `1` packet; a WebSocket is just closed.
    pub fn close(&mut self) {
        if !self.is_closed() {
            self.close_requested = true;
            self.try_finish_close();
        }
    }

    /// The next thing the driver must do, if any. Call until `None` after every input.
    pub fn poll_action(&mut self) -> Option<Action> {
        if let Some(action) = self.actions.pop_front() {
            return Some(action);
        }
        match self.state {
            State::Polling | State::Probing { .. }
                if !self.post_in_flight && !self.queue.is_empty() =>
            {
                self.post_in_flight = true;
                let max_payload = self.handshake.as_ref().map_or(0, |h| h.max_payload);
                Some(Action::Post(take_post(&mut self.queue, max_payload)))
            }
            State::WebSocket => {
                let packet = self.queue.pop_front()?;
                if self.queue.is_empty() {
                    self.try_finish_close();
                }
                Some(Action::SendWs(packet.to_ws_message(Protocol::V4)))
            }
            _ => None,
        }
    }

    /// The next event for the application, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.expires_at
    }

    /// Advances the clock: past the deadline, the session closes with
    /// [`CloseReason::PingTimeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.expires_at.is_some_and(|at| now >= at) {
            self.closed_with(CloseReason::PingTimeout);
        }
    }

    /// The body of a polling GET response.
    pub fn handle_poll_body(&mut self, body: Bytes, now: Instant) -> Result<(), Error> {
        if self.is_closed() {
            return Ok(());
        }
        let packets = crate::payload::decode(body, Protocol::V4).map_err(|e| self.fail(e))?;
        for packet in packets {
            self.handle_packet(packet, now)?;
        }
        Ok(())
    }

    fn handle_packet(&mut self, packet: Packet, now: Instant) -> Result<(), Error> {
        if self.is_closed() {
            return Ok(());
        }
        if let State::Opening(transport) = self.state {
            let Packet::Open(json) = packet else {
                return Err(self.fail(Error::UnexpectedPacket(packet.packet_type())));
            };
            let open = OpenPacket::from_json(json.as_str()).map_err(|e| self.fail(e))?;
            self.opened(open, transport, now);
            return Ok(());
        }
        // Any packet is a sign of life. engine.io-client 6 re-arms its timer on pings alone;
        // the server pings every interval whatever else it sends, so the two differ only for
        // a server that keeps talking but stopped pinging, which we keep.
        self.expires_at = self.expiry(now);
        match packet {
            Packet::Open(_) => return Err(self.fail(Error::UnexpectedPacket(packet.packet_type()))),
            Packet::Close => self.closed_with(CloseReason::TransportClose),
            // engine.io-client answers with an empty pong whatever the ping carried.
            Packet::Ping(_) => self.queue.push_back(Packet::Pong(Default::default())),
            Packet::Message(message) => self.events.push_back(Event::Message(message)),
            // A server sends none of these to a client outside a probe; the reference ignores
            // them.
            Packet::Pong(_) | Packet::Upgrade | Packet::Noop => {}
        }
        Ok(())
    }

    fn opened(&mut self, open: OpenPacket, transport: Transport, now: Instant) {
        let offers_ws = open.upgrades.iter().any(|u| u == "websocket");
        self.handshake = Some(open);
        self.expires_at = self.expiry(now);
        self.events.push_back(Event::Open);
        self.state = match transport {
            Transport::WebSocket => State::WebSocket,
            Transport::Polling if offers_ws && self.options.upgrade => {
                self.actions.push_back(Action::OpenWebSocket);
                State::Probing { ws_open: false }
            }
            Transport::Polling => State::Polling,
        };
        self.try_finish_close();
    }

    /// `now + pingInterval + pingTimeout`; `None` (never) past what an `Instant` can hold.
    fn expiry(&self, now: Instant) -> Option<Instant> {
        let h = self.handshake.as_ref()?;
        now.checked_add(Duration::from_millis(
            h.ping_interval.saturating_add(h.ping_timeout),
        ))
    }

    fn try_finish_close(&mut self) {
        let drained = self.queue.is_empty() && !self.post_in_flight;
        if !self.close_requested || !drained || matches!(self.state, State::Pausing { .. }) {
            return;
        }
        let tell_server = matches!(self.state, State::Polling | State::Probing { .. });
        self.closed_with(CloseReason::ForcedClose);
        if tell_server {
            self.actions
                .push_back(Action::Post(Bytes::from_static(b"1")));
        }
    }

    /// Records `error` as the end of the session and hands it back.
    fn fail(&mut self, error: Error) -> Error {
        self.closed_with(CloseReason::TransportError);
        error
    }

    fn closed_with(&mut self, reason: CloseReason) {
        let has_ws = matches!(
            self.state,
            State::Opening(Transport::WebSocket)
                | State::WebSocket
                | State::Probing { .. }
                | State::Pausing { .. }
        );
        if self.is_closed() {
            return;
        }
        self.state = State::Closed(reason);
        self.queue.clear();
        // What is already decided still goes (the `5` of a finished switch, the `1` of a
        // forced close), but no new connection.
        self.actions.retain(|a| *a != Action::OpenWebSocket);
        self.expires_at = None;
        self.post_in_flight = false;
        if has_ws {
            self.actions.push_back(Action::CloseWebSocket);
        }
        self.events.push_back(Event::Close(reason));
    }
}
