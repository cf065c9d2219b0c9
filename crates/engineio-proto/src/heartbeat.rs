//! The heartbeat as deadlines: when to ping, and when a silent peer counts as gone.
//!
//! ```text
//! v4 (the server pings):
//!   Waiting { ping_at } --ping_at passes--> SendPing, AwaitingPong { expires_at = now + timeout }
//!   AwaitingPong --pong--> Waiting { ping_at = now + interval }
//!   AwaitingPong --first other packet--> AwaitingPong { expires_at = now + timeout }
//!   AwaitingPong --expires_at passes--> Expired ("ping timeout")
//! v3 (the client pings, the server answers each ping with a pong):
//!   Watching { expires_at } --ping--> Watching { expires_at = now + interval + timeout }
//!   Watching --expires_at passes--> Expired
//! ```
//! The driver sleeps until [`Heartbeat::deadline`], then calls [`Heartbeat::poll`]. A pong only
//! ever moves the deadline later, so a driver that wakes early just polls and sleeps again.

use std::time::{Duration, Instant};

use crate::protocol::Protocol;

/// What the driver must do when a deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeartbeatEvent {
    /// Send a ping packet (`2`).
    SendPing,
    /// The peer is silent: close the session with reason `ping timeout`.
    Expired,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Waiting {
        ping_at: Instant,
    },
    /// `refreshed`: another packet already pushed the deadline back during this wait.
    AwaitingPong {
        expires_at: Instant,
        refreshed: bool,
    },
    Watching {
        expires_at: Instant,
    },
    Expired,
}

/// One session's heartbeat.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    interval: Duration,
    timeout: Duration,
    state: State,
}

impl Heartbeat {
    /// Starts the heartbeat of a session opened at `now`.
    pub fn new(protocol: Protocol, interval: Duration, timeout: Duration, now: Instant) -> Self {
        let state = match protocol {
            Protocol::V4 => State::Waiting {
                ping_at: now + interval,
            },
            Protocol::V3 => State::Watching {
                expires_at: now + interval + timeout,
            },
        };
        Heartbeat {
            interval,
            timeout,
            state,
        }
    }

    /// The next instant at which [`poll`](Heartbeat::poll) has something to do; `None` once
    /// expired.
    pub fn deadline(&self) -> Option<Instant> {
        match self.state {
            State::Waiting { ping_at } => Some(ping_at),
            State::AwaitingPong { expires_at, .. } | State::Watching { expires_at } => {
                Some(expires_at)
            }
            State::Expired => None,
        }
    }

    /// Advances to `now`: whether to send a ping or give up on the peer.
    pub fn poll(&mut self, now: Instant) -> Option<HeartbeatEvent> {
        match self.state {
            State::Waiting { ping_at } if now >= ping_at => {
                self.state = State::AwaitingPong {
                    expires_at: now + self.timeout,
                    refreshed: false,
                };
                Some(HeartbeatEvent::SendPing)
            }
            State::AwaitingPong { expires_at, .. } | State::Watching { expires_at }
                if now >= expires_at =>
            {
                self.state = State::Expired;
                Some(HeartbeatEvent::Expired)
            }
            _ => None,
        }
    }

    /// A pong arrived (v4): the next ping is due one interval from now.
    pub fn on_pong(&mut self, now: Instant) {
        if matches!(
            self.state,
            State::AwaitingPong { .. } | State::Waiting { .. }
        ) {
            self.state = State::Waiting {
                ping_at: now + self.interval,
            };
        }
    }

    /// Any packet but a pong arrived (v4). The first one while a pong is awaited pushes the
    /// deadline back by one timeout, as the reference server does: a client busy sending a
    /// large upload, whose pong queues behind it, is alive.
    pub fn on_packet(&mut self, now: Instant) {
        if let State::AwaitingPong {
            refreshed: false, ..
        } = self.state
        {
            self.state = State::AwaitingPong {
                expires_at: now + self.timeout,
                refreshed: true,
            };
        }
    }

    /// A ping arrived (v3): the peer is alive for another interval plus timeout.
    pub fn on_ping(&mut self, now: Instant) {
        if matches!(self.state, State::Watching { .. }) {
            self.state = State::Watching {
                expires_at: now + self.interval + self.timeout,
            };
        }
    }

    /// Whether the peer was declared gone.
    pub fn is_expired(&self) -> bool {
        matches!(self.state, State::Expired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I: Duration = Duration::from_millis(300);
    const T: Duration = Duration::from_millis(200);

    #[test]
    fn v4_pings_then_expires_without_pong() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(Protocol::V4, I, T, t0);
        assert_eq!(hb.deadline(), Some(t0 + I));
        assert_eq!(hb.poll(t0 + I / 2), None);
        assert_eq!(hb.poll(t0 + I), Some(HeartbeatEvent::SendPing));
        assert_eq!(hb.deadline(), Some(t0 + I + T));
        assert_eq!(hb.poll(t0 + I + T / 2), None);
        assert_eq!(hb.poll(t0 + I + T), Some(HeartbeatEvent::Expired));
        assert!(hb.is_expired());
        assert_eq!(hb.deadline(), None);
        assert_eq!(hb.poll(t0 + I * 10), None);
    }

    #[test]
    fn v4_pong_schedules_the_next_ping() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(Protocol::V4, I, T, t0);
        assert_eq!(hb.poll(t0 + I), Some(HeartbeatEvent::SendPing));
        let t1 = t0 + I + T / 2;
        hb.on_pong(t1);
        assert_eq!(hb.deadline(), Some(t1 + I));
        assert_eq!(hb.poll(t0 + I + T), None);
        assert_eq!(hb.poll(t1 + I), Some(HeartbeatEvent::SendPing));
    }

    #[test]
    fn v4_the_first_other_packet_refreshes_the_timeout_once() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(Protocol::V4, I, T, t0);
        hb.on_packet(t0 + I / 2);
        assert_eq!(hb.deadline(), Some(t0 + I), "no pong awaited yet");
        assert_eq!(hb.poll(t0 + I), Some(HeartbeatEvent::SendPing));
        let t1 = t0 + I + T / 2;
        hb.on_packet(t1);
        assert_eq!(hb.deadline(), Some(t1 + T));
        hb.on_packet(t1 + T / 4);
        assert_eq!(hb.deadline(), Some(t1 + T), "only once per ping");
        assert_eq!(hb.poll(t1 + T), Some(HeartbeatEvent::Expired));
    }

    #[test]
    fn v3_ignores_pongs_and_packets() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(Protocol::V3, I, T, t0);
        hb.on_pong(t0 + I);
        hb.on_packet(t0 + I);
        assert_eq!(hb.deadline(), Some(t0 + I + T));
    }

    #[test]
    fn v3_expires_after_interval_plus_timeout_without_ping() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(Protocol::V3, I, T, t0);
        assert_eq!(hb.deadline(), Some(t0 + I + T));
        let t1 = t0 + I;
        hb.on_ping(t1);
        assert_eq!(hb.poll(t0 + I + T), None);
        assert_eq!(hb.poll(t1 + I + T), Some(HeartbeatEvent::Expired));
        hb.on_ping(t1 + I * 5);
        assert!(hb.is_expired());
    }
}
