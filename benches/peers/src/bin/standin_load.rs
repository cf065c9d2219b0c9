//! STAND-IN load generator, on tokio-tungstenite: it follows the CLI and JSON contract
//! of `duplex bench ws-echo` so `benches/echo.py` can be validated before that command
//! exists. Figures taken with it are labelled as such; it goes once ours lands.
//!
//! Each connection keeps `--in-flight` messages outstanding: it reads whatever echoes
//! are ready, queues one new message per echo, and flushes once per batch, so the
//! generator does not make the server's writes look more fragmented than they are.

use std::time::Duration;

use clap::Parser;
use duplex_bench_peers::current_thread_runtime;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{Bytes, Message};

/// Same flags as `duplex bench ws-echo`.
#[derive(Debug, Parser)]
struct Args {
    /// Echo server URL, e.g. ws://127.0.0.1:9001/.
    #[arg(long)]
    url: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Payload size of each binary message, in bytes.
    #[arg(long, default_value_t = 16)]
    size: usize,
    /// Messages outstanding per connection.
    #[arg(long, default_value_t = 16)]
    in_flight: usize,
    /// Length of the measured window, in seconds.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Offer permessage-deflate (not supported by tungstenite: refused).
    #[arg(long)]
    deflate: bool,
    /// Print one JSON object instead of prose.
    #[arg(long)]
    json: bool,
}

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let args = Args::parse();
    if args.deflate {
        return Err("the stand-in cannot offer permessage-deflate (tungstenite lacks it)".into());
    }
    let echoed = current_thread_runtime()?.block_on(run(&args))?;
    let messages: u64 = echoed.iter().sum();
    let seconds = args.duration;
    let bytes = messages * args.size as u64;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "messages": messages,
                "bytes": bytes,
                "seconds": seconds,
                "connections": args.connections,
                "size": args.size,
                "in_flight": args.in_flight,
                "deflate": false,
                "generator": "standin_load (tokio-tungstenite)",
            })
        );
    } else {
        println!(
            "{messages} echoes in {seconds} s: {:.0} msg/s, {:.1} MiB/s",
            messages as f64 / seconds,
            bytes as f64 / seconds / (1 << 20) as f64
        );
    }
    Ok(())
}

/// Connects everyone first, so handshakes stay out of the measured window, then
/// returns the echoes each connection received inside it.
async fn run(args: &Args) -> Result<Vec<u64>, Failure> {
    let mut sockets = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let (ws, _) = tokio_tungstenite::connect_async(args.url.as_str()).await?;
        sockets.push(ws);
    }
    let payload = Bytes::from(vec![b'x'; args.size]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(args.duration);
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|ws| tokio::spawn(drive(ws, payload.clone(), args.in_flight, deadline)))
        .collect();
    let mut echoed = Vec::with_capacity(tasks.len());
    for task in tasks {
        echoed.push(task.await??);
    }
    Ok(echoed)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn drive(
    ws: Ws,
    payload: Bytes,
    in_flight: usize,
    deadline: tokio::time::Instant,
) -> Result<u64, tokio_tungstenite::tungstenite::Error> {
    let (mut sink, stream) = ws.split();
    let mut stream = stream.ready_chunks(in_flight.max(1));
    for _ in 0..in_flight {
        sink.feed(Message::Binary(payload.clone())).await?;
    }
    sink.flush().await?;
    let mut echoed = 0u64;
    loop {
        let batch = tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            batch = stream.next() => batch,
        };
        let Some(batch) = batch else { break };
        for msg in batch {
            if msg?.is_binary() {
                echoed += 1;
                sink.feed(Message::Binary(payload.clone())).await?;
            }
        }
        sink.flush().await?;
    }
    // Closing politely keeps the server's error paths out of its CPU figure.
    sink.close().await?;
    Ok(echoed)
}
