//! `duplex bench ws-echo`: pipelined echo load against any WebSocket echo server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use duplex_ws::{ClientConfig, ClientRequest, Config, DeflateConfig, Message, connect_with};

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
    /// Print one JSON object instead of a human summary.
    #[arg(long)]
    json: bool,
}

#[derive(Default)]
struct Totals {
    messages: AtomicU64,
    bytes: AtomicU64,
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
    let totals = Arc::new(Totals::default());
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.duration);
    let mut tasks = Vec::with_capacity(sockets.len());
    for mut socket in sockets {
        let totals = totals.clone();
        let message = message.clone();
        let in_flight = args.in_flight.max(1);
        tasks.push(tokio::spawn(async move {
            for _ in 0..in_flight {
                socket
                    .feed(message.clone())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            socket.flush().await.map_err(|e| e.to_string())?;
            let mut outstanding = in_flight;
            while outstanding > 0 {
                let echoed = match socket.recv().await {
                    Some(Ok(echoed)) if echoed.is_data() => echoed,
                    Some(Ok(_)) => continue,
                    Some(Err(error)) => return Err(error.to_string()),
                    None => return Err("server closed the connection".to_owned()),
                };
                if echoed != message {
                    return Err("echo differs from what was sent".to_owned());
                }
                outstanding -= 1;
                totals.messages.fetch_add(1, Ordering::Relaxed);
                totals
                    .bytes
                    .fetch_add(echoed.len() as u64, Ordering::Relaxed);
                // Queued, not flushed: the next pending `recv` sends the batch.
                if Instant::now() < deadline {
                    socket
                        .feed(message.clone())
                        .await
                        .map_err(|e| e.to_string())?;
                    outstanding += 1;
                }
            }
            socket.close(None).await.map_err(|e| e.to_string())
        }));
    }
    let mut failures = Vec::new();
    for task in tasks {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => failures.push(error),
            Err(error) => failures.push(error.to_string()),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let messages = totals.messages.load(Ordering::Relaxed);
    let bytes = totals.bytes.load(Ordering::Relaxed);
    if args.json {
        println!(
            "{{\"url\":\"{}\",\"connections\":{},\"size\":{},\"in_flight\":{},\"deflate\":{},\"messages\":{},\"bytes\":{},\"seconds\":{:.3},\"messages_per_sec\":{:.0},\"mb_per_sec\":{:.2},\"errors\":{}}}",
            args.url,
            args.connections,
            args.size,
            args.in_flight,
            args.deflate,
            messages,
            bytes,
            seconds,
            messages as f64 / seconds,
            bytes as f64 / seconds / 1e6,
            failures.len()
        );
    } else {
        println!(
            "{messages} echoes in {seconds:.2} s: {:.0} messages/s, {:.2} MB/s, {} connection errors",
            messages as f64 / seconds,
            bytes as f64 / seconds / 1e6,
            failures.len()
        );
    }
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(format!("{} connections failed; first: {first}", failures.len()).into()),
    }
}
