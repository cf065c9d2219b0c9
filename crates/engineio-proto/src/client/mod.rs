//! The client side of an Engine.IO v4 session as a state machine: what to send, what the
//! application hears and when the peer counts as gone, with the HTTP requests and the
//! WebSocket left to a driver.
//!
//! The driver feeds [`ClientSession`] what arrives (polling GET bodies, WebSocket messages,
//! the end of requests and connections) with the current [`Instant`](std::time::Instant), and
//! takes out [`Action`]s (a POST body to send, a WebSocket message to send, a WebSocket to open
//! or close, polling to pause) and [`Event`]s for the application. Timers are one deadline,
//! [`ClientSession::next_deadline`]; the driver calls [`ClientSession::handle_timeout`] when it
//! passes.
//!
//! The session follows engine.io-client 6: it answers each server ping with a pong, splits its
//! polling writes so each POST body stays within the server's `maxPayload`, and upgrades
//! from polling to WebSocket when the server offers it:
//!
//! ```text
//!  new(Polling)                                   new(WebSocket)
//!      |                                               |
//!      v                                               v
//!  Opening(Polling) --open, no "websocket"-->+    Opening(WebSocket) --open--> WebSocket
//!      |                                     |                                    ^
//!      | open, "websocket" in upgrades       v                                    |
//!      | [OpenWebSocket]                  Polling <--------------+                |
//!      v                                                         | probe failed:  |
//!  Probing { ws_open: false }                                    | WebSocket      |
//!      | ws_opened: [Ws "2probe"]                                | error or close,|
//!      v                                                         | any answer but |
//!  Probing { ws_open: true } ------------------------------------+ "3probe"       |
//!      | "3probe": no more POSTs [PausePolling]                  | [CloseWebSocket]
//!      v                                                         |                |
//!  Pausing { polling_paused } -----------------------------------+                |
//!      | polling_paused, no POST in flight: [Ws "5"], queued packets follow       |
//!      +--------------------------------------------------------------------------+
//!
//!  any state --ping timeout, transport close or error, close()--> Closed(reason)
//! ```
//!
//! Packets the application sends wait in one queue whatever the transport: during the switch
//! they stay queued and go, in order, over the WebSocket right after the `5`.
//!
//! A driver is one loop that waits on whichever comes first:
//!
//! ```text
//! loop {
//!     while let Some(a) = session.poll_action() { start it (POST, WebSocket send/open/close, pause) }
//!     while let Some(e) = session.poll_event() { hand it to the application; stop after Close }
//!     if session.wants_poll() and no GET is under way { start a GET (with sid= once known) }
//!     select {
//!         GET answered 200      => session.handle_poll_body(body, now)   (then GET again)
//!         GET/POST failed       => session.poll_failed()
//!         POST answered 200     => session.post_done()
//!         GET over after PausePolling => session.polling_paused()
//!         WebSocket connected   => session.ws_opened()
//!         WebSocket message     => session.handle_ws_message(message, now)
//!         WebSocket closed/error => session.ws_closed() / session.ws_error()
//!         application message  => session.send(message); close => session.close()
//!         sleep until session.next_deadline() => session.handle_timeout(now)
//!     }
//! }
//! ```
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use duplex_engineio_proto::client::{Action, ClientOptions, ClientSession, Event};
//!
//! let now = Instant::now();
//! let mut session = ClientSession::new(ClientOptions::default());
//! // The handshake GET answered with the open packet, then a GET with a ping.
//! let open = r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
//! session.handle_poll_body(Bytes::from(open), now).unwrap();
//! session.handle_poll_body(Bytes::from_static(b"2"), now).unwrap();
//! session.send("hi").unwrap();
//! assert_eq!(session.poll_event(), Some(Event::Open));
//! assert_eq!(session.poll_action(), Some(Action::Post(Bytes::from_static(b"3\x1e4hi"))));
//! ```

mod post;
#[cfg(test)]
mod random_tests;
mod session;
#[cfg(test)]
mod tests;

pub use session::ClientSession;

use bytes::Bytes;

use crate::message::Message;

/// The transports a client session runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// HTTP long-polling: GETs bring the server's packets, POSTs carry ours.
    Polling,
    /// One WebSocket, a packet per message.
    WebSocket,
}

/// Why a session closed, named as engine.io-client names it in its `close` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The server closed the session (a `1` packet) or the connection under it.
    TransportClose,
    /// A request or the WebSocket failed, or the server sent what is not Engine.IO. The
    /// reference client has no `parse error` reason: its parser turns bad bytes into an
    /// error packet, which it reports as a transport error.
    TransportError,
    /// Nothing arrived within `pingInterval + pingTimeout`.
    PingTimeout,
    /// The application closed the session.
    ForcedClose,
}

impl CloseReason {
    /// The reason as engine.io-client spells it (`"transport close"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ForcedClose => "forced close",
        }
    }
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the application hears from the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake completed ([`ClientSession::handshake`] holds its parameters).
    Open,
    /// A message from the server.
    Message(Message),
    /// The session now runs over the WebSocket.
    Upgrade,
    /// The WebSocket probe failed; the session stays on polling.
    UpgradeError,
    /// The session ended; nothing follows.
    Close(CloseReason),
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this body in a polling POST (with `sid=`), then call
    /// [`ClientSession::post_done`]; no other POST is handed out until then.
    Post(Bytes),
    /// Send this message over the WebSocket (the probe during an upgrade, else the session's).
    SendWs(duplex_ws_proto::Message),
    /// Connect a WebSocket with this session's `sid` and `transport=websocket`, then call
    /// [`ClientSession::ws_opened`] (or `ws_error`/`ws_closed` if it fails).
    OpenWebSocket,
    /// Start no more GETs; once the GET under way (if any) has finished, call
    /// [`ClientSession::polling_paused`].
    PausePolling,
    /// Close the WebSocket: a failed probe, or the end of the session.
    CloseWebSocket,
}

/// How a client session starts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The transport of the handshake. Default: [`Transport::Polling`].
    pub transport: Transport,
    /// Whether to upgrade to WebSocket when the server offers it. Default: `true`.
    pub upgrade: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            transport: Transport::Polling,
            upgrade: true,
        }
    }
}

impl ClientOptions {
    /// Sets the transport of the handshake.
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Sets whether to upgrade to WebSocket.
    pub fn upgrade(mut self, upgrade: bool) -> Self {
        self.upgrade = upgrade;
        self
    }
}
