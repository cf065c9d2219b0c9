//! Socket.IO client round trips with `rust_socketio` (async API): emits `echo` with one
//! string argument N times, each asking for an ack, K acks outstanding at most, checks every
//! ack carries its string back, and prints one JSON line with the ack rate.
//!
//! Written as rust_socketio's docs show an async client: `asynchronous::ClientBuilder`,
//! callbacks as boxed futures, `emit_with_ack(event, payload, timeout, callback)`, under
//! `#[tokio::main]`-style multi-thread runtime (`--runtime current-thread` to compare on one
//! thread). The library calls an ack callback only when the ack arrives in time and never on
//! expiry, so every callback reports through a channel and the wait for it is bounded here.
//!
//! Each payload is its sequence number padded with `x` to `--payload-bytes` characters, so
//! an ack delivered to the wrong callback counts as a mismatch. rust_socketio 0.6 draws ack
//! ids at random from 0..999: with several acks outstanding two can share an id, both
//! callbacks then get the first ack's arguments, and removing the two entries by index can
//! panic its reader task; any panic ends this process with status 101.
//!
//! `rust_socketio_echo --url http://127.0.0.1:3000/ --count 10000 --in-flight 1`

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use futures_util::FutureExt;
use rust_socketio::asynchronous::{Client, ClientBuilder};
use rust_socketio::{Event, Payload, TransportType};
use serde_json::{Value, json};
use tokio::sync::mpsc;

#[derive(Debug, Parser)]
struct Args {
    /// Server address; `/` becomes rust_socketio's default path `/socket.io/`.
    #[arg(long)]
    url: String,
    /// Round trips (emits with ack) to make.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Emits with an ack outstanding at once (1: strictly sequential round trips).
    #[arg(long, default_value_t = 1)]
    in_flight: u64,
    /// Engine.IO transport.
    #[arg(long, value_enum, default_value_t = Transport::Websocket)]
    transport: Transport,
    /// Characters in each emitted string (more if its sequence number is longer).
    #[arg(long, default_value_t = 32)]
    payload_bytes: usize,
    /// Event the server acks with its arguments.
    #[arg(long, default_value = "echo")]
    event: String,
    /// Seconds to wait for the connection and for each next ack before failing.
    #[arg(long, default_value_t = 10)]
    timeout_secs: u64,
    /// Tokio runtime flavour.
    #[arg(long, value_enum, default_value_t = Runtime::MultiThread)]
    runtime: Runtime,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Transport {
    /// WebSocket from the start.
    Websocket,
    /// HTTP long-polling only.
    Polling,
    /// rust_socketio's `TransportType::Any`: polling, upgraded to WebSocket when offered.
    Any,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Runtime {
    /// What `#[tokio::main]` gives (one worker per core left by `taskset`).
    MultiThread,
    /// One thread for everything.
    CurrentThread,
}

/// What a run counted.
struct Outcome {
    acks: u64,
    mismatches: u64,
    seconds: f64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // A panic in rust_socketio's reader task (it has one when two outstanding acks share an
    // id) would otherwise leave the run waiting for acks that can no longer come.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        std::process::exit(101);
    }));
    let runtime = match args.runtime {
        Runtime::MultiThread => tokio::runtime::Builder::new_multi_thread(),
        Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread(),
    }
    .enable_all()
    .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(run(&args)),
        Err(e) => Err(format!("runtime: {e}")),
    };
    match result {
        Ok(outcome) => {
            let line = json!({
                "client": "rust_socketio",
                "acks": outcome.acks,
                "seconds": outcome.seconds,
                "acks_per_s": outcome.acks as f64 / outcome.seconds,
                "mismatches": outcome.mismatches,
            });
            println!("{line}");
            if outcome.mismatches == 0 {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "rust_socketio_echo: {} acks carried another string",
                    outcome.mismatches
                );
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("rust_socketio_echo: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<Outcome, String> {
    let timeout = Duration::from_secs(args.timeout_secs);
    let (connected_tx, mut connected) = mpsc::unbounded_channel::<()>();
    let transport = match args.transport {
        Transport::Websocket => TransportType::Websocket,
        Transport::Polling => TransportType::Polling,
        Transport::Any => TransportType::Any,
    };
    let client = ClientBuilder::new(args.url.as_str())
        .transport_type(transport)
        .on(Event::Connect, move |_, _| {
            let connected_tx = connected_tx.clone();
            async move {
                let _ = connected_tx.send(());
            }
            .boxed()
        })
        .connect()
        .await
        .map_err(|e| format!("connect: {e}"))?;
    // `connect` returns once CONNECT is sent; the server's answer fires `Event::Connect`.
    tokio::time::timeout(timeout, connected.recv())
        .await
        .ok()
        .flatten()
        .ok_or("no CONNECT answer from the server")?;

    let (acks_tx, mut acks) = mpsc::unbounded_channel::<bool>();
    let start = Instant::now();
    let mut sent = 0;
    while sent < args.count.min(args.in_flight.max(1)) {
        emit(&client, args, sent, timeout, &acks_tx).await?;
        sent += 1;
    }
    let (mut received, mut mismatches) = (0, 0);
    while received < args.count {
        let matched = tokio::time::timeout(timeout, acks.recv())
            .await
            .ok()
            .flatten()
            .ok_or_else(|| format!("no ack within {timeout:?}: {received} of {sent} sent acked"))?;
        received += 1;
        if !matched {
            mismatches += 1;
        }
        if sent < args.count {
            emit(&client, args, sent, timeout, &acks_tx).await?;
            sent += 1;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let _ = client.disconnect().await;
    Ok(Outcome {
        acks: received,
        mismatches,
        seconds,
    })
}

/// Emits round trip `seq`; its callback reports whether the ack carried the same string.
async fn emit(
    client: &Client,
    args: &Args,
    seq: u64,
    timeout: Duration,
    acks: &mpsc::UnboundedSender<bool>,
) -> Result<(), String> {
    let text = format!("{seq:x<width$}", width = args.payload_bytes);
    let payload = Payload::Text(vec![Value::String(text.clone())]);
    let acks = acks.clone();
    let callback = move |answer: Payload, _: Client| {
        let _ = acks.send(carries(&answer, &text));
        async {}.boxed()
    };
    client
        .emit_with_ack(args.event.as_str(), payload, timeout, callback)
        .await
        .map_err(|e| format!("emit {seq}: {e}"))
}

/// Whether an ack's arguments are exactly the one string `expected`.
fn carries(answer: &Payload, expected: &str) -> bool {
    let Payload::Text(values) = answer else {
        return false;
    };
    // rust_socketio 0.6 hands an ack's argument array over as one JSON array value.
    let args = match values.as_slice() {
        [Value::Array(inner)] => inner.as_slice(),
        other => other,
    };
    matches!(args, [Value::String(s)] if s == expected)
}
