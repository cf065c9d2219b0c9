//! `duplex bench connect-rate`: connections opened per second against any WebSocket or
//! Socket.IO server. `--concurrency` workers each open a connection (`ws`: TCP and the
//! WebSocket handshake; `sio`: the Engine.IO session over WebSocket and the namespace
//! joined), time it, close it, and open the next, until `--count` connections or
//! `--duration` seconds. Each closed connection leaves a port in TIME_WAIT for a minute:
//! past ~28k connections per source address, spread them with `--source-addrs`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use duplex_socketio::client::Transport;
use duplex_ws::{ClientConfig, ClientRequest, handshake};
use tokio::task::JoinSet;

use super::eio_client::BenchError;
use super::latency::SharedLatencies;
use super::progress::{Goal, Progress};
use super::report::{CpuTime, Report, ReportArgs, Throughput};
use super::sio_connect::{Target, connect};
use super::sources::{SourceArgs, dial, plain_ws_server};

/// What a connection is.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// A WebSocket handshake, then the close handshake.
    Ws,
    /// A Socket.IO connection (WebSocket transport) to the namespace, then a disconnect.
    Sio,
}

/// Options of `duplex bench connect-rate`.
#[derive(clap::Args, Debug)]
pub struct ConnectRateArgs {
    /// What to open.
    #[arg(long, value_enum, default_value_t = Protocol::Ws)]
    protocol: Protocol,
    /// Server URL (default `ws://127.0.0.1:9001` for `ws`,
    /// `http://127.0.0.1:3000/socket.io/` for `sio`).
    #[arg(long)]
    url: Option<String>,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Stop after this many connections (default: only `--duration` stops the run).
    #[arg(long)]
    count: Option<u64>,
    /// Seconds of opening connections.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// The Socket.IO namespace (`sio`).
    #[arg(long, default_value = "/")]
    namespace: String,
    #[command(flatten)]
    sources: SourceArgs,
    #[command(flatten)]
    report: ReportArgs,
}

/// How long one connection may take to open and close.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// What the workers share.
struct Shared {
    protocol: Protocol,
    url: String,
    /// Where `ws` connections go.
    server: Option<SocketAddr>,
    /// Where `sio` connections go.
    target: Option<Target>,
    namespace: String,
    sources: SourceArgs,
    count: u64,
    deadline: Instant,
    next: AtomicU64,
    opened: Arc<AtomicU64>,
    failed: AtomicU64,
    latencies: SharedLatencies,
}

/// Runs the connections and reports.
pub async fn run(args: ConnectRateArgs) -> Result<(), Box<dyn std::error::Error>> {
    let url = args.url.clone().unwrap_or_else(|| {
        match args.protocol {
            Protocol::Ws => "ws://127.0.0.1:9001",
            Protocol::Sio => "http://127.0.0.1:3000/socket.io/",
        }
        .to_owned()
    });
    let (server, target) = match args.protocol {
        Protocol::Ws => (Some(plain_ws_server(&url, "connect-rate").await?), None),
        Protocol::Sio => (None, Some(Target::parse(&url).map_err(|e| e.to_string())?)),
    };
    let shared = Arc::new(Shared {
        protocol: args.protocol,
        url: url.clone(),
        server,
        target,
        namespace: args.namespace.clone(),
        sources: args.sources.clone(),
        count: args.count.unwrap_or(u64::MAX),
        deadline: Instant::now() + Duration::from_secs_f64(args.duration.max(0.0)),
        next: AtomicU64::new(0),
        opened: Arc::new(AtomicU64::new(0)),
        failed: AtomicU64::new(0),
        latencies: SharedLatencies::default(),
    });
    let goal = match args.count {
        Some(count) => Goal::Count(count),
        None => Goal::Seconds(args.duration),
    };
    let progress = Progress::start(
        args.report.progress,
        "connect-rate",
        goal,
        shared.opened.clone(),
        "connections",
    );
    let cpu = CpuTime::now();
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        workers.spawn(work(shared.clone()));
    }
    while workers.join_next().await.is_some() {}
    let seconds = started.elapsed().as_secs_f64();
    let cpu = CpuTime::used_since(cpu);
    progress.finish();
    let opened = shared.opened.load(Ordering::Relaxed);
    let failed = shared.failed.load(Ordering::Relaxed);
    let latencies = shared.latencies.snapshot();
    let protocol = match args.protocol {
        Protocol::Ws => "ws",
        Protocol::Sio => "sio",
    };
    Report::new(
        "connect-rate",
        &url,
        &args.report,
        Throughput::new("connections", opened, seconds),
    )
    .field("protocol", protocol)
    .field("concurrency", args.concurrency)
    .field("connections", opened)
    .field("failed", failed)
    .field("seconds", seconds)
    .field("connections_per_sec", opened as f64 / seconds)
    .latencies(&latencies)
    .errors(failed)
    .cpu(cpu)
    .emit(&args.report)?;
    if failed > 0 {
        return Err(format!("{failed} connections failed").into());
    }
    Ok(())
}

/// One worker: opens and closes connections until the count or the time is up.
async fn work(shared: Arc<Shared>) {
    loop {
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        if index >= shared.count || Instant::now() >= shared.deadline {
            return;
        }
        let source = shared.sources.pick(index as usize);
        let once = async {
            match shared.protocol {
                Protocol::Ws => ws(&shared, source).await,
                Protocol::Sio => sio(&shared, source).await,
            }
        };
        let outcome = tokio::time::timeout(CONNECTION_TIMEOUT, once)
            .await
            .unwrap_or_else(|_| Err(format!("no connection within {CONNECTION_TIMEOUT:?}").into()));
        match outcome {
            Ok(took) => {
                shared.latencies.record(took);
                shared.opened.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                // Only the first few: thousands of identical lines hide the cause.
                if shared.failed.fetch_add(1, Ordering::Relaxed) < 5 {
                    eprintln!("connect-rate: {error}");
                }
            }
        }
    }
}

/// Opens a WebSocket (from `source` if given) and closes it; returns the time to open.
async fn ws(shared: &Shared, source: Option<IpAddr>) -> Result<Duration, BenchError> {
    let server = shared.server.ok_or("no server address")?;
    let started = Instant::now();
    let stream = dial(server, source).await?;
    let request = ClientRequest::new(&shared.url)?;
    let (mut socket, _) = handshake(stream, &request, &ClientConfig::default()).await?;
    let took = started.elapsed();
    socket.close(None).await?;
    Ok(took)
}

/// Connects a Socket.IO client to the namespace and disconnects it; returns the time to
/// connect.
async fn sio(shared: &Shared, source: Option<IpAddr>) -> Result<Duration, BenchError> {
    let target = shared.target.as_ref().ok_or("no Socket.IO target")?;
    let mut builder = target.client(&shared.namespace, &[Transport::WebSocket]);
    if let Some(source) = source {
        builder = builder.local_address(source);
    }
    let started = Instant::now();
    let socket = connect(builder).await?;
    let took = started.elapsed();
    socket.disconnect();
    Ok(took)
}
