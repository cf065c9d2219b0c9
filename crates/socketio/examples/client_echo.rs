//! The Socket.IO client as a load generator: emits `echo` with an ack `--count` times against
//! any server that acks `echo` with its arguments (ours — `bench_server`, `contract_server` —
//! or Node's), keeping `--in-flight` emits outstanding, checks every answer, and prints one
//! JSON line: `{"client":"duplex","acks":N,"seconds":S,"acks_per_s":R,"mismatches":M}`.
//! Exits non-zero on any mismatch, missing ack or failed connection.
//!
//! `cargo run --release --features client --example client_echo -- --url http://127.0.0.1:3000/ --count 10000`

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use duplex_socketio::client::{ClientBuilder, Transport};
use tokio::task::JoinSet;

#[derive(Parser, Debug)]
struct Args {
    /// The server: `http://host:port/` (a path of `/socket.io/` is taken as the Engine.IO
    /// path; any other path is the namespace).
    #[arg(long, default_value = "http://127.0.0.1:3000/")]
    url: String,
    /// Emits to make.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Emits awaiting their ack at any time.
    #[arg(long, default_value_t = 1)]
    in_flight: u64,
    #[arg(long, value_enum, default_value_t = Mode::Websocket)]
    transport: Mode,
    /// Length of the string argument.
    #[arg(long, default_value_t = 32)]
    payload_bytes: usize,
    /// The event to emit.
    #[arg(long, default_value = "echo")]
    event: String,
    /// How long one ack may take.
    #[arg(long, default_value_t = 10)]
    timeout_secs: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Mode {
    Polling,
    Websocket,
    Any,
}

impl Mode {
    fn transports(self) -> Vec<Transport> {
        match self {
            Mode::Polling => vec![Transport::Polling],
            Mode::Websocket => vec![Transport::WebSocket],
            Mode::Any => vec![Transport::Polling, Transport::WebSocket],
        }
    }
}

/// The string of emit `seq`: its number, padded to `len`, so an answer given to the wrong
/// emit shows.
fn payload(seq: u64, len: usize) -> String {
    let mut text = seq.to_string();
    while text.len() < len {
        text.push('x');
    }
    text
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let url = args.url.replacen("/socket.io/", "/", 1);
    let connecting = ClientBuilder::new(url)
        .transports(args.transports())
        .reconnection(false)
        .connect();
    let socket =
        match tokio::time::timeout(Duration::from_secs(args.timeout_secs), connecting).await {
            Ok(Ok(socket)) => socket,
            Ok(Err(error)) => {
                eprintln!("cannot connect: {error}");
                return ExitCode::from(2);
            }
            Err(_) => {
                eprintln!("cannot connect: timed out");
                return ExitCode::from(2);
            }
        };
    let timeout = Duration::from_secs(args.timeout_secs);
    let mut pending = JoinSet::new();
    let (mut sent, mut acked, mut mismatches, mut lost) = (0u64, 0u64, 0u64, 0u64);
    let started = Instant::now();
    let stall = tokio::time::sleep(timeout);
    tokio::pin!(stall);
    while acked + lost < args.count {
        while sent < args.count && sent - acked - lost < args.in_flight {
            let expected = payload(sent, args.payload_bytes);
            let ack = match socket.emit_with_ack::<String, _>(&args.event, &expected) {
                Ok(ack) => ack,
                Err(error) => {
                    eprintln!("emit failed: {error}");
                    return ExitCode::from(1);
                }
            };
            pending.spawn(async move { ack.await.map(|answer| answer == expected) });
            sent += 1;
        }
        // One watchdog for the whole run, pushed back on every answer (a timer per ack would
        // cost the runtime a wake-up each: measured, not what a client user pays for).
        let next = tokio::select! {
            next = pending.join_next() => next,
            () = &mut stall => {
                eprintln!("no ack within {timeout:?}");
                lost += args.count - acked - lost;
                break;
            }
        };
        stall.as_mut().reset(tokio::time::Instant::now() + timeout);
        match next {
            Some(Ok(Ok(true))) => acked += 1,
            Some(Ok(Ok(false))) => {
                acked += 1;
                mismatches += 1;
            }
            Some(Ok(Err(error))) => {
                eprintln!("ack failed: {error}");
                lost += 1;
            }
            Some(Err(error)) => {
                eprintln!("ack task failed: {error}");
                lost += 1;
            }
            None => break,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    socket.disconnect();
    println!(
        "{{\"client\":\"duplex\",\"acks\":{acked},\"seconds\":{seconds:.6},\"acks_per_s\":{:.1},\"mismatches\":{mismatches},\"lost\":{lost}}}",
        acked as f64 / seconds
    );
    if mismatches > 0 || lost > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

impl Args {
    fn transports(&self) -> Vec<Transport> {
        self.transport.transports()
    }
}
