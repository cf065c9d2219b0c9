//! The `server_stats` event: this server's identity, connection counts, namespaces, and the
//! counts of what happened since the last one ("aggregated events", one bucket per second
//! and kind, as the package's event buffer makes them).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Instant, SystemTime};

use duplex_engineio::{Sid, Transport};
use serde::Serialize;

use super::serialize::millis;

/// One count of the package's aggregated events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AggregatedEvent {
    /// The second it happened in, in milliseconds since the epoch.
    pub(crate) timestamp: u64,
    /// `rawConnection`, `rawDisconnection`, `packetsIn`, `packetsOut`, `bytesIn`, `bytesOut`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    /// A disconnection's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sub_type: Option<String>,
    pub(crate) count: u64,
}

/// The Engine.IO connections and the traffic counts between two stats.
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    /// Open connections, with the transport they were last seen on (an upgrade shows as a
    /// change at the next stats).
    connections: Mutex<HashMap<Sid, (Weak<duplex_engineio::Socket>, Transport)>>,
    /// Connections and disconnections: few, so a list searched linearly.
    events: Mutex<Vec<AggregatedEvent>>,
    packets_in: AtomicU64,
    bytes_in: AtomicU64,
    packets_out: AtomicU64,
    bytes_out: AtomicU64,
}

impl Traffic {
    pub(crate) fn opened(&self, conn: &Arc<duplex_engineio::Socket>) {
        lock(&self.connections).insert(conn.id(), (Arc::downgrade(conn), conn.transport()));
        self.count("rawConnection", None);
    }

    pub(crate) fn closed(&self, conn: &duplex_engineio::Socket, reason: &str) {
        lock(&self.connections).remove(&conn.id());
        self.count("rawDisconnection", Some(reason));
    }

    fn count(&self, kind: &'static str, sub_type: Option<&str>) {
        let timestamp = millis(SystemTime::now()) / 1000 * 1000;
        let mut events = lock(&self.events);
        let found = events.iter_mut().find(|e| {
            e.timestamp == timestamp && e.kind == kind && e.sub_type.as_deref() == sub_type
        });
        match found {
            Some(event) => event.count += 1,
            None => events.push(AggregatedEvent {
                timestamp,
                kind,
                sub_type: sub_type.map(str::to_owned),
                count: 1,
            }),
        }
    }

    pub(crate) fn message_in(&self, bytes: usize) {
        self.packets_in.fetch_add(1, Ordering::Relaxed);
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn message_out(&self, bytes: usize) {
        self.packets_out.fetch_add(1, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// The counts since the last call; the traffic counters go in the current second's
    /// bucket (the UI sums them by 10 s, so the difference from per-second buckets is not
    /// visible there).
    pub(crate) fn drain(&self) -> Vec<AggregatedEvent> {
        let mut drained = std::mem::take(&mut *lock(&self.events));
        let timestamp = millis(SystemTime::now()) / 1000 * 1000;
        for (kind, counter) in [
            ("packetsIn", &self.packets_in),
            ("packetsOut", &self.packets_out),
            ("bytesIn", &self.bytes_in),
            ("bytesOut", &self.bytes_out),
        ] {
            let count = counter.swap(0, Ordering::Relaxed);
            if count > 0 {
                drained.push(AggregatedEvent {
                    timestamp,
                    kind,
                    sub_type: None,
                    count,
                });
            }
        }
        drained
    }

    /// (open connections, of which on polling, connections whose transport changed since
    /// the last call).
    pub(crate) fn connections(&self) -> (usize, usize, Vec<(Sid, Transport)>) {
        let mut connections = lock(&self.connections);
        connections.retain(|_, (conn, _)| conn.strong_count() > 0);
        let mut polling = 0;
        let mut changed = Vec::new();
        for (sid, (conn, seen)) in connections.iter_mut() {
            let Some(conn) = conn.upgrade() else { continue };
            let now = conn.transport();
            if now == Transport::Polling {
                polling += 1;
            }
            if now != *seen {
                *seen = now;
                changed.push((*sid, now));
            }
        }
        (connections.len(), polling, changed)
    }
}

/// A namespace in the stats.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NamespaceStats {
    pub(crate) name: String,
    pub(crate) sockets_count: usize,
}

/// The payload of `server_stats`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerStats {
    pub(crate) server_id: String,
    pub(crate) hostname: String,
    pub(crate) pid: u32,
    /// Seconds since the server was instrumented.
    pub(crate) uptime: f64,
    pub(crate) clients_count: usize,
    pub(crate) polling_clients_count: usize,
    pub(crate) aggregated_events: Vec<AggregatedEvent>,
    pub(crate) namespaces: Vec<NamespaceStats>,
}

/// Seconds since `start`, as `process.uptime()` gives them.
pub(crate) fn uptime(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// The machine's name (Linux's, from procfs; `HOSTNAME` elsewhere), as `os.hostname()`.
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drain_buckets_and_resets() {
        let traffic = Traffic::default();
        traffic.message_in(10);
        traffic.message_in(5);
        traffic.message_out(7);
        traffic.count("rawDisconnection", Some("transport close"));
        traffic.count("rawDisconnection", Some("transport close"));
        traffic.count("rawDisconnection", Some("ping timeout"));
        let drained = traffic.drain();
        let find = |kind: &str, sub: Option<&str>| {
            drained
                .iter()
                .filter(|e| e.kind == kind && e.sub_type.as_deref() == sub)
                .map(|e| e.count)
                .sum::<u64>()
        };
        assert_eq!(find("packetsIn", None), 2);
        assert_eq!(find("bytesIn", None), 15);
        assert_eq!(find("packetsOut", None), 1);
        assert_eq!(find("bytesOut", None), 7);
        assert_eq!(find("rawDisconnection", Some("transport close")), 2);
        assert_eq!(find("rawDisconnection", Some("ping timeout")), 1);
        assert!(traffic.drain().is_empty());
        let json = serde_json::to_string(&drained[0]).unwrap_or_default();
        assert!(json.contains(r#""type":"rawDisconnection","subType":"transport close""#));
    }
}
