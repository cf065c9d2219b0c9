//! `duplex bench ws-echo`: pipelined echo load against any WebSocket echo server.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use duplex_ws::{ClientConfig, ClientRequest, Config, DeflateConfig, Message, connect_with};

use super::latency::Latencies;
use super::progress::{Goal, Progress};
use super::report::{CpuTime, Report, ReportArgs, Throughput};

/// Options of `duplex bench ws-echo`.
#[derive(clap::Args, Debug)]
pub struct WsEchoArgs {
    /// Server URL.
    #[arg(long, default_value = "ws://127.0.0.1:9001")]
    url: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Payload bytes per message.
    #[arg(long, default_value_t = 16)]
    size: usize,
    /// Messages in flight per connection.
    #[arg(long, default_value_t = 16)]
    in_flight: usize,
    /// Seconds of load (after all connections are open).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Offer permessage-deflate (payloads are text-like, so compressible).
    #[arg(long)]
    deflate: bool,
    /// Send text messages instead of binary.
    #[arg(long)]
    text: bool,
    #[command(flatten)]
    report: ReportArgs,
}

/// A text-like payload (compressible, valid UTF-8) of exactly `size` bytes.
fn payload(size: usize) -> Bytes {
    let pattern = br#"{"user":"duplex","room":"lobby","seq":12345,"text":"hello there"} "#;
    pattern
        .iter()
        .copied()
        .cycle()
        .take(size)
        .collect::<Vec<u8>>()
        .into()
}

/// Runs the load and prints the result.
pub async fn run(args: WsEchoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let body = payload(args.size);
    let message = if args.text {
        Message::Text(body.clone().try_into()?)
    } else {
        Message::Binary(body.clone())
    };
    let client = ClientConfig::default()
        .config(Config::default().max_message_size(args.size.max(1 << 20) * 2));
    let mut sockets = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let request =
            ClientRequest::new(&args.url)?.deflate(args.deflate.then(DeflateConfig::default));
        let (socket, _) = connect_with(request, &client).await?;
        sockets.push(socket);
    }
    let messages = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(
        args.report.progress,
        "ws-echo",
        Goal::Seconds(args.duration),
        messages.clone(),
        "echoes",
    );
    let cpu = CpuTime::now();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.duration);
    let mut tasks = Vec::with_capacity(sockets.len());
    for mut socket in sockets {
        let (messages, bytes) = (messages.clone(), bytes.clone());
        let message = message.clone();
        let in_flight = args.in_flight.max(1);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Latencies::new();
            // An echo server answers in order: the oldest send time is the next echo's.
            let mut sent = VecDeque::with_capacity(in_flight);
            for _ in 0..in_flight {
                sent.push_back(Instant::now());
                socket
                    .feed(message.clone())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            socket.flush().await.map_err(|e| e.to_string())?;
            while let Some(&since) = sent.front() {
                let echoed = match socket.recv().await {
                    Some(Ok(echoed)) if echoed.is_data() => echoed,
                    Some(Ok(_)) => continue,
                    Some(Err(error)) => return Err(error.to_string()),
                    None => return Err("server closed the connection".to_owned()),
                };
                if echoed != message {
                    return Err("echo differs from what was sent".to_owned());
                }
                sent.pop_front();
                latencies.record(since.elapsed());
                messages.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(echoed.len() as u64, Ordering::Relaxed);
                // Queued, not flushed: the next pending `recv` sends the batch.
                if Instant::now() < deadline {
                    sent.push_back(Instant::now());
                    socket
                        .feed(message.clone())
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
            socket.close(None).await.map_err(|e| e.to_string())?;
            Ok(latencies)
        }));
    }
    let mut failures = Vec::new();
    let mut latencies = Latencies::new();
    for task in tasks {
        match task.await {
            Ok(Ok(mine)) => latencies.merge(&mine),
            Ok(Err(error)) => failures.push(error),
            Err(error) => failures.push(error.to_string()),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();
    let messages = messages.load(Ordering::Relaxed);
    let bytes = bytes.load(Ordering::Relaxed);
    Report::new(
        "ws-echo",
        &args.url,
        &args.report,
        Throughput::new("messages", messages, seconds),
    )
    .field("connections", args.connections)
    .field("size", args.size)
    .field("in_flight", args.in_flight)
    .field("deflate", args.deflate)
    .field("messages", messages)
    .field("bytes", bytes)
    .field("seconds", seconds)
    .field("messages_per_sec", messages as f64 / seconds)
    .field("mb_per_sec", bytes as f64 / seconds / 1e6)
    .latencies(&latencies)
    .errors(failures.len() as u64)
    .cpu(CpuTime::used_since(cpu))
    .emit(&args.report)?;
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(format!("{} connections failed; first: {first}", failures.len()).into()),
    }
}
