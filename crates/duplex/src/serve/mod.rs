//! `duplex serve`: the demo chat's Socket.IO server ([`chat`]), with its options from flags
//! or the environment, and a graceful shutdown on SIGINT or SIGTERM (clients get a clean
//! close and reconnect elsewhere).

mod chat;

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use duplex_socketio::{Cors, SocketIo, Transport};

/// Options of `duplex serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port, printed as `LISTENING <port>`).
    #[arg(long, env = "DUPLEX_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Origins allowed by CORS, comma-separated, or `*`; none by default (same origin only).
    #[arg(long, env = "DUPLEX_CORS", value_delimiter = ',')]
    pub cors: Vec<String>,
    /// Milliseconds between the server's pings.
    #[arg(long, env = "DUPLEX_PING_INTERVAL", default_value_t = 25_000)]
    pub ping_interval: u64,
    /// Milliseconds a client has to answer a ping.
    #[arg(long, env = "DUPLEX_PING_TIMEOUT", default_value_t = 20_000)]
    pub ping_timeout: u64,
    /// Transports offered: `polling`, `websocket`, or both (comma-separated).
    #[arg(
        long,
        env = "DUPLEX_TRANSPORTS",
        value_delimiter = ',',
        default_value = "polling,websocket"
    )]
    pub transports: Vec<String>,
    /// Entries of each room's history kept for late joiners.
    #[arg(long, env = "DUPLEX_HISTORY", default_value_t = 50)]
    pub history: usize,
}

impl ServeArgs {
    fn socket_io(&self) -> Result<SocketIo, String> {
        let mut transports = Vec::new();
        for name in &self.transports {
            transports.push(match name.trim() {
                "polling" => Transport::Polling,
                "websocket" => Transport::Websocket,
                other => return Err(format!("unknown transport {other:?}")),
            });
        }
        let mut builder = SocketIo::builder()
            .ping_interval(Duration::from_millis(self.ping_interval))
            .ping_timeout(Duration::from_millis(self.ping_timeout))
            .transports(transports)
            // An image and its packet framing.
            .max_http_buffer_size(chat::MAX_IMAGE + 64 * 1024);
        if !self.cors.is_empty() {
            builder = builder.cors(cors(&self.cors));
        }
        Ok(builder.build())
    }
}

fn cors(origins: &[String]) -> Cors {
    if origins.iter().any(|o| o == "*") {
        Cors::any()
    } else {
        Cors::origins(origins.iter().cloned())
    }
}

/// Runs the chat server until SIGINT or SIGTERM.
pub async fn run(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let io = args.socket_io()?;
    chat::Chat::new(args.history).mount(&io);
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let local = listener.local_addr()?;
    println!("LISTENING {}", local.port());
    tracing::info!(addr = %local, "duplex serve: the chat is at http://{local}/");
    duplex_socketio::serve_with_shutdown(listener, io, shutdown_signal()).await?;
    tracing::info!("duplex serve: shut down");
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
