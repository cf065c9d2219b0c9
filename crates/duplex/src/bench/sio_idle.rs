//! `duplex bench sio-idle`: holds many idle Socket.IO sockets, each on its own
//! connection and joined to one namespace, so a script can read the server's memory
//! per socket. Opens N (bounded concurrency), prints `HOLDING <n>` and holds them —
//! the client answering the server's pings — until released as `eio-idle` is; then
//! counts the sockets still connected and disconnects them.

use std::io::Write;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use duplex_socketio::client::{DisconnectReason, Socket, Transport};
use tokio::task::JoinSet;

use super::eio_client::BenchError;
use super::eio_idle::{IdleMode, IdleOutcome, wait_for_release};
use super::latency::SharedLatencies;
use super::progress::{Goal, Progress};
use super::report::{CpuTime, ReportArgs};
use super::sio_connect::{Target, connect};
use super::sources::SourceArgs;

/// Options of `duplex bench sio-idle`.
#[derive(clap::Args, Debug)]
pub struct SioIdleArgs {
    /// The Socket.IO endpoint.
    #[arg(long, default_value = "http://127.0.0.1:3000/socket.io/")]
    url: String,
    /// The transport (polling: no upgrade).
    #[arg(long, value_enum, default_value_t = IdleMode::Websocket)]
    mode: IdleMode,
    /// Sockets to open and hold.
    #[arg(long, default_value_t = 1000)]
    sessions: usize,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    /// Hold this many seconds; without it, hold until SIGTERM, SIGINT or stdin closes.
    #[arg(long)]
    hold: Option<f64>,
    /// The namespace to join.
    #[arg(long, default_value = "/")]
    namespace: String,
    #[command(flatten)]
    sources: SourceArgs,
    #[command(flatten)]
    report: ReportArgs,
}

/// Why the first held socket that disconnected did, before the release.
type FirstDeath = Arc<Mutex<Option<String>>>;

/// Runs the benchmark and prints the result.
pub async fn run(args: SioIdleArgs) -> Result<(), Box<dyn std::error::Error>> {
    let transports = match args.mode {
        IdleMode::Websocket => [Transport::WebSocket],
        IdleMode::Polling => [Transport::Polling],
    };
    let target = Target::parse(&args.url).map_err(|e| e.to_string())?;
    let failed = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let first_death = FirstDeath::default();
    let opened = Arc::new(AtomicU64::new(0));
    let latencies = SharedLatencies::default();
    let progress = Progress::start(
        args.report.progress,
        "sio-idle",
        Goal::Count(args.sessions as u64),
        opened.clone(),
        "sockets",
    );
    let cpu = CpuTime::now();
    let started = Instant::now();
    let mut openers = JoinSet::new();
    for _ in 0..args.concurrency.clamp(1, args.sessions.max(1)) {
        let (next, failed, first_death) = (next.clone(), failed.clone(), first_death.clone());
        let (opened, latencies) = (opened.clone(), latencies.clone());
        let (target, namespace, total) = (target.clone(), args.namespace.clone(), args.sessions);
        let sources = args.sources.clone();
        openers.spawn(async move {
            let mut held = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= total {
                    break;
                }
                let source = sources.pick(index);
                let since = Instant::now();
                match open(&target, &namespace, &transports, source, &first_death).await {
                    Ok(socket) => {
                        latencies.record(since.elapsed());
                        opened.fetch_add(1, Ordering::Relaxed);
                        held.push(socket);
                    }
                    Err(error) => {
                        if failed.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("sio-idle: {error}");
                        }
                    }
                }
            }
            held
        });
    }
    let mut sockets = Vec::with_capacity(args.sessions);
    while let Some(done) = openers.join_next().await {
        sockets.extend(done.unwrap_or_default());
    }
    let open_seconds = started.elapsed().as_secs_f64();
    let cpu = CpuTime::used_since(cpu);
    progress.finish();
    let held = sockets.len();
    let failed = failed.load(Ordering::Relaxed);
    eprintln!("sio-idle: {held} sockets connected, {failed} failed, in {open_seconds:.2} s");
    // The measuring script samples the server's memory when it reads this line.
    println!("HOLDING {held}");
    std::io::stdout().flush()?;
    let holding = Instant::now();
    wait_for_release(args.hold).await;
    let hold_seconds = holding.elapsed().as_secs_f64();
    // Reconnection is off: a socket that lost its connection stays disconnected.
    let alive = sockets.iter().filter(|socket| socket.connected()).count();
    let died = held - alive;
    for socket in &sockets {
        socket.disconnect();
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
        .report("sio-idle", &args.url, &args.report)
        .emit(&args.report)?;
    if failed > 0 || died > 0 {
        let first = first_death.lock().ok().and_then(|first| first.clone());
        return Err(format!(
            "{failed} sockets failed to connect, {died} disconnected while held{}",
            first.map_or(String::new(), |e| format!("; first: {e}"))
        )
        .into());
    }
    Ok(())
}

/// Connects one socket, noting why it disconnects if it does before the release.
async fn open(
    target: &Target,
    namespace: &str,
    transports: &[Transport],
    source: Option<IpAddr>,
    first_death: &FirstDeath,
) -> Result<Socket, BenchError> {
    let first_death = first_death.clone();
    let mut builder = target
        .client(namespace, transports)
        .on_disconnect(move |_, reason| {
            if reason != DisconnectReason::IoClientDisconnect {
                if let Ok(mut first) = first_death.lock() {
                    first.get_or_insert_with(|| reason.to_string());
                }
            }
        });
    if let Some(source) = source {
        builder = builder.local_address(source);
    }
    connect(builder).await
}
