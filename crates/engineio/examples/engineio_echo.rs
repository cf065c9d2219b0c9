//! Engine.IO alone at `/engine.io/`, sending every message (text or binary) straight back.
//! The interop tests and the benchmarks run it; Node's twin is `interop/eio_echo_server.mjs`.
//!
//! `cargo run --release --example engineio_echo -- --port 3000 --ping-interval 300
//! --ping-timeout 200 --max-payload 1000000 --cors '*'`
//!
//! Prints `LISTENING <port>` once bound; SIGINT/SIGTERM shut it down gracefully.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use duplex_engineio::{Config, Cors, EngineIo, Handler, Message, Socket, Transport};

#[derive(Parser, Debug)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Milliseconds between pings.
    #[arg(long, default_value_t = 25_000)]
    ping_interval: u64,
    /// Milliseconds to wait for a pong.
    #[arg(long, default_value_t = 20_000)]
    ping_timeout: u64,
    /// Largest message / polling body in bytes.
    #[arg(long, default_value_t = 1_000_000)]
    max_payload: usize,
    /// Allowed origins: `*`, or a comma-separated list. No CORS headers when absent.
    #[arg(long)]
    cors: Option<String>,
    /// Enabled transports, comma-separated.
    #[arg(long, default_value = "polling,websocket")]
    transports: String,
    /// Accept Engine.IO v3 clients too.
    #[arg(long)]
    allow_eio3: bool,
    /// Negotiate permessage-deflate on WebSocket.
    #[arg(long)]
    per_message_deflate: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

struct Echo;

impl Handler for Echo {
    fn on_message(&self, socket: &Arc<Socket>, message: Message) {
        // A full queue means the client does not read: dropping its echo is its problem.
        let _ = socket.send(message);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads);
    }
    runtime.enable_all().build()?.block_on(run(args))
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let transports: Vec<Transport> = args
        .transports
        .split(',')
        .map(|t| Transport::from_query(t.trim()).ok_or(format!("unknown transport {t:?}")))
        .collect::<Result<_, _>>()?;
    let mut config = Config::default()
        .ping_interval(Duration::from_millis(args.ping_interval))
        .ping_timeout(Duration::from_millis(args.ping_timeout))
        .max_http_buffer_size(args.max_payload)
        .transports(transports)
        .allow_eio3(args.allow_eio3)
        .per_message_deflate(args.per_message_deflate);
    match args.cors.as_deref() {
        None => {}
        Some("*") => config = config.cors(Cors::any()),
        Some(list) => config = config.cors(Cors::origins(list.split(','))),
    }
    let ip: std::net::IpAddr = args.host.parse()?;
    let listener = duplex_engineio::bind(std::net::SocketAddr::new(ip, args.port))?;
    println!("LISTENING {}", listener.local_addr()?.port());
    let engine = EngineIo::new(config, Echo);
    duplex_engineio::serve_with_shutdown(listener, engine, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
