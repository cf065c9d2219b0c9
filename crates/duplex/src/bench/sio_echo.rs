//! `duplex bench sio-echo`: Socket.IO event round trips with acks per second. C
//! clients (WebSocket) each keep K `echo` events in flight, every one asking for an
//! ack; the server acks with the same arguments. Every ack is checked: it answers the
//! event it was asked for, with exactly the event's argument.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use duplex_socketio::client::{Socket, Transport};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::Barrier;

use super::eio_client::{BenchError, payload, show};
use super::latency::Latencies;
use super::phase::{measured, ready};
use super::progress::{Goal, Progress};
use super::report::{CpuTime, Report, ReportArgs, Throughput};
use super::sio_connect::{Target, connect};

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
    #[command(flatten)]
    report: ReportArgs,
}

/// Runs the load and prints the result.
pub async fn run(args: SioEchoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let target = Target::parse(&args.url).map_err(|e| e.to_string())?;
    let clients = args.clients.max(1);
    // Everyone connected, then the script's go, then everyone starts.
    let connected = Arc::new(Barrier::new(clients + 1));
    let go = Arc::new(Barrier::new(clients + 1));
    let acks = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (target, connected, go, acks) =
            (target.clone(), connected.clone(), go.clone(), acks.clone());
        let (in_flight, size, duration) = (args.in_flight.max(1), args.size, args.duration);
        tasks.push(tokio::spawn(async move {
            let socket = connect(target.client("/", &[Transport::WebSocket])).await;
            connected.wait().await;
            go.wait().await;
            let deadline = Instant::now() + Duration::from_secs_f64(duration.max(0.0));
            let socket = socket?;
            let mut latencies = Latencies::new();
            let outcome = echo(&socket, in_flight, size, deadline, &acks, &mut latencies).await;
            Ok::<_, BenchError>((socket, outcome, latencies))
        }));
    }
    connected.wait().await;
    ready(args.sync).await?;
    let progress = Progress::start(
        args.report.progress,
        "sio-echo",
        Goal::Seconds(args.duration),
        acks.clone(),
        "acks",
    );
    let cpu = CpuTime::now();
    let started = Instant::now();
    go.wait().await;
    let mut failures = Vec::new();
    let mut sockets = Vec::with_capacity(clients);
    let mut latencies = Latencies::new();
    for task in tasks {
        match task.await {
            Ok(Ok((socket, outcome, mine))) => {
                sockets.push(socket);
                latencies.merge(&mine);
                if let Err(error) = outcome {
                    failures.push(error.to_string());
                }
            }
            Ok(Err(error)) => failures.push(error.to_string()),
            Err(error) => failures.push(error.to_string()),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();
    measured(args.sync)?;
    let cpu = CpuTime::used_since(cpu);
    for socket in sockets {
        socket.disconnect();
    }
    let acks = acks.load(Ordering::Relaxed);
    Report::new(
        "sio-echo",
        &args.url,
        &args.report,
        Throughput::new("acks", acks, seconds),
    )
    .field("clients", clients)
    .field("in_flight", args.in_flight)
    .field("size", args.size)
    .field("acks", acks)
    .field("seconds", seconds)
    .field("acks_per_sec", acks as f64 / seconds)
    .latencies(&latencies)
    .errors(failures.len() as u64)
    .cpu(cpu)
    .emit(&args.report)?;
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(format!("{} clients failed; first: {first}", failures.len()).into()),
    }
}

/// The argument of `echo` event `seq`, as it is sent, and as JSON: what its ack must carry.
fn argument(seq: u64, size: usize) -> (String, String) {
    let argument = payload(seq, size);
    let json = serde_json::Value::String(argument.clone()).to_string();
    (argument, json)
}

/// One client's load: `in_flight` events outstanding until `deadline`, then the last
/// answers awaited.
async fn echo(
    socket: &Socket,
    in_flight: u64,
    size: usize,
    deadline: Instant,
    acks: &AtomicU64,
    latencies: &mut Latencies,
) -> Result<(), BenchError> {
    let emit = |seq: u64| -> Result<_, BenchError> {
        let (argument, expected) = argument(seq, size);
        let since = Instant::now();
        let answer = socket.emit_with_ack::<(), _>("echo", &argument)?;
        Ok(async move { (seq, expected, answer.raw().await, since) })
    };
    let mut outstanding = FuturesUnordered::new();
    let mut next = 0;
    while next < in_flight {
        outstanding.push(emit(next)?);
        next += 1;
    }
    while let Some((seq, expected, answer, since)) = outstanding.next().await {
        latencies.record(since.elapsed());
        let answer = answer.map_err(|error| format!("ack {seq}: {error}"))?;
        if answer.json() != expected {
            return Err(format!(
                "ack {seq}: expected {}, got {}",
                show(expected.as_bytes()),
                show(answer.json().as_bytes())
            )
            .into());
        }
        acks.fetch_add(1, Ordering::Relaxed);
        if Instant::now() < deadline {
            outstanding.push(emit(next)?);
            next += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_carry_their_number_and_their_json_escapes() {
        let (argument, json) = argument(7, 64);
        assert!(argument.starts_with("0000000007|"));
        assert_eq!(argument.len(), 64);
        assert!(json.contains(r#"\"user\""#), "{json}");
        assert_eq!(serde_json::from_str::<String>(&json).ok(), Some(argument));
    }
}
