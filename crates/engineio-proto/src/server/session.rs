//! [`SessionState`]: the transport, the upgrade, the requests under way and the end of one
//! server session, with the rules for changing them.
//!
//! ```text
//!  polling() ── begin_probe ──▶ Probing ── probe_answered ──▶ Probed ── finish_upgrade ──▶ WebSocket
//!      ▲  (a WebSocket sent          │   (3probe went out: every     │   (the client sent 5:     ▲
//!      │   ?sid=: one per session)   │    long-poll is answered      │    the WebSocket carries  │
//!      │                             │    at once from now on)       │    the session for good)  │
//!      └──────── abort_probe ────────┴───────────────────────────────┘                           │
//!                (the probe failed or timed out: the session stays on polling)     websocket() ──┘
//!
//!  Beside the upgrade, while the session is polling:
//!    begin_poll / end_poll    one long-poll GET at a time (a second one is refused and ends
//!                             the session: two clients share a sid, or the client is broken)
//!    begin_post / end_post    one POST at a time, the same rule
//!  close                      once closed, always closed; no probe begins after it
//! ```
//!
//! Requests on a closed session are still taken, except probes: a long-poll collects what
//! the application queued before it closed the session, and then the close packet; a POST's
//! packets are dropped by the driver. A probe that began before the close may still finish
//! (`probe_answered`, `finish_upgrade`): a client that already sent `5` reads only the new
//! WebSocket, so the packets queued before the close must reach it there.

/// Bits of [`SessionState::to_bits`]. `PROBING` and `PROBED` are never both set, and neither
/// is set with `WEBSOCKET`.
const WEBSOCKET: u8 = 1;
const PROBING: u8 = 1 << 1;
const PROBED: u8 = 1 << 2;
const POLL: u8 = 1 << 3;
const POST: u8 = 1 << 4;
const CLOSED: u8 = 1 << 5;
const ALL: u8 = WEBSOCKET | PROBING | PROBED | POLL | POST | CLOSED;

/// Where the upgrade of a polling session to WebSocket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Upgrade {
    /// No WebSocket is probing (also on a session that WebSocket carries).
    Idle,
    /// A WebSocket claimed the upgrade and has not answered `2probe` yet.
    Probing,
    /// `3probe` went out: the client is to pause polling and send `5`.
    Probed,
}

/// Why a transition was refused. A refused request is answered with HTTP 400,
/// `{"code":3,"message":"Bad request"}` (the reference server's answer to each of these);
/// [`closes_session`](Refusal::closes_session) says whether the session ends too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// A long-poll, POST or probe on a session that WebSocket carries.
    NotPolling,
    /// A second long-poll while one is pending.
    OverlappingPoll,
    /// A second POST while one is being read.
    OverlappingPost,
    /// A second WebSocket probe while one is under way.
    ProbeUnderway,
    /// A probe on a closed session.
    Closed,
    /// `probe_answered` without a probe that has not answered yet, or `finish_upgrade`
    /// without an answered probe: the driver's steps came out of order.
    OutOfOrder,
}

impl Refusal {
    /// Whether the session ends with this refusal (as `transport error`): overlapping
    /// requests mean two clients share the session id or the client is broken, and neither
    /// may go on. Other refusals leave the session as it was.
    pub const fn closes_session(self) -> bool {
        matches!(self, Refusal::OverlappingPoll | Refusal::OverlappingPost)
    }
}

/// The state of one server session, `Copy` and one byte wide (see the module diagram).
///
/// Transitions take the state by value and return the next one, or a [`Refusal`] and no
/// change; none panics, in any state.
///
/// ```
/// use duplex_engineio_proto::server::{Refusal, SessionState, Upgrade};
///
/// let state = SessionState::polling().begin_poll().unwrap();
/// assert_eq!(state.begin_poll(), Err(Refusal::OverlappingPoll));
/// let state = state.begin_probe().unwrap().probe_answered().unwrap();
/// assert_eq!(state.upgrade(), Upgrade::Probed);
/// let state = state.finish_upgrade().unwrap().end_poll();
/// assert!(state.is_websocket());
/// assert_eq!(state.begin_post(), Err(Refusal::NotPolling));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionState(u8);

impl SessionState {
    /// A session opened over polling: no request under way, no upgrade.
    pub const fn polling() -> SessionState {
        SessionState(0)
    }

    /// A session opened directly over WebSocket.
    pub const fn websocket() -> SessionState {
        SessionState(WEBSOCKET)
    }

    /// The state as one byte, for an atomic; [`from_bits`](Self::from_bits) reads it back.
    pub const fn to_bits(self) -> u8 {
        self.0
    }

    /// The state [`to_bits`](Self::to_bits) gave `bits`. Every byte reads as some state:
    /// bits `to_bits` never sets are ignored, a WebSocket session has no upgrade, and a
    /// byte with both upgrade stages reads as probed.
    pub const fn from_bits(bits: u8) -> SessionState {
        let mut bits = bits & ALL;
        if bits & WEBSOCKET != 0 {
            bits &= !(PROBING | PROBED);
        } else if bits & PROBED != 0 {
            bits &= !PROBING;
        }
        SessionState(bits)
    }

    /// Whether WebSocket carries the session (from the start, or since the upgrade).
    pub const fn is_websocket(self) -> bool {
        self.0 & WEBSOCKET != 0
    }

    /// Where the upgrade stands.
    pub const fn upgrade(self) -> Upgrade {
        if self.0 & PROBED != 0 {
            Upgrade::Probed
        } else if self.0 & PROBING != 0 {
            Upgrade::Probing
        } else {
            Upgrade::Idle
        }
    }

    /// Whether a long-poll GET is pending.
    pub const fn is_poll_pending(self) -> bool {
        self.0 & POLL != 0
    }

    /// Whether a POST is being read.
    pub const fn is_post_pending(self) -> bool {
        self.0 & POST != 0
    }

    /// Whether the session has closed.
    pub const fn is_closed(self) -> bool {
        self.0 & CLOSED != 0
    }

    /// A long-poll GET arrives. Refused on a WebSocket session, and while another is
    /// pending (that refusal ends the session). A GET that was pending when the upgrade
    /// finished stays pending until [`end_poll`](Self::end_poll): the driver answers it with
    /// a noop.
    pub const fn begin_poll(self) -> Result<SessionState, Refusal> {
        self.begin_request(POLL, Refusal::OverlappingPoll)
    }

    /// The long-poll was answered, or its client went away.
    pub const fn end_poll(self) -> SessionState {
        SessionState(self.0 & !POLL)
    }

    /// A POST arrives. Refused like [`begin_poll`](Self::begin_poll), for POSTs.
    pub const fn begin_post(self) -> Result<SessionState, Refusal> {
        self.begin_request(POST, Refusal::OverlappingPost)
    }

    /// The POST was read and answered, or its client went away.
    pub const fn end_post(self) -> SessionState {
        SessionState(self.0 & !POST)
    }

    /// A polling request whose bit is `bit`: one at a time, only while polling.
    const fn begin_request(self, bit: u8, overlap: Refusal) -> Result<SessionState, Refusal> {
        if self.is_websocket() {
            Err(Refusal::NotPolling)
        } else if self.0 & bit != 0 {
            Err(overlap)
        } else {
            Ok(SessionState(self.0 | bit))
        }
    }

    /// A WebSocket with this session's id claims the upgrade. One probe per session at a
    /// time, only while polling, never after the close.
    pub const fn begin_probe(self) -> Result<SessionState, Refusal> {
        if self.is_websocket() {
            Err(Refusal::NotPolling)
        } else if self.is_closed() {
            Err(Refusal::Closed)
        } else if self.0 & (PROBING | PROBED) != 0 {
            Err(Refusal::ProbeUnderway)
        } else {
            Ok(SessionState(self.0 | PROBING))
        }
    }

    /// `3probe` went out on the probing WebSocket. From now on the driver answers every
    /// long-poll at once (with a noop if nothing is queued): the client pauses polling only
    /// once no GET of its own is under way, and a GET left waiting would hold the switch
    /// until the next ping or the upgrade timeout.
    pub const fn probe_answered(self) -> Result<SessionState, Refusal> {
        self.advance_upgrade(PROBING, PROBED)
    }

    /// The probe failed, or timed out: the session carries on over polling, and a new probe
    /// may begin. Nothing changes on a session WebSocket carries.
    pub const fn abort_probe(self) -> SessionState {
        SessionState(self.0 & !(PROBING | PROBED))
    }

    /// The client sent `5` after `3probe`: WebSocket carries the session from now on, and
    /// there is no way back to polling.
    pub const fn finish_upgrade(self) -> Result<SessionState, Refusal> {
        self.advance_upgrade(PROBED, WEBSOCKET)
    }

    /// The upgrade moves on from the stage whose bit is `from` to `to`, and from no other.
    const fn advance_upgrade(self, from: u8, to: u8) -> Result<SessionState, Refusal> {
        if self.is_websocket() {
            Err(Refusal::NotPolling)
        } else if self.0 & from == 0 {
            Err(Refusal::OutOfOrder)
        } else {
            Ok(SessionState((self.0 & !from) | to))
        }
    }

    /// The session ends (for any reason); closing again changes nothing.
    pub const fn close(self) -> SessionState {
        SessionState(self.0 | CLOSED)
    }
}
