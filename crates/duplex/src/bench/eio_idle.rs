//! `duplex bench eio-idle`: holds many idle Engine.IO sessions open, so a script
//! can read the server's memory per session.
//!
//! Opens N sessions (bounded concurrency), prints `HOLDING <n>` on stdout, and
//! holds them — answering every server ping, a polling session always with a GET
//! pending as a real client keeps one — until SIGTERM, SIGINT, stdin closing, or
//! `--hold` seconds. Then it counts the sessions still alive and closes them.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use duplex_ws::Message;
use tokio::io::AsyncReadExt;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::eio_client::{
    BenchError, EioSocket, Endpoint, HttpConn, open_polling_session, open_websocket_session,
    recv_packet, show, split_payload,
};
use super::latency::{Latencies, SharedLatencies};
use super::progress::{Goal, Progress};
use super::report::{CpuTime, Report, ReportArgs, Throughput};

/// The transport of the idle sessions.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdleMode {
    /// WebSocket-only sessions.
    Websocket,
    /// Long-polling sessions, each with one GET always pending.
    Polling,
}

impl IdleMode {
    /// The mode as the report names it.
    pub fn name(self) -> &'static str {
        match self {
            IdleMode::Websocket => "websocket",
            IdleMode::Polling => "polling",
        }
    }
}

/// How an idle run went, reported alike by `eio-idle` and `sio-idle`.
pub struct IdleOutcome {
    /// The transport.
    pub mode: IdleMode,
    /// Sessions asked for.
    pub sessions: usize,
    /// Sessions opened and held.
    pub held: usize,
    /// Sessions that failed to open.
    pub failed: usize,
    /// Held sessions that ended before the release.
    pub died: usize,
    /// Time to open them all.
    pub open_seconds: f64,
    /// Time they were held.
    pub hold_seconds: f64,
    /// Time to open each.
    pub latencies: Latencies,
    /// The generator's CPU time while opening.
    pub cpu: Option<CpuTime>,
}

impl IdleOutcome {
    /// The report of `scenario` against `url`: sessions opened per second, time to open one.
    pub fn report(&self, scenario: &str, url: &str, args: &ReportArgs) -> Report {
        let opened = Throughput::new("sessions", self.held as u64, self.open_seconds);
        Report::new(scenario, url, args, opened)
            .field("mode", self.mode.name())
            .field("sessions", self.sessions)
            .field("opened", self.held)
            .field("failed", self.failed)
            .field("open_seconds", self.open_seconds)
            .field("hold_seconds", self.hold_seconds)
            .field("alive_after_hold", self.held - self.died)
            .latencies(&self.latencies)
            .errors((self.failed + self.died) as u64)
            .cpu(self.cpu)
    }
}

/// Options of `duplex bench eio-idle`.
#[derive(clap::Args, Debug)]
pub struct EioIdleArgs {
    /// The Engine.IO endpoint.
    #[arg(long, default_value = "http://127.0.0.1:3000/engine.io/")]
    url: String,
    /// The transport.
    #[arg(long, value_enum, default_value_t = IdleMode::Websocket)]
    mode: IdleMode,
    /// Sessions to open and hold.
    #[arg(long, default_value_t = 1000)]
    sessions: usize,
    /// Handshakes in progress at once while opening.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    /// Hold this many seconds; without it, hold until SIGTERM, SIGINT or stdin closes.
    #[arg(long)]
    hold: Option<f64>,
    #[command(flatten)]
    report: ReportArgs,
}

/// How a held session ended, if it did before the release.
type Held = Result<(), BenchError>;

/// Runs the benchmark and prints the result.
pub async fn run(args: EioIdleArgs) -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = Arc::new(Endpoint::parse(&args.url).map_err(|e| e.to_string())?);
    let (release, released) = watch::channel(false);
    let opened = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let pings = Arc::new(AtomicUsize::new(0));
    let latencies = SharedLatencies::default();
    let progress = Progress::start(
        args.report.progress,
        "eio-idle",
        Goal::Count(args.sessions as u64),
        opened.clone(),
        "sessions",
    );
    let cpu = CpuTime::now();
    let started = Instant::now();
    let mut openers = JoinSet::new();
    for _ in 0..args.concurrency.clamp(1, args.sessions.max(1)) {
        let (endpoint, next, opened, failed) = (
            endpoint.clone(),
            next.clone(),
            opened.clone(),
            failed.clone(),
        );
        let (released, pings, latencies) = (released.clone(), pings.clone(), latencies.clone());
        let (mode, total) = (args.mode, args.sessions);
        openers.spawn(async move {
            let mut holders = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let since = Instant::now();
                match open(mode, &endpoint).await {
                    Ok(session) => {
                        latencies.record(since.elapsed());
                        opened.fetch_add(1, Ordering::Relaxed);
                        // Held from the start: the first sessions must answer pings
                        // while the last ones are still opening.
                        holders.push(tokio::spawn(session.hold(released.clone(), pings.clone())));
                    }
                    Err(error) => {
                        if failed.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("eio-idle: {error}");
                        }
                    }
                }
            }
            holders
        });
    }
    let mut holders = Vec::with_capacity(args.sessions);
    while let Some(done) = openers.join_next().await {
        holders.extend(done.unwrap_or_default());
    }
    let open_seconds = started.elapsed().as_secs_f64();
    let cpu = CpuTime::used_since(cpu);
    progress.finish();
    let held = opened.load(Ordering::Relaxed) as usize;
    let failed = failed.load(Ordering::Relaxed);
    eprintln!("eio-idle: {held} sessions open, {failed} failed, in {open_seconds:.2} s");
    // The measuring script samples the server's memory when it reads this line.
    println!("HOLDING {held}");
    std::io::stdout().flush()?;
    let holding = Instant::now();
    wait_for_release(args.hold).await;
    let hold_seconds = holding.elapsed().as_secs_f64();
    // A holder only returns before the release when its session ended: it died.
    let died_early: Vec<bool> = holders.iter().map(|h| h.is_finished()).collect();
    let _ = release.send(true);
    let (mut died, mut first_death) = (0, None);
    for (holder, early) in holders.into_iter().zip(died_early) {
        let outcome = holder.await.map_err(BenchError::from).and_then(|held| held);
        if early {
            died += 1;
            if let Err(error) = outcome {
                first_death.get_or_insert(error.to_string());
            }
        }
    }
    let outcome = IdleOutcome {
        mode: args.mode,
        sessions: args.sessions,
        held,
        failed,
        died,
        open_seconds,
        hold_seconds,
        latencies: latencies.snapshot(),
        cpu,
    };
    outcome
        .report("eio-idle", &args.url, &args.report)
        .field("pings_answered", pings.load(Ordering::Relaxed))
        .emit(&args.report)?;
    if failed > 0 || died > 0 {
        return Err(format!(
            "{failed} sessions failed to open, {died} died while held{}",
            first_death.map_or(String::new(), |e| format!("; first: {e}"))
        )
        .into());
    }
    Ok(())
}

/// A session, open and not yet held.
enum Session {
    // Boxed: the socket is six times the size of the polling variant.
    Websocket(Box<EioSocket>),
    Polling { conn: HttpConn, target: String },
}

async fn open(mode: IdleMode, endpoint: &Endpoint) -> Result<Session, BenchError> {
    let work = async {
        Ok(match mode {
            IdleMode::Websocket => {
                let socket = open_websocket_session(endpoint, 4096).await?.0;
                Session::Websocket(Box::new(socket))
            }
            IdleMode::Polling => {
                let (conn, open) = open_polling_session(endpoint).await?;
                let target = endpoint.polling_target(Some(&open.sid));
                Session::Polling { conn, target }
            }
        })
    };
    tokio::time::timeout(Duration::from_secs(30), work)
        .await
        .map_err(|_| "session open timed out after 30 s")?
}

impl Session {
    /// Answers pings until released (then closes the session); returns early with
    /// an error if the server ends the session.
    async fn hold(self, mut released: watch::Receiver<bool>, pings: Arc<AtomicUsize>) -> Held {
        match self {
            Session::Websocket(mut socket) => loop {
                tokio::select! {
                    _ = released.changed() => {
                        socket.close(None).await?;
                        return Ok(());
                    }
                    packet = recv_packet(&mut socket) => {
                        let packet = packet?;
                        if &packet[..] != b"2" {
                            return Err(format!("idle WebSocket session: expected only pings, got {}", show(&packet)).into());
                        }
                        socket.send(Message::text("3")).await?;
                        pings.fetch_add(1, Ordering::Relaxed);
                    }
                }
            },
            Session::Polling { mut conn, target } => loop {
                tokio::select! {
                    _ = released.changed() => return Ok(()),
                    body = conn.get(&target) => {
                        let body = body?;
                        for packet in split_payload(&body) {
                            if packet != b"2" {
                                return Err(format!("idle polling session: expected only pings, got {}", show(packet)).into());
                            }
                            conn.post(&target, Bytes::from_static(b"3")).await?;
                            pings.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            },
        }
    }
}

/// Waits `hold` seconds if given; otherwise for SIGTERM, SIGINT or stdin to close
/// (a script holding the sessions keeps stdin open as a pipe and closes it).
pub async fn wait_for_release(hold: Option<f64>) {
    if let Some(seconds) = hold {
        tokio::time::sleep(Duration::from_secs_f64(seconds.max(0.0))).await;
        return;
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match term.as_mut() {
            Some(term) => {
                term.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    let stdin_closed = async {
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 256];
        while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        _ = terminated => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = stdin_closed => {}
    }
}
