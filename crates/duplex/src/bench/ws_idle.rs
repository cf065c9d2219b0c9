//! `duplex bench ws-idle`: holds many idle WebSocket connections open against any
//! server, so a script can read the server's memory per connection.
//!
//! Phases: open N connections (bounded concurrency, each checked with one
//! ping/pong), print `HOLDING <n>` on stdout, stay idle for `--hold` seconds, check
//! each connection again with a ping, then close all with the close handshake.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use duplex_ws::{ClientConfig, ClientRequest, DeflateConfig, Error, Message, WebSocket, handshake};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::latency::SharedLatencies;
use super::progress::{Goal, Progress};
use super::report::{CpuTime, Report, ReportArgs, Throughput};
use super::sources::{SourceArgs, dial, plain_ws_server};

/// Options of `duplex bench ws-idle`.
#[derive(clap::Args, Debug)]
pub struct WsIdleArgs {
    /// Server URL (`ws://` only: the point is the server's per-connection memory).
    #[arg(long, default_value = "ws://127.0.0.1:9001")]
    url: String,
    /// Connections to open and hold.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Seconds to hold the connections idle once all are open.
    #[arg(long, default_value_t = 5.0)]
    hold: f64,
    /// Handshakes in progress at once while opening (and closes while closing).
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    #[command(flatten)]
    sources: SourceArgs,
    /// Offer permessage-deflate (the server then keeps zlib state per connection).
    #[arg(long)]
    deflate: bool,
    /// With `--deflate`: also ask both sides to reset their compressor after every
    /// message (`server_no_context_takeover`, `client_no_context_takeover`).
    #[arg(long)]
    no_context_takeover: bool,
    /// After the ping, exchange one text message (an echo), so a compressing
    /// connection has built its zlib state before it idles.
    #[arg(long)]
    message: bool,
    #[command(flatten)]
    report: ReportArgs,
}

/// File descriptors the process needs besides the sockets (stdio, epoll, eventfd,
/// runtime internals), with a margin.
const SPARE_FDS: u64 = 64;

/// What the openers share: counters (`opened` also drives the progress bar) and the
/// time each connection took to open.
#[derive(Default)]
struct Opening {
    opened: Arc<AtomicU64>,
    failed: AtomicUsize,
    latencies: SharedLatencies,
}

/// What one connection needs to be opened: where to, from where, how.
struct Target {
    url: String,
    server: SocketAddr,
    deflate: Option<DeflateConfig>,
    message: bool,
    client: ClientConfig,
}

/// Runs the benchmark and prints the result.
pub async fn run(args: WsIdleArgs) -> Result<(), Box<dyn std::error::Error>> {
    check_fd_limit(args.connections)?;
    let server = plain_ws_server(&args.url, "ws-idle").await?;
    let target = Arc::new(Target {
        url: args.url.clone(),
        server,
        deflate: args.deflate.then(|| {
            DeflateConfig::default()
                .server_no_context_takeover(args.no_context_takeover)
                .client_no_context_takeover(args.no_context_takeover)
        }),
        message: args.message,
        client: ClientConfig::default(),
    });
    let concurrency = args.concurrency.clamp(1, args.connections.max(1));
    let opening = Arc::new(Opening::default());
    let progress = Progress::start(
        args.report.progress,
        "ws-idle",
        Goal::Count(args.connections as u64),
        opening.opened.clone(),
        "connections",
    );
    let cpu = CpuTime::now();
    let started = Instant::now();
    let sockets = open_all(&args, concurrency, target, opening.clone()).await;
    let open_seconds = started.elapsed().as_secs_f64();
    let cpu = CpuTime::used_since(cpu);
    progress.finish();
    let failed = opening.failed.load(Ordering::Relaxed);
    let compressed = sockets
        .iter()
        .filter(|s| s.connection().is_compressed())
        .count();
    eprintln!(
        "ws-idle: {} open, {failed} failed in {open_seconds:.2} s; holding {:.1} s",
        sockets.len(),
        args.hold
    );
    // The measuring script samples the server's memory when it reads this line.
    println!("HOLDING {}", sockets.len());
    std::io::stdout().flush()?;
    tokio::time::sleep(Duration::from_secs_f64(args.hold.max(0.0))).await;

    let closing = Instant::now();
    let (alive, closed) = close_all(sockets, concurrency).await;
    let close_seconds = closing.elapsed().as_secs_f64();
    let client_rss = own_rss_kib();
    let latencies = opening.latencies.snapshot();
    let opened = args.connections - failed;
    Report::new(
        "ws-idle",
        &args.url,
        &args.report,
        Throughput::new("connections", opened as u64, open_seconds),
    )
    .field("connections", args.connections)
    .field("opened", opened)
    .field("failed", failed)
    .field("deflate", args.deflate)
    .field("message", args.message)
    .field("compressed", compressed)
    .field("open_seconds", open_seconds)
    .field("hold_seconds", args.hold)
    .field("alive_after_hold", alive)
    .field("closed_cleanly", closed)
    .field("close_seconds", close_seconds)
    .field("client_rss_kib", client_rss)
    .latencies(&latencies)
    .errors((failed + opened - alive.min(opened)) as u64)
    .cpu(cpu)
    .emit(&args.report)?;
    if failed > 0 || alive < args.connections - failed {
        return Err(format!(
            "{failed} connections failed to open, {} died while idle",
            args.connections - failed - alive
        )
        .into());
    }
    Ok(())
}

/// Opens the connections with `concurrency` workers pulling from one counter, so at
/// most that many handshakes are in flight; returns the ones that opened.
async fn open_all(
    args: &WsIdleArgs,
    concurrency: usize,
    target: Arc<Target>,
    opening: Arc<Opening>,
) -> Vec<WebSocket<TcpStream>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let (next, target, opening) = (next.clone(), target.clone(), opening.clone());
        let (total, sources) = (args.connections, args.sources.clone());
        workers.spawn(async move {
            let mut mine = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= total {
                    return mine;
                }
                let source = sources.pick(index);
                let since = Instant::now();
                match open_one(&target, source).await {
                    Ok(socket) => {
                        opening.latencies.record(since.elapsed());
                        opening.opened.fetch_add(1, Ordering::Relaxed);
                        mine.push(socket);
                    }
                    Err(error) => {
                        // Only the first few: thousands of identical lines hide the cause.
                        if opening.failed.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("ws-idle: connection {index} failed: {error}");
                        }
                    }
                }
            }
        });
    }
    let mut sockets = Vec::with_capacity(args.connections);
    while let Some(done) = workers.join_next().await {
        // A worker only ends by returning its sockets; a panic would be a bug here.
        if let Ok(mine) = done {
            sockets.extend(mine);
        }
    }
    sockets
}

/// Connects (from `source` if given), runs the handshake and one ping/pong.
async fn open_one(
    target: &Target,
    source: Option<IpAddr>,
) -> Result<WebSocket<TcpStream>, Box<dyn std::error::Error + Send + Sync>> {
    let work = async {
        let stream = dial(target.server, source).await?;
        let request = ClientRequest::new(&target.url)?.deflate(target.deflate.clone());
        let (mut socket, _) = handshake(stream, &request, &target.client).await?;
        ping(&mut socket).await?;
        if target.message {
            echo(&mut socket).await?;
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(socket)
    };
    tokio::time::timeout(target.client.handshake_timeout, work)
        .await
        .map_err(|_| "connect, handshake and ping timed out")?
}

/// Sends a ping and waits for its pong, so the connection is known to be served,
/// not only accepted.
async fn ping(socket: &mut WebSocket<TcpStream>) -> Result<(), Error> {
    let payload = Bytes::from_static(b"idle?");
    socket.send(Message::Ping(payload.clone())).await?;
    loop {
        match socket.recv().await {
            Some(Ok(Message::Pong(echo))) if echo == payload => return Ok(()),
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error),
            None => return Err(Error::Closed),
        }
    }
}

/// Sends one compressible text message and waits for the same text back.
async fn echo(
    socket: &mut WebSocket<TcpStream>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let text = Message::text("an idle connection said hello, hello, hello once");
    socket.send(text.clone()).await?;
    loop {
        match socket.recv().await {
            Some(Ok(reply)) if reply.is_data() => {
                return if reply == text {
                    Ok(())
                } else {
                    Err("the echo differs from the message".into())
                };
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.into()),
            None => return Err(Error::Closed.into()),
        }
    }
}

/// Pings each connection again (it must have survived the idle time), then closes
/// it with the close handshake. Returns (alive, closed cleanly).
async fn close_all(sockets: Vec<WebSocket<TcpStream>>, concurrency: usize) -> (usize, usize) {
    let per_worker = sockets.len().div_ceil(concurrency).max(1);
    let mut sockets = sockets.into_iter();
    let mut workers = JoinSet::new();
    loop {
        let batch: Vec<_> = sockets.by_ref().take(per_worker).collect();
        if batch.is_empty() {
            break;
        }
        workers.spawn(async move {
            let (mut alive, mut closed) = (0, 0);
            for mut socket in batch {
                let checked = tokio::time::timeout(Duration::from_secs(10), ping(&mut socket));
                if matches!(checked.await, Ok(Ok(()))) {
                    alive += 1;
                }
                if socket.close(None).await.is_ok() {
                    closed += 1;
                }
            }
            (alive, closed)
        });
    }
    let (mut alive, mut closed) = (0, 0);
    while let Some(done) = workers.join_next().await {
        if let Ok((a, c)) = done {
            alive += a;
            closed += c;
        }
    }
    (alive, closed)
}

/// Refuses to start when the open-files limit cannot hold the connections: failing
/// half-way with EMFILE would measure nothing. The limit is raised by the caller
/// (`ulimit -n`, see `benches/idle.sh`), which needs no unsafe code here.
fn check_fd_limit(connections: usize) -> Result<(), String> {
    let Some(soft) = open_files_limit() else {
        return Ok(());
    };
    let needed = connections as u64 + SPARE_FDS;
    if soft < needed {
        return Err(format!(
            "the open-files limit is {soft}, {connections} connections need about {needed}: raise it with `ulimit -n {needed}` (up to the hard limit, `ulimit -Hn`)"
        ));
    }
    Ok(())
}

/// The soft RLIMIT_NOFILE, from `/proc/self/limits` (Linux); `None` elsewhere or
/// when unlimited.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files_limit(&limits)
}

fn parse_open_files_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// This process's resident memory in KiB, from `/proc/self/status` (Linux).
fn own_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_rss_kib(&status)
}

fn parse_vm_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line["VmRSS:".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_soft_open_files_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             63396                63396                processes \n\
                      Max open files            1024                 20000                files     \n";
        assert_eq!(parse_open_files_limit(limits), Some(1024));
    }

    #[test]
    fn unlimited_open_files_is_no_limit() {
        let limits = "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_open_files_limit(limits), None);
    }

    #[test]
    fn reads_vm_rss() {
        let status = "Name:\tduplex\nVmPeak:\t  10000 kB\nVmRSS:\t    5120 kB\nThreads:\t3\n";
        assert_eq!(parse_vm_rss_kib(status), Some(5120));
        assert_eq!(parse_vm_rss_kib("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_has_a_readable_rss() {
        // Linux-only behaviour: the bench targets Linux; elsewhere it reports null.
        if cfg!(target_os = "linux") {
            assert!(own_rss_kib().is_some_and(|kib| kib > 0));
        }
    }
}
