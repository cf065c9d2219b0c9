//! What the transports report — WebSocket messages, connections and requests that end — and
//! the polling → WebSocket switch.

use std::time::Instant;

use super::{ClientSession, State};
use crate::client::{Action, CloseReason, Event, Transport};
use crate::error::Error;
use crate::packet::{PROBE, Packet};
use crate::protocol::Protocol;

impl ClientSession {
    /// A message on the WebSocket (the probe one during an upgrade). A close frame counts as
    /// [`ws_closed`](Self::ws_closed); pings and pongs are the WebSocket layer's business.
    pub fn handle_ws_message(
        &mut self,
        message: duplex_ws_proto::Message,
        now: Instant,
    ) -> Result<(), Error> {
        let decoded = match message {
            duplex_ws_proto::Message::Text(text) => Packet::decode_ws_text(text, Protocol::V4),
            duplex_ws_proto::Message::Binary(data) => Packet::decode_binary(data, Protocol::V4),
            duplex_ws_proto::Message::Close(_) => {
                self.ws_closed();
                return Ok(());
            }
            duplex_ws_proto::Message::Ping(_) | duplex_ws_proto::Message::Pong(_) => {
                return Ok(());
            }
        };
        match (self.state, decoded) {
            (State::Probing { ws_open: true }, Ok(Packet::Pong(data))) if data == PROBE => {
                self.state = State::Pausing {
                    polling_paused: false,
                };
                self.actions.push_back(Action::PausePolling);
                Ok(())
            }
            // engine.io-client gives up on the probe at any other answer, keeping polling.
            (State::Probing { .. }, _) | (State::Pausing { .. }, Err(_)) => {
                self.probe_failed(true);
                Ok(())
            }
            // The server sends nothing else on the probe before the switch; if it does, it is
            // still this session's.
            (
                State::Opening(Transport::WebSocket) | State::WebSocket | State::Pausing { .. },
                packet,
            ) => {
                let packet = packet.map_err(|e| self.fail(e))?;
                self.handle_packet(packet, now)
            }
            // No WebSocket belongs to the session: a late message of a failed probe.
            _ => Ok(()),
        }
    }

    /// The WebSocket asked for with [`Action::OpenWebSocket`] is connected.
    pub fn ws_opened(&mut self) {
        if self.state == (State::Probing { ws_open: false }) {
            self.state = State::Probing { ws_open: true };
            let probe = Packet::Ping(PROBE.into()).to_ws_message(Protocol::V4);
            self.actions.push_back(Action::SendWs(probe));
        }
    }

    /// The WebSocket closed (or never connected).
    pub fn ws_closed(&mut self) {
        self.ws_ended(CloseReason::TransportClose);
    }

    /// The WebSocket failed.
    pub fn ws_error(&mut self) {
        self.ws_ended(CloseReason::TransportError);
    }

    /// The POST handed out in [`Action::Post`] was answered with success.
    pub fn post_done(&mut self) {
        self.post_in_flight = false;
        self.try_switch();
        self.try_finish_close();
    }

    /// A polling request (GET or POST) failed: no answer, or not HTTP 200.
    pub fn poll_failed(&mut self) {
        if self.transport() == Some(Transport::Polling) {
            self.closed_with(CloseReason::TransportError);
        }
    }

    /// After [`Action::PausePolling`]: no GET is under way any more.
    pub fn polling_paused(&mut self) {
        if let State::Pausing { .. } = self.state {
            self.state = State::Pausing {
                polling_paused: true,
            };
            self.try_switch();
        }
    }

    fn ws_ended(&mut self, reason: CloseReason) {
        match self.state {
            State::Probing { .. } | State::Pausing { .. } => self.probe_failed(false),
            State::Opening(Transport::WebSocket) | State::WebSocket => self.closed_with(reason),
            _ => {}
        }
    }

    /// Back to polling; `close_ws` unless the WebSocket is gone already.
    fn probe_failed(&mut self, close_ws: bool) {
        self.state = State::Polling;
        self.events.push_back(Event::UpgradeError);
        if close_ws {
            self.actions.push_back(Action::CloseWebSocket);
        }
        self.try_finish_close();
    }

    /// Switches to the WebSocket once polling is quiet: the server must have every POSTed
    /// packet before the `5`, or it would drop them with the polling transport.
    fn try_switch(&mut self) {
        if self.state
            == (State::Pausing {
                polling_paused: true,
            })
            && !self.post_in_flight
        {
            self.state = State::WebSocket;
            self.actions
                .push_back(Action::SendWs(Packet::Upgrade.to_ws_message(Protocol::V4)));
            self.events.push_back(Event::Upgrade);
            self.try_finish_close();
        }
    }
}
