//! `duplex bench sio-fanout`: broadcast fan-out. N clients (WebSocket) join room
//! `r` (event `join`, acked); client 0 also emits `broadcast` with a sequence number
//! and its send time, which the server emits as `msg` to the room. Every client
//! checks it gets every broadcast exactly once, counts those that overtook an
//! earlier one (socket.io keeps a client's events in order; not every server
//! does), and records emit-to-receipt latency.
//!
//! The emitter keeps at most `--window` broadcasts undelivered across the whole
//! room (counting every client's receipts), so the server is kept busy without its
//! queues growing: what is measured is its delivery rate, not its buffering.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore, watch};

use super::eio_client::{BenchError, Endpoint, show};
use super::sio_client::{SioSocket, measured, quantile, ready};

/// Options of `duplex bench sio-fanout`.
#[derive(clap::Args, Debug)]
pub struct SioFanoutArgs {
    /// The Socket.IO endpoint.
    #[arg(long, default_value = "http://127.0.0.1:3000/socket.io/")]
    url: String,
    /// Clients in the room (the emitter is one of them).
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Broadcasts undelivered at most, summed over the room.
    #[arg(long, default_value_t = 4)]
    window: u64,
    /// Bytes of padding in each broadcast's argument.
    #[arg(long, default_value_t = 16)]
    size: usize,
    /// Seconds of emitting (the broadcasts in flight are still awaited).
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
    /// Bracket the measured phase with `READY` / a line on stdin / `DONE`.
    #[arg(long)]
    sync: bool,
    /// Print one JSON object instead of a human summary.
    #[arg(long)]
    json: bool,
}

/// What the emitter and the receivers share.
struct Room {
    /// Receipts so far, every client's counted.
    delivered: AtomicU64,
    /// The receipt count the emitter waits for; a receiver reaching it wakes it.
    wanted: AtomicU64,
    wake: Notify,
    /// Receipts that came after a later broadcast's.
    reordered: AtomicU64,
    /// The broadcasts sent, known once the emitter is done.
    total: watch::Sender<Option<u64>>,
    epoch: Instant,
}

impl Room {
    fn receipt(&self) {
        let delivered = self.delivered.fetch_add(1, Ordering::AcqRel) + 1;
        if delivered >= self.wanted.load(Ordering::Acquire) {
            self.wake.notify_one();
        }
    }

    fn micros(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }
}

/// Runs the load and prints the result.
pub async fn run(args: SioFanoutArgs) -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = Endpoint::parse(&args.url).map_err(|e| e.to_string())?;
    let clients = args.clients.max(1);
    let opening = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let mut joins = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (endpoint, opening) = (endpoint.clone(), opening.clone());
        let size = args.size;
        joins.push(tokio::spawn(async move {
            let _permit = opening.acquire_owned().await?;
            let work = async {
                let mut socket = SioSocket::connect(&endpoint, "/", size + 1024).await?;
                socket.call(0, "[\"join\"]").await?;
                Ok::<_, BenchError>(socket)
            };
            tokio::time::timeout(Duration::from_secs(30), work)
                .await
                .map_err(|_| "connecting and joining took over 30 s")?
        }));
    }
    let mut sockets = Vec::with_capacity(clients);
    for join in joins {
        sockets.push(join.await?.map_err(|e| e.to_string())?);
    }
    let room = Arc::new(Room {
        delivered: AtomicU64::new(0),
        wanted: AtomicU64::new(0),
        wake: Notify::new(),
        reordered: AtomicU64::new(0),
        total: watch::channel(None).0,
        epoch: Instant::now(),
    });
    ready(args.sync).await?;
    let started = Instant::now();
    let mut sockets = sockets.into_iter();
    let emitter = sockets.next().ok_or("no clients")?;
    let mut receivers = Vec::with_capacity(clients);
    for socket in sockets {
        let room = room.clone();
        receivers.push(tokio::spawn(
            async move { receive(socket, &room, None).await },
        ));
    }
    let plan = Emitting {
        clients: clients as u64,
        window: args.window.max(1),
        padding: "x".repeat(args.size),
        deadline: Instant::now() + Duration::from_secs_f64(args.duration.max(0.0)),
    };
    let mut failures = Vec::new();
    let mut latencies = match receive(emitter, &room, Some(plan)).await {
        Ok(samples) => samples,
        Err(error) => {
            failures.push(format!("emitter: {error}"));
            // The receivers would wait for a total that never comes.
            room.total.send_replace(Some(0));
            Vec::new()
        }
    };
    for receiver in receivers {
        match receiver.await {
            Ok(Ok(samples)) => latencies.extend(samples),
            Ok(Err(error)) => failures.push(error.to_string()),
            Err(error) => failures.push(error.to_string()),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    measured(args.sync)?;
    latencies.sort_unstable();
    let broadcasts = room.total.borrow().unwrap_or(0);
    let delivered = room.delivered.load(Ordering::Relaxed);
    let reordered = room.reordered.load(Ordering::Relaxed);
    let (p50, p99, max) = (
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0),
    );
    if args.json {
        println!(
            "{{\"url\":\"{}\",\"clients\":{clients},\"window\":{},\"size\":{},\"broadcasts\":{broadcasts},\"deliveries\":{delivered},\"reordered\":{reordered},\"seconds\":{seconds:.3},\"deliveries_per_sec\":{:.0},\"latency_us_p50\":{p50},\"latency_us_p99\":{p99},\"latency_us_max\":{max},\"errors\":{}}}",
            args.url,
            args.window,
            args.size,
            delivered as f64 / seconds,
            failures.len()
        );
    } else {
        println!(
            "{broadcasts} broadcasts to {clients} clients: {delivered} deliveries ({reordered} out of order) in {seconds:.2} s, {:.0}/s; latency p50 {p50} µs, p99 {p99} µs, max {max} µs; {} client errors",
            delivered as f64 / seconds,
            failures.len()
        );
    }
    if delivered != broadcasts * clients as u64 && failures.is_empty() {
        failures.push(format!(
            "{delivered} deliveries of {broadcasts} broadcasts to {clients} clients"
        ));
    }
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(format!("{} failures; first: {first}", failures.len()).into()),
    }
}

/// What the emitting client does besides receiving.
struct Emitting {
    clients: u64,
    window: u64,
    padding: String,
    deadline: Instant,
}

/// Receives the room's broadcasts, each once, until the emitter's total is reached;
/// with `emitting`, also emits them. Returns the latencies seen, in µs.
async fn receive(
    mut socket: SioSocket,
    room: &Room,
    mut emitting: Option<Emitting>,
) -> Result<Vec<u32>, BenchError> {
    let mut total = room.total.subscribe();
    let (mut received, mut sent) = (0u64, 0u64);
    let (mut seen, mut highest) = (Vec::<bool>::new(), None);
    let mut latencies = Vec::new();
    loop {
        if let Some(plan) = &emitting {
            if Instant::now() >= plan.deadline {
                room.total.send_replace(Some(sent));
                emitting = None;
            } else {
                // Room for one more: the deliveries of all but `window` broadcasts are in.
                let wanted = (sent + 1).saturating_sub(plan.window) * plan.clients;
                if room.delivered.load(Ordering::Acquire) >= wanted {
                    let packet = format!(
                        "2[\"broadcast\",\"{sent} {} {}\"]",
                        room.micros(),
                        plan.padding
                    );
                    socket.feed(&packet).await?;
                    socket.flush().await?;
                    sent += 1;
                    continue;
                }
                room.wanted.store(wanted, Ordering::Release);
            }
        }
        let done = *total.borrow_and_update();
        if done == Some(received) {
            // Distinct and as many as sent: exactly 0..total unless one is out of range.
            if seen.len() as u64 != received {
                return Err(
                    format!("broadcast {} of {received} was never sent", seen.len() - 1).into(),
                );
            }
            break;
        }
        let woken = async {
            match &emitting {
                Some(plan) => {
                    tokio::select! {
                        _ = room.wake.notified() => {}
                        _ = tokio::time::sleep_until(plan.deadline.into()) => {}
                    }
                }
                None => {
                    if total.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            }
        };
        tokio::select! {
            packet = socket.recv() => {
                let packet = packet?;
                let (seq, micros) = parse_msg(&packet)
                    .ok_or_else(|| format!("expected `2[\"msg\",\"<seq> <µs> ..\"]`, got {}", show(&packet)))?;
                let slot = usize::try_from(seq).map_err(|_| format!("broadcast {seq}?"))?;
                if slot >= seen.len() {
                    seen.resize(slot + 1, false);
                }
                if std::mem::replace(&mut seen[slot], true) {
                    return Err(format!("broadcast {seq} came twice").into());
                }
                if highest.is_some_and(|h| seq < h) {
                    room.reordered.fetch_add(1, Ordering::Relaxed);
                }
                highest = highest.max(Some(seq));
                received += 1;
                latencies.push(room.micros().saturating_sub(micros).min(u32::MAX as u64) as u32);
                room.receipt();
            }
            _ = woken => {}
            _ = tokio::time::sleep(Duration::from_secs(30)) => {
                return Err(format!("no broadcast for 30 s after {received}").into());
            }
        }
    }
    socket.close().await?;
    Ok(latencies)
}

/// The sequence number and send time of a `msg` packet.
fn parse_msg(packet: &[u8]) -> Option<(u64, u64)> {
    let text = std::str::from_utf8(packet).ok()?;
    let body = text.strip_prefix("2[\"msg\",\"")?.strip_suffix("\"]")?;
    let mut fields = body.split(' ');
    let seq = fields.next()?.parse().ok()?;
    let micros = fields.next()?.parse().ok()?;
    Some((seq, micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_broadcasts() {
        assert_eq!(parse_msg(b"2[\"msg\",\"3 1500 xx\"]"), Some((3, 1500)));
        assert_eq!(parse_msg(b"2[\"msg\",\"3 1500\"]"), Some((3, 1500)));
        assert_eq!(parse_msg(b"2[\"other\",\"3 1500 xx\"]"), None);
        assert_eq!(parse_msg(b"2[\"msg\",\"x 1500\"]"), None);
        assert_eq!(parse_msg(b"2[\"msg\",\"3\"]"), None);
    }
}
