//! `duplex bench sio-echo`: Socket.IO event round trips with acks per second. C
//! clients (WebSocket) each keep K `echo` events in flight, every one asking for an
//! ack; the server acks with the same arguments. Every ack is checked: its id was
//! outstanding, and it carries exactly the event's argument.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Barrier;

use super::eio_client::{BenchError, Endpoint, payload, show};
use super::sio_client::{SioSocket, measured, ready, split_ack};

/// Options of `duplex bench sio-echo`.
#[derive(clap::Args, Debug)]
pub struct SioEchoArgs {
    /// The Socket.IO endpoint.
    #[arg(long, default_value = "http://127.0.0.1:3000/socket.io/")]
    url: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Events in flight per client.
    #[arg(long, default_value_t = 16)]
    in_flight: u64,
    /// Bytes of the event's string argument.
    #[arg(long, default_value_t = 16)]
    size: usize,
    /// Seconds of load (the acks in flight are still awaited).
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Bracket the measured phase with `READY` / a line on stdin / `DONE`.
    #[arg(long)]
    sync: bool,
    /// Print one JSON object instead of a human summary.
    #[arg(long)]
    json: bool,
}

/// Runs the load and prints the result.
pub async fn run(args: SioEchoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = Endpoint::parse(&args.url).map_err(|e| e.to_string())?;
    let clients = args.clients.max(1);
    // Everyone connected, then the script's go, then everyone starts.
    let connected = Arc::new(Barrier::new(clients + 1));
    let go = Arc::new(Barrier::new(clients + 1));
    let acks = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (endpoint, connected, go, acks) = (
            endpoint.clone(),
            connected.clone(),
            go.clone(),
            acks.clone(),
        );
        let (in_flight, size, duration) = (args.in_flight.max(1), args.size, args.duration);
        tasks.push(tokio::spawn(async move {
            let socket = SioSocket::connect(&endpoint, "/", size * 2 + 1024).await;
            connected.wait().await;
            go.wait().await;
            let deadline = Instant::now() + Duration::from_secs_f64(duration.max(0.0));
            echo(socket?, in_flight, size, deadline, &acks).await
        }));
    }
    connected.wait().await;
    ready(args.sync).await?;
    let started = Instant::now();
    go.wait().await;
    let mut failures = Vec::new();
    let mut pings = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(answered)) => pings += answered,
            Ok(Err(error)) => failures.push(error.to_string()),
            Err(error) => failures.push(error.to_string()),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    measured(args.sync)?;
    let acks = acks.load(Ordering::Relaxed);
    if args.json {
        println!(
            "{{\"url\":\"{}\",\"clients\":{clients},\"in_flight\":{},\"size\":{},\"acks\":{acks},\"pings\":{pings},\"seconds\":{seconds:.3},\"acks_per_sec\":{:.0},\"errors\":{}}}",
            args.url,
            args.in_flight,
            args.size,
            acks as f64 / seconds,
            failures.len()
        );
    } else {
        println!(
            "{acks} acks in {seconds:.2} s: {:.0} acks/s, {pings} pings answered, {} client errors",
            acks as f64 / seconds,
            failures.len()
        );
    }
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(format!("{} clients failed; first: {first}", failures.len()).into()),
    }
}

/// The `echo` event with ack id `id`, and the ack arguments it must come back with.
fn event(id: u64, size: usize) -> (String, String) {
    let argument = serde_json::Value::String(payload(id, size)).to_string();
    (
        format!("2{id}[\"echo\",{argument}]"),
        format!("[{argument}]"),
    )
}

/// One client's load; returns the pings it answered.
async fn echo(
    mut socket: SioSocket,
    in_flight: u64,
    size: usize,
    deadline: Instant,
    acks: &AtomicU64,
) -> Result<u64, BenchError> {
    let mut outstanding: HashMap<u64, String> = HashMap::new();
    let mut next = 0;
    while next < in_flight {
        let (packet, expected) = event(next, size);
        socket.feed(&packet).await?;
        outstanding.insert(next, expected);
        next += 1;
    }
    socket.flush().await?;
    while !outstanding.is_empty() {
        let packet = socket.recv().await?;
        let (id, args) =
            split_ack(&packet).ok_or_else(|| format!("expected an ack, got {}", show(&packet)))?;
        let expected = outstanding
            .remove(&id)
            .ok_or_else(|| format!("ack {id} was not asked for (or came twice)"))?;
        if args != expected.as_bytes() {
            return Err(format!(
                "ack {id}: expected {}, got {}",
                show(expected.as_bytes()),
                show(args)
            )
            .into());
        }
        acks.fetch_add(1, Ordering::Relaxed);
        if Instant::now() < deadline {
            // Queued, not flushed: the next pending receive sends the batch.
            let (packet, expected) = event(next, size);
            socket.feed(&packet).await?;
            outstanding.insert(next, expected);
            next += 1;
        }
    }
    let pings = socket.pings();
    socket.close().await?;
    Ok(pings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_their_id_and_escaped_argument() {
        let (packet, ack) = event(7, 64);
        assert!(packet.starts_with("27[\"echo\",\"0000000007|"));
        assert!(packet.contains(r#"\"user\""#), "{packet}");
        assert_eq!(format!("27[\"echo\",{}", &ack[1..]), packet);
    }
}
