//! Operational counters (opt-in with [`Config::metrics`](crate::Config::metrics)) and the
//! Prometheus text exposition they are scraped in.
//!
//! Recording is a relaxed atomic add, made once per write or read batch on the packet path,
//! and nothing but an untaken branch when metrics are off. Gauges (open sessions by
//! transport) are counted from the session table when scraped, so they cost nothing between
//! scrapes and cannot drift.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use duplex_engineio_proto::Packet;

use crate::config::Transport;
use crate::handler::CloseReason;

/// The `Content-Type` of the text exposition format (version 0.0.4), which every Prometheus
/// server reads.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a metric family measures, as its `# TYPE` line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (a `_total`).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Observations counted into cumulative buckets, with `_sum` and `_count`.
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A Prometheus text exposition being written: families (`# HELP`, `# TYPE`) followed by
/// their samples.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// An empty exposition.
    pub fn new() -> Exposition {
        Exposition::default()
    }

    /// Starts family `name`; its samples follow. `help` is one line.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let help = help.replace('\\', r"\\").replace('\n', r"\n");
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {}", kind.as_str());
    }

    /// One sample: `name{label="value",...} value`. Label values are escaped (they may come
    /// from clients: namespace names).
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (label, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                self.text.push_str(label);
                self.text.push_str("=\"");
                for c in value.chars() {
                    match c {
                        '\\' => self.text.push_str(r"\\"),
                        '"' => self.text.push_str("\\\""),
                        '\n' => self.text.push_str(r"\n"),
                        c => self.text.push(c),
                    }
                }
                self.text.push('"');
            }
            self.text.push('}');
        }
        self.text.push(' ');
        push_value(&mut self.text, value);
        self.text.push('\n');
    }

    /// A histogram's samples: `buckets` are (upper bound, observations in that bucket alone)
    /// in increasing order, `overflow` the observations above the last bound. Buckets are
    /// written cumulative, ending with `+Inf`, which equals `_count`.
    pub fn histogram(&mut self, name: &str, buckets: &[(f64, u64)], overflow: u64, sum: f64) {
        let mut cumulative = 0;
        let bucket = format!("{name}_bucket");
        let mut le = String::new();
        for &(bound, count) in buckets {
            cumulative += count;
            le.clear();
            push_value(&mut le, bound);
            self.sample(&bucket, &[("le", &le)], cumulative as f64);
        }
        cumulative += overflow;
        self.sample(&bucket, &[("le", "+Inf")], cumulative as f64);
        self.sample(&format!("{name}_sum"), &[], sum);
        self.sample(&format!("{name}_count"), &[], cumulative as f64);
    }

    /// The text so far.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text.
    pub fn into_string(self) -> String {
        self.text
    }
}

/// A value as the format spells it: Go's float syntax, `+Inf`, `-Inf`, `NaN`.
fn push_value(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(out, "{value}");
    }
}

/// Traffic direction, as seen from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    In,
    Out,
}

const TRANSPORTS: [Transport; 2] = [Transport::Polling, Transport::Websocket];
const DIRECTIONS: [(Direction, &str); 2] = [(Direction::In, "in"), (Direction::Out, "out")];
const CLOSE_REASONS: [CloseReason; 6] = [
    CloseReason::TransportClose,
    CloseReason::TransportError,
    CloseReason::PingTimeout,
    CloseReason::ParseError,
    CloseReason::ForcedClose,
    CloseReason::ServerShutdown,
];

fn transport_index(transport: Transport) -> usize {
    match transport {
        Transport::Polling => 0,
        Transport::Websocket => 1,
    }
}

fn reason_index(reason: CloseReason) -> usize {
    match reason {
        CloseReason::TransportClose => 0,
        CloseReason::TransportError => 1,
        CloseReason::PingTimeout => 2,
        CloseReason::ParseError => 3,
        CloseReason::ForcedClose => 4,
        CloseReason::ServerShutdown => 5,
    }
}

/// The Engine.IO server's counters.
#[derive(Debug, Default)]
pub(crate) struct EngineMetrics {
    handshakes: [AtomicU64; 2],
    upgrades: AtomicU64,
    /// By transport, then direction.
    packets: [[AtomicU64; 2]; 2],
    bytes: [[AtomicU64; 2]; 2],
    closes: [AtomicU64; 6],
}

impl EngineMetrics {
    pub(crate) fn handshake(&self, transport: Transport) {
        self.handshakes[transport_index(transport)].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn upgrade(&self) {
        self.upgrades.fetch_add(1, Ordering::Relaxed);
    }

    /// Engine.IO packets went `direction` over `transport`: counted, and their bytes as the
    /// transport carries each (the WebSocket message, the polling text form), before HTTP
    /// compression and WebSocket framing.
    pub(crate) fn traffic(&self, transport: Transport, direction: Direction, tally: Tally) {
        if tally.packets == 0 {
            return;
        }
        let (t, d) = (transport_index(transport), direction as usize);
        self.packets[t][d].fetch_add(tally.packets, Ordering::Relaxed);
        self.bytes[t][d].fetch_add(tally.bytes, Ordering::Relaxed);
    }

    pub(crate) fn closed(&self, reason: CloseReason) {
        self.closes[reason_index(reason)].fetch_add(1, Ordering::Relaxed);
    }

    /// Writes the families; `sessions` are the open sessions by transport (polling,
    /// websocket).
    pub(crate) fn encode(&self, sessions: [u64; 2], out: &mut Exposition) {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
        out.family(
            "engineio_handshakes_total",
            Kind::Counter,
            "Engine.IO sessions opened, by the transport of the handshake.",
        );
        for t in TRANSPORTS {
            let value = get(&self.handshakes[transport_index(t)]);
            out.sample(
                "engineio_handshakes_total",
                &[("transport", t.as_str())],
                value,
            );
        }
        out.family(
            "engineio_sessions",
            Kind::Gauge,
            "Open Engine.IO sessions, by current transport.",
        );
        for t in TRANSPORTS {
            let value = sessions[transport_index(t)] as f64;
            out.sample("engineio_sessions", &[("transport", t.as_str())], value);
        }
        out.family(
            "engineio_upgrades_total",
            Kind::Counter,
            "Polling sessions upgraded to WebSocket.",
        );
        out.sample("engineio_upgrades_total", &[], get(&self.upgrades));
        for (name, counters, help) in [
            (
                "engineio_packets_total",
                &self.packets,
                "Engine.IO packets, by transport and direction.",
            ),
            (
                "engineio_bytes_total",
                &self.bytes,
                "Bytes of Engine.IO packets as the transport carries each (WebSocket message; polling text form without payload separators), before compression and framing, by transport and direction.",
            ),
        ] {
            out.family(name, Kind::Counter, help);
            for t in TRANSPORTS {
                for (d, label) in DIRECTIONS {
                    let value = get(&counters[transport_index(t)][d as usize]);
                    out.sample(
                        name,
                        &[("transport", t.as_str()), ("direction", label)],
                        value,
                    );
                }
            }
        }
        out.family(
            "engineio_session_closes_total",
            Kind::Counter,
            "Engine.IO sessions closed, by reason.",
        );
        for reason in CLOSE_REASONS {
            let value = get(&self.closes[reason_index(reason)]);
            out.sample(
                "engineio_session_closes_total",
                &[("reason", reason.as_str())],
                value,
            );
        }
    }
}

/// Packets and bytes summed over a batch, recorded with one add each.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Tally {
    pub(crate) packets: u64,
    pub(crate) bytes: u64,
}

impl Tally {
    pub(crate) fn add(&mut self, bytes: usize) {
        self.packets += 1;
        self.bytes += bytes as u64;
    }

    /// Polling packets, each counted in its text form: the payload's separators (or v3
    /// length prefixes) are left out, so the count does not depend on how packets happened
    /// to be batched into requests.
    pub(crate) fn of(packets: &[Packet]) -> Tally {
        let mut tally = Tally::default();
        for packet in packets {
            tally.add(packet.text_len());
        }
        tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_values_spelled_as_prometheus_reads_them() {
        let mut out = Exposition::new();
        out.family("x_total", Kind::Counter, "a \\ help\nline");
        out.sample("x_total", &[("ns", "/a\"b\\c\nd"), ("t", "p")], 3.0);
        out.sample("y", &[], f64::INFINITY);
        out.sample("z", &[], 0.25);
        assert_eq!(
            out.as_str(),
            "# HELP x_total a \\\\ help\\nline\n# TYPE x_total counter\n\
             x_total{ns=\"/a\\\"b\\\\c\\nd\",t=\"p\"} 3\ny +Inf\nz 0.25\n"
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_inf_equals_count() {
        let mut out = Exposition::new();
        out.histogram("h", &[(0.005, 2), (0.1, 0), (1.0, 3)], 1, 7.5);
        assert_eq!(
            out.into_string(),
            "h_bucket{le=\"0.005\"} 2\nh_bucket{le=\"0.1\"} 2\nh_bucket{le=\"1\"} 5\n\
             h_bucket{le=\"+Inf\"} 6\nh_sum 7.5\nh_count 6\n"
        );
    }

    #[test]
    fn counters_land_in_their_transport_direction_and_reason() {
        let metrics = EngineMetrics::default();
        metrics.handshake(Transport::Websocket);
        metrics.upgrade();
        let mut tally = Tally::default();
        tally.add(10);
        tally.add(5);
        metrics.traffic(Transport::Polling, Direction::Out, tally);
        metrics.traffic(Transport::Websocket, Direction::In, Tally::default());
        metrics.closed(CloseReason::PingTimeout);
        let mut out = Exposition::new();
        metrics.encode([4, 1], &mut out);
        let text = out.into_string();
        for line in [
            "engineio_handshakes_total{transport=\"polling\"} 0",
            "engineio_handshakes_total{transport=\"websocket\"} 1",
            "engineio_sessions{transport=\"polling\"} 4",
            "engineio_sessions{transport=\"websocket\"} 1",
            "engineio_upgrades_total 1",
            "engineio_packets_total{transport=\"polling\",direction=\"out\"} 2",
            "engineio_bytes_total{transport=\"polling\",direction=\"out\"} 15",
            "engineio_packets_total{transport=\"websocket\",direction=\"in\"} 0",
            "engineio_session_closes_total{reason=\"ping timeout\"} 1",
            "engineio_session_closes_total{reason=\"transport close\"} 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }
}
