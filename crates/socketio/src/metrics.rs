//! Socket.IO's operational counters (opt-in with
//! [`SocketIoBuilder::metrics`](crate::SocketIoBuilder::metrics)): broadcasts and their
//! fan-out, the latency of acknowledgements the server asked for, and disconnects by reason.
//! Connected sockets per namespace are counted from the namespaces when scraped.
//!
//! Each record is one or two relaxed atomic adds; none is on the path of an ordinary event.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use duplex_engineio::metrics::{Exposition, Kind};

use crate::reason::DisconnectReason;

/// Upper bounds (seconds) of the ack latency buckets: from a loopback round trip to a client
/// that took its time, roughly ×2.5 apart.
const ACK_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

const REASONS: [DisconnectReason; 8] = [
    DisconnectReason::ClientNamespaceDisconnect,
    DisconnectReason::ServerNamespaceDisconnect,
    DisconnectReason::TransportClose,
    DisconnectReason::TransportError,
    DisconnectReason::PingTimeout,
    DisconnectReason::ParseError,
    DisconnectReason::ServerShuttingDown,
    DisconnectReason::ForcedClose,
];

fn reason_index(reason: DisconnectReason) -> usize {
    match reason {
        DisconnectReason::ClientNamespaceDisconnect => 0,
        DisconnectReason::ServerNamespaceDisconnect => 1,
        DisconnectReason::TransportClose => 2,
        DisconnectReason::TransportError => 3,
        DisconnectReason::PingTimeout => 4,
        DisconnectReason::ParseError => 5,
        DisconnectReason::ServerShuttingDown => 6,
        DisconnectReason::ForcedClose => 7,
    }
}

/// Observations counted per bucket (not cumulative: one add per observation), summed in
/// nanoseconds.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; ACK_BUCKETS.len()],
    overflow: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        match ACK_BUCKETS.iter().position(|&bound| seconds <= bound) {
            Some(i) => self.buckets[i].fetch_add(1, Ordering::Relaxed),
            None => self.overflow.fetch_add(1, Ordering::Relaxed),
        };
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn encode(&self, name: &str, out: &mut Exposition) {
        let buckets: Vec<(f64, u64)> = ACK_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(&bound, count)| (bound, count.load(Ordering::Relaxed)))
            .collect();
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        out.histogram(name, &buckets, self.overflow.load(Ordering::Relaxed), sum);
    }
}

/// The Socket.IO server's counters.
#[derive(Debug, Default)]
pub(crate) struct SocketIoMetrics {
    broadcasts: AtomicU64,
    recipients: AtomicU64,
    ack_latency: Histogram,
    disconnects: [AtomicU64; REASONS.len()],
}

impl SocketIoMetrics {
    /// One broadcast (per namespace) queued for `recipients` local sockets.
    pub(crate) fn broadcast(&self, recipients: usize) {
        self.broadcasts.fetch_add(1, Ordering::Relaxed);
        self.recipients
            .fetch_add(recipients as u64, Ordering::Relaxed);
    }

    /// A client answered an emit with ack `elapsed` after it was queued.
    pub(crate) fn ack_answered(&self, elapsed: Duration) {
        self.ack_latency.observe(elapsed);
    }

    pub(crate) fn disconnected(&self, reason: DisconnectReason) {
        self.disconnects[reason_index(reason)].fetch_add(1, Ordering::Relaxed);
    }

    /// Writes the families; `namespaces` are each namespace's name and connected sockets.
    pub(crate) fn encode(&self, namespaces: &[(String, usize)], out: &mut Exposition) {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        out.family(
            "socketio_connected_sockets",
            Kind::Gauge,
            "Sockets connected, by namespace.",
        );
        for (name, count) in namespaces {
            out.sample(
                "socketio_connected_sockets",
                &[("namespace", name)],
                *count as f64,
            );
        }
        out.family(
            "socketio_broadcasts_total",
            Kind::Counter,
            "Broadcasts sent to this node's sockets (one per namespace reached).",
        );
        out.sample("socketio_broadcasts_total", &[], get(&self.broadcasts));
        out.family(
            "socketio_broadcast_recipients_total",
            Kind::Counter,
            "Sockets a broadcast was queued for, summed over broadcasts (the fan-out).",
        );
        let recipients = get(&self.recipients);
        out.sample("socketio_broadcast_recipients_total", &[], recipients);
        out.family(
            "socketio_ack_latency_seconds",
            Kind::Histogram,
            "Time from a server emit with ack to the client's answer.",
        );
        self.ack_latency.encode("socketio_ack_latency_seconds", out);
        out.family(
            "socketio_disconnects_total",
            Kind::Counter,
            "Sockets disconnected, by reason.",
        );
        for reason in REASONS {
            let value = get(&self.disconnects[reason_index(reason)]);
            out.sample(
                "socketio_disconnects_total",
                &[("reason", reason.as_str())],
                value,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_latencies_fall_in_the_first_bucket_that_holds_them() {
        let histogram = Histogram::default();
        histogram.observe(Duration::from_micros(500));
        histogram.observe(Duration::from_micros(501));
        histogram.observe(Duration::from_millis(30));
        histogram.observe(Duration::from_secs(11));
        let mut out = Exposition::new();
        histogram.encode("h", &mut out);
        let text = out.into_string();
        for line in [
            "h_bucket{le=\"0.0005\"} 1",
            "h_bucket{le=\"0.001\"} 2",
            "h_bucket{le=\"0.025\"} 2",
            "h_bucket{le=\"0.05\"} 3",
            "h_bucket{le=\"10\"} 3",
            "h_bucket{le=\"+Inf\"} 4",
            "h_count 4",
            "h_sum 11.031001",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }

    #[test]
    fn broadcasts_and_disconnects_are_counted_by_kind() {
        let metrics = SocketIoMetrics::default();
        metrics.broadcast(3);
        metrics.broadcast(0);
        metrics.disconnected(DisconnectReason::ClientNamespaceDisconnect);
        metrics.disconnected(DisconnectReason::ClientNamespaceDisconnect);
        let mut out = Exposition::new();
        metrics.encode(&[("/".into(), 2), ("/a\"b".into(), 0)], &mut out);
        let text = out.into_string();
        for line in [
            "socketio_connected_sockets{namespace=\"/\"} 2",
            "socketio_connected_sockets{namespace=\"/a\\\"b\"} 0",
            "socketio_broadcasts_total 2",
            "socketio_broadcast_recipients_total 3",
            "socketio_disconnects_total{reason=\"client namespace disconnect\"} 2",
            "socketio_disconnects_total{reason=\"ping timeout\"} 0",
            "socketio_ack_latency_seconds_count 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }
}
