//! Connection state recovery (socket.io ≥ 4.6): a client that reconnects within
//! `max_disconnection_duration` gets its socket back — same id, same rooms — and every
//! broadcast it missed.
//!
//! Each recorded event carries an offset as its last argument; the client sends the last one
//! it saw (and its private id, `pid`) when it reconnects. The log is per namespace, bounded by
//! age and by count; expired entries go when the log is next touched (no timer).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use duplex_engineio::Sid;
use duplex_socketio_proto::{Packet, Utf8Bytes};
use tokio::time::Instant;

use crate::adapter::BroadcastOptions;
use crate::rooms::Room;

/// Connection state recovery options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoveryConfig {
    /// How long a disconnected socket's state is kept. Default 2 min, as socket.io.
    pub max_disconnection_duration: Duration,
    /// Whether a recovered socket skips the namespace middlewares. Default true.
    pub skip_middlewares: bool,
    /// Most events kept per namespace for clients to catch up on; the oldest go first.
    /// Default 10,000.
    pub max_packets: usize,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
            max_packets: 10_000,
        }
    }
}

struct Recorded {
    offset: String,
    rooms: Vec<Room>,
    except: Vec<Room>,
    data: Utf8Bytes,
    attachments: Vec<Bytes>,
    at: Instant,
}

/// An event a client missed: its data (with offset) and attachments.
pub(crate) type MissedEvent = (Utf8Bytes, Vec<Bytes>);

/// A disconnected socket's state, kept for its return.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) sid: Sid,
    pub(crate) pid: String,
    pub(crate) rooms: Vec<Room>,
    at: Instant,
}

/// The namespace's log of recorded events and disconnected sessions.
pub(crate) struct RecoveryLog {
    config: RecoveryConfig,
    next: u64,
    packets: VecDeque<Recorded>,
    sessions: HashMap<String, Session>,
}

impl RecoveryLog {
    pub(crate) fn new(config: RecoveryConfig) -> RecoveryLog {
        RecoveryLog {
            config,
            next: 0,
            packets: VecDeque::new(),
            sessions: HashMap::new(),
        }
    }

    /// Gives `packet` (an event without ack id) its offset as a last argument, and keeps it
    /// for the sockets that `opts` selects, should they come back.
    pub(crate) fn record(&mut self, packet: &mut Packet, opts: &BroadcastOptions) {
        let Some(data) = &packet.data else { return };
        let now = Instant::now();
        self.expire(now);
        self.next += 1;
        let offset = format!("{:x}", self.next);
        // `["event",...]` → `["event",...,"<offset>"]`.
        let mut text = data.as_str().trim_end().to_owned();
        if text.ends_with(']') {
            text.pop();
            text.push_str(",\"");
            text.push_str(&offset);
            text.push_str("\"]");
        }
        let data = Utf8Bytes::from(text);
        packet.data = Some(data.clone());
        if self.packets.len() >= self.config.max_packets {
            self.packets.pop_front();
        }
        self.packets.push_back(Recorded {
            offset,
            rooms: opts.rooms.clone(),
            except: opts.except.clone(),
            data,
            attachments: packet.attachments.clone(),
            at: now,
        });
    }

    /// Keeps a disconnected socket's state.
    pub(crate) fn persist(&mut self, sid: Sid, pid: String, rooms: Vec<Room>) {
        let now = Instant::now();
        self.expire(now);
        self.sessions.insert(
            pid.clone(),
            Session {
                sid,
                pid,
                rooms,
                at: now,
            },
        );
    }

    /// The session of `pid` and the events it missed after `offset`, if both are still known.
    pub(crate) fn restore(
        &mut self,
        pid: &str,
        offset: &str,
    ) -> Option<(Session, Vec<MissedEvent>)> {
        self.expire(Instant::now());
        let index = self.packets.iter().position(|p| p.offset == offset)?;
        let session = self.sessions.remove(pid)?;
        let missed = self
            .packets
            .iter()
            .skip(index + 1)
            .filter(|p| {
                let included =
                    p.rooms.is_empty() || session.rooms.iter().any(|r| p.rooms.contains(r));
                let excluded = session.rooms.iter().any(|r| p.except.contains(r));
                included && !excluded
            })
            .map(|p| (p.data.clone(), p.attachments.clone()))
            .collect();
        Some((session, missed))
    }

    fn expire(&mut self, now: Instant) {
        let limit = self.config.max_disconnection_duration;
        while self
            .packets
            .front()
            .is_some_and(|p| now.duration_since(p.at) > limit)
        {
            self.packets.pop_front();
        }
        self.sessions
            .retain(|_, s| now.duration_since(s.at) <= limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rooms::IntoRooms;

    fn event(text: &str) -> Packet {
        Packet::event("/", Utf8Bytes::from(text))
    }

    #[test]
    fn offsets_are_appended_and_missed_events_filtered_by_room() {
        let mut log = RecoveryLog::new(RecoveryConfig::default());
        let sid = Sid::generate();
        let mut first = event(r#"["a",1]"#);
        log.record(&mut first, &BroadcastOptions::default());
        assert_eq!(first.data.as_deref(), Some(r#"["a",1,"1"]"#));
        log.persist(sid, "pid".into(), "red".into_rooms());
        let mut to_red = event(r#"["b"]"#);
        log.record(
            &mut to_red,
            &BroadcastOptions {
                rooms: "red".into_rooms(),
                ..Default::default()
            },
        );
        let mut to_blue = event(r#"["c"]"#);
        log.record(
            &mut to_blue,
            &BroadcastOptions {
                rooms: "blue".into_rooms(),
                ..Default::default()
            },
        );
        let mut except_red = event(r#"["d"]"#);
        log.record(
            &mut except_red,
            &BroadcastOptions {
                except: "red".into_rooms(),
                ..Default::default()
            },
        );
        let (session, missed) = log.restore("pid", "1").unwrap();
        assert_eq!(session.sid, sid);
        let texts: Vec<&str> = missed.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(texts, [r#"["b","2"]"#]);
        // A session comes back once.
        assert!(log.restore("pid", "1").is_none());
    }

    #[test]
    fn unknown_offset_or_expired_session_restores_nothing() {
        let mut log = RecoveryLog::new(RecoveryConfig {
            max_disconnection_duration: Duration::ZERO,
            ..RecoveryConfig::default()
        });
        log.persist(Sid::generate(), "pid".into(), Vec::new());
        assert!(log.restore("pid", "nope").is_none());
    }
}
