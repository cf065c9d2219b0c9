//! `duplex bench eio-echo`: message packets per second through one Engine.IO
//! transport against an echo server. Each session keeps up to K packets in flight
//! until it has had N echoes; every echo is checked (content and order), server
//! pings are answered.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use duplex_ws::Message;

use super::eio_client::{
    BenchError, EioSocket, Endpoint, HttpConn, SEPARATOR, open_polling_session,
    open_websocket_session, payload, recv_packet, show, split_payload,
};
use super::latency::Latencies;
use super::progress::{Goal, Progress};
use super::report::{CpuTime, Report, ReportArgs, Throughput};

/// The transport the packets travel through.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoMode {
    /// A WebSocket-only session: one text frame per packet.
    Websocket,
    /// A long-polling session: packets POSTed in batches, echoes collected by GETs.
    Polling,
}

/// Options of `duplex bench eio-echo`.
#[derive(clap::Args, Debug)]
pub struct EioEchoArgs {
    /// The Engine.IO endpoint.
    #[arg(long, default_value = "http://127.0.0.1:3000/engine.io/")]
    url: String,
    /// The transport.
    #[arg(long, value_enum, default_value_t = EchoMode::Websocket)]
    mode: EchoMode,
    /// Concurrent sessions.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Echoes per session.
    #[arg(long, default_value_t = 10_000)]
    messages: u64,
    /// Packets in flight per session (over polling: packets per POST).
    #[arg(long, default_value_t = 16)]
    in_flight: u64,
    /// Payload bytes per message (text).
    #[arg(long, default_value_t = 16)]
    size: usize,
    /// Stop sending after this many seconds even if `--messages` are not all sent
    /// (the echoes in flight are still awaited), so servers of very different speed
    /// are measured over the same time.
    #[arg(long)]
    duration: Option<f64>,
    #[command(flatten)]
    report: ReportArgs,
}

/// What one session does, shared by all.
struct Plan {
    endpoint: Endpoint,
    messages: u64,
    in_flight: u64,
    size: usize,
    deadline: Option<Instant>,
}

impl Plan {
    /// Whether message `seq` is still to be sent.
    fn sends(&self, seq: u64) -> bool {
        seq < self.messages
            && self
                .deadline
                .is_none_or(|deadline| Instant::now() < deadline)
    }
}

/// Runs the load and prints the result.
pub async fn run(args: EioEchoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let plan = Arc::new(Plan {
        endpoint: Endpoint::parse(&args.url).map_err(|e| e.to_string())?,
        messages: args.messages,
        in_flight: args.in_flight.max(1),
        size: args.size,
        deadline: args
            .duration
            .map(|seconds| Instant::now() + Duration::from_secs_f64(seconds.max(0.0))),
    });
    let echoes = Arc::new(AtomicU64::new(0));
    let pings = Arc::new(AtomicU64::new(0));
    let goal = match args.duration {
        Some(seconds) => Goal::Seconds(seconds),
        None => Goal::Count(args.messages.saturating_mul(args.connections as u64)),
    };
    let progress = Progress::start(
        args.report.progress,
        "eio-echo",
        goal,
        echoes.clone(),
        "echoes",
    );
    let cpu = CpuTime::now();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let (plan, echoes, pings) = (plan.clone(), echoes.clone(), pings.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Latencies::new();
            let outcome = match args.mode {
                EchoMode::Websocket => websocket(&plan, &echoes, &pings, &mut latencies).await,
                EchoMode::Polling => polling(&plan, &echoes, &pings, &mut latencies).await,
            };
            (latencies, outcome)
        }));
    }
    let mut failures = Vec::new();
    let mut latencies = Latencies::new();
    for task in tasks {
        match task.await {
            Ok((mine, outcome)) => {
                latencies.merge(&mine);
                if let Err(error) = outcome {
                    failures.push(error.to_string());
                }
            }
            Err(error) => failures.push(error.to_string()),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = CpuTime::used_since(cpu);
    progress.finish();
    let echoes = echoes.load(Ordering::Relaxed);
    let pings = pings.load(Ordering::Relaxed);
    let mode = match args.mode {
        EchoMode::Websocket => "websocket",
        EchoMode::Polling => "polling",
    };
    Report::new(
        "eio-echo",
        &args.url,
        &args.report,
        Throughput::new("echoes", echoes, seconds),
    )
    .field("mode", mode)
    .field("connections", args.connections)
    .field("size", args.size)
    .field("in_flight", plan.in_flight)
    .field("messages", echoes)
    .field("pings", pings)
    .field("seconds", seconds)
    .field("messages_per_sec", echoes as f64 / seconds)
    .latencies(&latencies)
    .errors(failures.len() as u64)
    .cpu(cpu)
    .emit(&args.report)?;
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(format!("{} sessions failed; first: {first}", failures.len()).into()),
    }
}

/// The message packet (`4` + text) of message `seq`.
fn message_packet(seq: u64, size: usize) -> String {
    format!("4{}", payload(seq, size))
}

/// Checks that `packet` is the echo of message `seq`.
fn check_echo(packet: &[u8], seq: u64, size: usize) -> Result<(), BenchError> {
    let expected = message_packet(seq, size);
    if packet != expected.as_bytes() {
        return Err(format!(
            "echo {seq}: expected {}, got {}",
            show(expected.as_bytes()),
            show(packet)
        )
        .into());
    }
    Ok(())
}

async fn websocket(
    plan: &Plan,
    echoes: &AtomicU64,
    pings: &AtomicU64,
    latencies: &mut Latencies,
) -> Result<(), BenchError> {
    let (mut socket, _) = open_websocket_session(&plan.endpoint, plan.size * 2 + 1024).await?;
    // Echoes come in order (checked): the oldest send time is the next echo's.
    let mut sent_at = VecDeque::new();
    let mut sent = 0;
    while sent < plan.in_flight && plan.sends(sent) {
        sent_at.push_back(Instant::now());
        socket
            .feed(Message::text(message_packet(sent, plan.size)))
            .await?;
        sent += 1;
    }
    socket.flush().await?;
    let mut received = 0;
    while received < sent {
        let packet = recv_packet(&mut socket).await?;
        match packet.first() {
            Some(b'4') => {
                check_echo(&packet, received, plan.size)?;
                if let Some(since) = sent_at.pop_front() {
                    latencies.record(since.elapsed());
                }
                received += 1;
                echoes.fetch_add(1, Ordering::Relaxed);
                // Queued, not flushed: the next pending `recv` sends the batch.
                if plan.sends(sent) {
                    sent_at.push_back(Instant::now());
                    socket
                        .feed(Message::text(message_packet(sent, plan.size)))
                        .await?;
                    sent += 1;
                }
            }
            Some(b'2') if packet.len() == 1 => {
                pong(&mut socket).await?;
                pings.fetch_add(1, Ordering::Relaxed);
            }
            _ => return Err(format!("expected a message or ping, got {}", show(&packet)).into()),
        }
    }
    socket.close(None).await?;
    Ok(())
}

async fn pong(socket: &mut EioSocket) -> Result<(), BenchError> {
    socket.feed(Message::text("3")).await?;
    Ok(())
}

/// Polling: a POST connection sends each batch while a GET connection collects
/// its echoes (as a browser's two requests in flight would).
async fn polling(
    plan: &Plan,
    echoes: &AtomicU64,
    pings: &AtomicU64,
    latencies: &mut Latencies,
) -> Result<(), BenchError> {
    let (mut gets, open) = open_polling_session(&plan.endpoint).await?;
    let target = plan.endpoint.polling_target(Some(&open.sid));
    let mut posts = HttpConn::open(&plan.endpoint).await?;
    let mut next = 0;
    while plan.sends(next) {
        let batch = plan.in_flight.min(plan.messages - next);
        let mut body = BytesMut::new();
        for seq in next..next + batch {
            if seq > next {
                body.put_u8(SEPARATOR);
            }
            body.put_slice(message_packet(seq, plan.size).as_bytes());
        }
        // A batch's echoes are timed from the start of its POST.
        let since = Instant::now();
        let sent = posts.post(&target, body.freeze());
        let batch_of = Batch {
            first: next,
            count: batch,
            size: plan.size,
            since,
        };
        let collected = collect(&mut gets, &target, &batch_of, echoes, latencies);
        let (sent, collected) = tokio::join!(sent, collected);
        sent?;
        let ping_count = collected?;
        if ping_count > 0 {
            let pongs = vec![b"3"[..].to_vec(); ping_count as usize].join(&[SEPARATOR][..]);
            posts.post(&target, Bytes::from(pongs)).await?;
            pings.fetch_add(ping_count, Ordering::Relaxed);
        }
        next += batch;
    }
    posts.post(&target, Bytes::from_static(b"1")).await?;
    Ok(())
}

/// Messages `first..first + count` of `size` bytes, POSTed at `since`.
struct Batch {
    first: u64,
    count: u64,
    size: usize,
    since: Instant,
}

/// Long-polls until the echoes of `batch` are in; returns how many pings came along
/// (answered by the caller).
async fn collect(
    conn: &mut HttpConn,
    target: &str,
    batch: &Batch,
    echoes: &AtomicU64,
    latencies: &mut Latencies,
) -> Result<u64, BenchError> {
    let Batch {
        first,
        count,
        size,
        since,
    } = *batch;
    let (mut seq, mut pings) = (first, 0);
    while seq < first + count {
        let body = conn.get(target).await?;
        for packet in split_payload(&body) {
            match packet.first() {
                Some(b'4') if seq < first + count => {
                    check_echo(packet, seq, size)?;
                    latencies.record(since.elapsed());
                    seq += 1;
                    echoes.fetch_add(1, Ordering::Relaxed);
                }
                Some(b'2') if packet.len() == 1 => pings += 1,
                _ => {
                    return Err(format!(
                        "GET {target}: expected echoes {seq}..{}, got {}",
                        first + count,
                        show(packet)
                    )
                    .into());
                }
            }
        }
    }
    Ok(pings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_check_catches_order_and_content() {
        let packet = message_packet(5, 32);
        assert!(check_echo(packet.as_bytes(), 5, 32).is_ok());
        assert!(check_echo(packet.as_bytes(), 6, 32).is_err());
        assert!(check_echo(&packet.as_bytes()[1..], 5, 32).is_err());
        assert!(check_echo(b"4", 5, 32).is_err());
    }
}
