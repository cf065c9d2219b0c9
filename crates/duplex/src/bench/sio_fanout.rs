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

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use duplex_socketio::client::{DisconnectReason, Incoming, Socket, Transport};
use tokio::sync::{Notify, Semaphore};

use super::eio_client::{BenchError, show};
use super::latency::Latencies;
use super::phase::{measured, ready};
use super::progress::{Goal, Progress};
use super::report::{CpuTime, Report, ReportArgs, Throughput};
use super::sio_connect::{SETUP_TIMEOUT, Target, connect};

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
    #[command(flatten)]
    report: ReportArgs,
}

/// Longest the room may go without a delivery while broadcasts are outstanding.
const STALL: Duration = Duration::from_secs(30);

/// What the emitter and the receivers share.
struct Room {
    /// Receipts so far, every client's counted (shared with the progress bar).
    delivered: Arc<AtomicU64>,
    /// The receipt count the emitter waits for; a receiver reaching it wakes it.
    wanted: AtomicU64,
    wake: Notify,
    /// Receipts that came after a later broadcast's.
    reordered: AtomicU64,
    /// Set by a client that saw something wrong (it also wakes the emitter): the run
    /// stops rather than waiting for deliveries that will not come.
    failed: AtomicBool,
    epoch: Instant,
}

impl Room {
    fn receipt(&self) {
        let delivered = self.delivered.fetch_add(1, Ordering::AcqRel) + 1;
        if delivered >= self.wanted.load(Ordering::Acquire) {
            self.wake.notify_one();
        }
    }

    fn fail(&self) {
        self.failed.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    fn micros(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// Waits until `wanted` receipts are in, a client failed, or `deadline` (if given)
    /// passed; `false` when [`STALL`] went by without any of these.
    async fn reach(&self, wanted: u64, deadline: Option<Instant>) -> bool {
        self.wanted.store(wanted, Ordering::Release);
        loop {
            if self.delivered.load(Ordering::Acquire) >= wanted
                || self.failed.load(Ordering::Acquire)
            {
                return true;
            }
            let until =
                deadline.map_or_else(|| Instant::now() + STALL, |d| d.min(Instant::now() + STALL));
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep_until(until.into()) => {
                    return deadline.is_some_and(|d| Instant::now() >= d);
                }
            }
        }
    }
}

/// What one client saw of the broadcasts.
#[derive(Default)]
struct Tally {
    /// `seen[seq]`: broadcast `seq` came.
    seen: Vec<bool>,
    highest: Option<u64>,
    received: u64,
    /// Emit-to-receipt.
    latencies: Latencies,
    /// The first thing that went wrong.
    error: Option<String>,
}

impl Tally {
    /// Checks and counts one `msg` event.
    fn record(&mut self, event: &Incoming, room: &Room) -> Result<(), String> {
        let (seq, micros) = event
            .args::<String>()
            .ok()
            .and_then(|text| parse_broadcast(&text))
            .ok_or_else(|| {
                format!(
                    "expected `msg` with one argument \"<seq> <µs> ..\", got {}",
                    show(event.raw_args().json().as_bytes())
                )
            })?;
        let slot = usize::try_from(seq).map_err(|_| format!("broadcast {seq}?"))?;
        if slot >= self.seen.len() {
            self.seen.resize(slot + 1, false);
        }
        if std::mem::replace(&mut self.seen[slot], true) {
            return Err(format!("broadcast {seq} came twice"));
        }
        if self.highest.is_some_and(|h| seq < h) {
            room.reordered.fetch_add(1, Ordering::Relaxed);
        }
        self.highest = self.highest.max(Some(seq));
        self.received += 1;
        let latency = room.micros().saturating_sub(micros);
        self.latencies.record_micros(latency);
        room.receipt();
        Ok(())
    }

    /// Why this client's view of `total` broadcasts is wrong, if it is.
    fn check(&self, total: u64) -> Result<(), String> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if self.received != total {
            return Err(format!("{} of {total} broadcasts came", self.received));
        }
        // Distinct and as many as sent: exactly 0..total unless one is out of range.
        if self.seen.len() as u64 != total {
            return Err(format!(
                "broadcast {} of {total} was never sent",
                self.seen.len() - 1
            ));
        }
        Ok(())
    }
}

fn lock(tally: &Mutex<Tally>) -> MutexGuard<'_, Tally> {
    tally
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Connects one client with its `msg` handler and joins the room.
async fn join(
    target: &Target,
    room: &Arc<Room>,
) -> Result<(Socket, Arc<Mutex<Tally>>), BenchError> {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let (on_msg, on_msg_room) = (tally.clone(), room.clone());
    let (on_close, on_close_room) = (tally.clone(), room.clone());
    let builder = target
        .client("/", &[Transport::WebSocket])
        .on("msg", move |event: Incoming| {
            let mut tally = lock(&on_msg);
            if tally.error.is_none() {
                if let Err(error) = tally.record(&event, &on_msg_room) {
                    tally.error = Some(error);
                    on_msg_room.fail();
                }
            }
            std::future::ready(())
        })
        .on_disconnect(move |_, reason| {
            // Ours at the end of the run is expected; anything else loses broadcasts.
            if reason != DisconnectReason::IoClientDisconnect {
                lock(&on_close)
                    .error
                    .get_or_insert_with(|| format!("disconnected: {reason}"));
                on_close_room.fail();
            }
        });
    let work = async {
        let socket = connect(builder).await?;
        socket.emit_with_ack::<(), _>("join", &())?.raw().await?;
        Ok::<_, BenchError>(socket)
    };
    let socket = tokio::time::timeout(SETUP_TIMEOUT, work)
        .await
        .map_err(|_| "connecting and joining took over 30 s")??;
    Ok((socket, tally))
}

/// Runs the load and prints the result.
pub async fn run(args: SioFanoutArgs) -> Result<(), Box<dyn std::error::Error>> {
    let target = Target::parse(&args.url).map_err(|e| e.to_string())?;
    let clients = args.clients.max(1);
    let room = Arc::new(Room {
        delivered: Arc::new(AtomicU64::new(0)),
        wanted: AtomicU64::new(0),
        wake: Notify::new(),
        reordered: AtomicU64::new(0),
        failed: AtomicBool::new(false),
        epoch: Instant::now(),
    });
    let opening = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let mut joins = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (target, room, opening) = (target.clone(), room.clone(), opening.clone());
        joins.push(tokio::spawn(async move {
            let _permit = opening.acquire_owned().await?;
            join(&target, &room).await
        }));
    }
    let (mut sockets, mut tallies) = (Vec::with_capacity(clients), Vec::with_capacity(clients));
    for joined in joins {
        let (socket, tally) = joined.await?.map_err(|e| e.to_string())?;
        sockets.push(socket);
        tallies.push(tally);
    }
    ready(args.sync).await?;
    let progress = Progress::start(
        args.report.progress,
        "sio-fanout",
        Goal::Seconds(args.duration),
        room.delivered.clone(),
        "deliveries",
    );
    let cpu = CpuTime::now();
    let started = Instant::now();
    let mut failures = Vec::new();
    let broadcasts = match emit(&sockets[0], &room, &args, clients as u64).await {
        Ok(sent) => sent,
        Err((sent, error)) => {
            failures.push(format!("emitter: {error}"));
            sent
        }
    };
    if !room.reach(broadcasts * clients as u64, None).await {
        let delivered = room.delivered.load(Ordering::Relaxed);
        failures.push(format!(
            "no delivery for {} s after {delivered} of {}",
            STALL.as_secs(),
            broadcasts * clients as u64
        ));
    }
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();
    measured(args.sync)?;
    let cpu = CpuTime::used_since(cpu);
    for socket in &sockets {
        socket.disconnect();
    }
    let mut latencies = Latencies::new();
    for tally in &tallies {
        let tally = lock(tally);
        if let Err(error) = tally.check(broadcasts) {
            failures.push(error);
        }
        latencies.merge(&tally.latencies);
    }
    let delivered = room.delivered.load(Ordering::Relaxed);
    let reordered = room.reordered.load(Ordering::Relaxed);
    Report::new(
        "sio-fanout",
        &args.url,
        &args.report,
        Throughput::new("deliveries", delivered, seconds),
    )
    .field("clients", clients)
    .field("window", args.window)
    .field("size", args.size)
    .field("broadcasts", broadcasts)
    .field("deliveries", delivered)
    .field("reordered", reordered)
    .field("seconds", seconds)
    .field("deliveries_per_sec", delivered as f64 / seconds)
    .field("latency_us_p50", latencies.at(50.0))
    .field("latency_us_p99", latencies.at(99.0))
    .field("latency_us_max", latencies.at(100.0))
    .latencies(&latencies)
    .errors(failures.len() as u64)
    .cpu(cpu)
    .emit(&args.report)?;
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

/// Emits broadcasts until `--duration` is over, at most `--window` undelivered;
/// returns how many were sent (also when failing).
async fn emit(
    socket: &Socket,
    room: &Room,
    args: &SioFanoutArgs,
    clients: u64,
) -> Result<u64, (u64, BenchError)> {
    let window = args.window.max(1);
    let padding = "x".repeat(args.size);
    let deadline = Instant::now() + Duration::from_secs_f64(args.duration.max(0.0));
    let mut sent = 0u64;
    while Instant::now() < deadline && !room.failed.load(Ordering::Acquire) {
        // Room for one more: the deliveries of all but `window` broadcasts are in.
        let wanted = (sent + 1).saturating_sub(window) * clients;
        if room.delivered.load(Ordering::Acquire) >= wanted {
            let text = format!("{sent} {} {padding}", room.micros());
            socket
                .emit("broadcast", &text)
                .map_err(|error| (sent, error.into()))?;
            sent += 1;
        } else if !room.reach(wanted, Some(deadline)).await {
            let error = format!(
                "no delivery for {} s after {sent} broadcasts",
                STALL.as_secs()
            );
            return Err((sent, error.into()));
        }
    }
    Ok(sent)
}

/// The sequence number and send time of a broadcast's text, `<seq> <µs> <padding>`.
fn parse_broadcast(text: &str) -> Option<(u64, u64)> {
    let mut fields = text.split(' ');
    let seq = fields.next()?.parse().ok()?;
    let micros = fields.next()?.parse().ok()?;
    Some((seq, micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_broadcasts() {
        assert_eq!(parse_broadcast("3 1500 xx"), Some((3, 1500)));
        assert_eq!(parse_broadcast("3 1500"), Some((3, 1500)));
        assert_eq!(parse_broadcast("x 1500"), None);
        assert_eq!(parse_broadcast("3"), None);
    }

    #[test]
    fn a_tally_is_complete_only_with_every_broadcast_once() {
        let mut tally = Tally {
            seen: vec![true, true],
            received: 2,
            ..Tally::default()
        };
        assert_eq!(tally.check(2), Ok(()));
        assert!(tally.check(3).is_err());
        tally.seen.push(true);
        tally.seen[1] = false;
        assert!(tally.check(2).unwrap_err().contains("never sent"));
        tally.error = Some("broadcast 0 came twice".to_owned());
        assert_eq!(tally.check(3), Err("broadcast 0 came twice".to_owned()));
    }
}
