//! `duplex bench eio-handshake`: Engine.IO session opens per second, either
//! straight over WebSocket or as a client does it by default (long-polling first,
//! then the upgrade to WebSocket). Every step of every handshake is checked.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use bytes::Bytes;

use super::eio_client::{
    BenchError, Endpoint, open_polling_session, open_websocket_session, recv_packet, show,
    split_payload,
};
use duplex_ws::Message;

use super::latency::SharedLatencies;
use super::progress::{Goal, Progress};
use super::report::{CpuTime, Report, ReportArgs, Throughput};

/// How each session is opened.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeMode {
    /// `transport=websocket`: read the open packet, close.
    Websocket,
    /// `transport=polling` handshake, then `2probe`/`3probe`, the pending GET's
    /// `6`, `5`, one echo over the WebSocket, close.
    PollingUpgrade,
}

/// Options of `duplex bench eio-handshake`.
#[derive(clap::Args, Debug)]
pub struct EioHandshakeArgs {
    /// The Engine.IO endpoint.
    #[arg(long, default_value = "http://127.0.0.1:3000/engine.io/")]
    url: String,
    /// How sessions are opened.
    #[arg(long, value_enum, default_value_t = HandshakeMode::Websocket)]
    mode: HandshakeMode,
    /// Handshakes in progress at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Handshakes in all.
    #[arg(long, default_value_t = 2000)]
    count: usize,
    #[command(flatten)]
    report: ReportArgs,
}

/// The time one whole handshake may take, from connect to close.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The packet echoed once over a freshly upgraded WebSocket.
const UPGRADED_ECHO: &str = "4upgraded";

/// Runs the handshakes and prints the result.
pub async fn run(args: EioHandshakeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = Arc::new(Endpoint::parse(&args.url).map_err(|e| e.to_string())?);
    let concurrency = args.concurrency.clamp(1, args.count.max(1));
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let opened = Arc::new(AtomicU64::new(0));
    let latencies = SharedLatencies::default();
    let progress = Progress::start(
        args.report.progress,
        "eio-handshake",
        Goal::Count(args.count as u64),
        opened.clone(),
        "handshakes",
    );
    let cpu = CpuTime::now();
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let (endpoint, next, failed) = (endpoint.clone(), next.clone(), failed.clone());
        let (opened, latencies) = (opened.clone(), latencies.clone());
        let (mode, count) = (args.mode, args.count);
        workers.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let since = Instant::now();
                let handshake = async {
                    match mode {
                        HandshakeMode::Websocket => websocket(&endpoint).await,
                        HandshakeMode::PollingUpgrade => polling_upgrade(&endpoint).await,
                    }
                };
                let done = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
                    .await
                    .unwrap_or_else(|_| {
                        Err(format!("no handshake within {HANDSHAKE_TIMEOUT:?}").into())
                    });
                match done {
                    Ok(()) => {
                        latencies.record(since.elapsed());
                        opened.fetch_add(1, Ordering::Relaxed);
                    }
                    // Only the first few: thousands of identical lines hide the cause.
                    Err(error) => {
                        if failed.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("eio-handshake: {error}");
                        }
                    }
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let seconds = started.elapsed().as_secs_f64();
    let cpu = CpuTime::used_since(cpu);
    progress.finish();
    let failed = failed.load(Ordering::Relaxed);
    let handshakes = args.count - failed;
    let mode = match args.mode {
        HandshakeMode::Websocket => "websocket",
        HandshakeMode::PollingUpgrade => "polling-upgrade",
    };
    let latencies = latencies.snapshot();
    Report::new(
        "eio-handshake",
        &args.url,
        &args.report,
        Throughput::new("handshakes", handshakes as u64, seconds),
    )
    .field("mode", mode)
    .field("concurrency", concurrency)
    .field("count", args.count)
    .field("handshakes", handshakes)
    .field("failed", failed)
    .field("seconds", seconds)
    .field("handshakes_per_sec", handshakes as f64 / seconds)
    .latencies(&latencies)
    .errors(failed as u64)
    .cpu(cpu)
    .emit(&args.report)?;
    if failed > 0 {
        return Err(format!("{failed} of {} handshakes failed", args.count).into());
    }
    Ok(())
}

/// Opens a WebSocket-only session, checks the open packet, closes.
async fn websocket(endpoint: &Endpoint) -> Result<(), BenchError> {
    let (mut socket, _) = open_websocket_session(endpoint, 1 << 16).await?;
    socket.close(None).await?;
    Ok(())
}

/// Opens a polling session and upgrades it, as `engine.io-client` does by default.
async fn polling_upgrade(endpoint: &Endpoint) -> Result<(), BenchError> {
    let (mut conn, open) = open_polling_session(endpoint).await?;
    if !open.upgrades.iter().any(|u| u == "websocket") {
        return Err(format!(
            "polling session offers no websocket upgrade: {:?}",
            open.upgrades
        )
        .into());
    }
    let sid = Some(open.sid.as_str());
    // The client keeps a GET pending while it probes; the server must release it
    // with a noop once the probe succeeded, before the client sends `5`.
    let poll_target = endpoint.polling_target(sid);
    // Pings that fall due meanwhile come on the same GET and are answered, as a client does.
    let pending = async {
        loop {
            let body = conn.get(&poll_target).await?;
            let mut released = false;
            for packet in split_payload(&body) {
                match packet {
                    b"6" => released = true,
                    b"2" => conn.post(&poll_target, Bytes::from_static(b"3")).await?,
                    _ => {
                        return Err::<(), BenchError>(
                            format!(
                                "GET {poll_target} pending during the probe: expected 6, got {}",
                                show(&body)
                            )
                            .into(),
                        );
                    }
                }
            }
            if released {
                return Ok(());
            }
        }
    };
    let probe = async {
        let url = endpoint.websocket_url(sid);
        let mut socket = super::eio_client::connect_websocket(&url, 1 << 16).await?;
        socket.send(Message::text("2probe")).await?;
        let answer = recv_packet(&mut socket).await?;
        if &answer[..] != b"3probe" {
            return Err::<_, BenchError>(
                format!(
                    "WebSocket {url}: sent 2probe, expected 3probe, got {}",
                    show(&answer)
                )
                .into(),
            );
        }
        Ok(socket)
    };
    let (released, socket) = tokio::join!(pending, probe);
    let mut socket = socket?;
    released?;
    socket.send(Message::text("5")).await?;
    socket.send(Message::text(UPGRADED_ECHO)).await?;
    let mut echo = recv_packet(&mut socket).await?;
    while &echo[..] == b"2" {
        socket.send(Message::text("3")).await?;
        echo = recv_packet(&mut socket).await?;
    }
    if &echo[..] != UPGRADED_ECHO.as_bytes() {
        return Err(format!(
            "after the upgrade: sent {UPGRADED_ECHO}, expected it back, got {}",
            show(&echo)
        )
        .into());
    }
    socket.close(None).await?;
    Ok(())
}
