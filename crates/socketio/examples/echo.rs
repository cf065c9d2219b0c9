//! The Socket.IO echo server the interop tests drive. In `/` and `/custom`: on connection it
//! emits `auth` with the handshake's auth payload, answers `message` with `message-back` and
//! the same arguments (binary included), and acks `message-with-ack` with its arguments.
//! Engine.IO alone is served at `/engine.io/`, echoing as the `engineio_echo` example does.
//!
//! `cargo run --release --example echo -- --port 3000 --ping-interval 300 --ping-timeout 200
//! --max-payload 1000000 --connect-timeout 1000 --cors '*'`

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use duplex_engineio::{Config as EngineConfig, EngineIo};
use duplex_socketio::{AckSender, Data, RawArgs, RecoveryConfig, SocketRef};
use tower_layer::Layer;

#[path = "test_servers/flags.rs"]
mod flags;

#[derive(Parser, Debug)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    #[command(flatten)]
    server: flags::ServerFlags,
    /// Turn connection state recovery on.
    #[arg(long)]
    recovery: bool,
}

async fn on_connect(socket: SocketRef) {
    let auth: serde_json::Value = socket.handshake().auth().unwrap_or_default();
    let _ = socket.emit("auth", &auth);
    socket.on("message", |socket: SocketRef, args: RawArgs| async move {
        let _ = socket.emit_raw("message-back", &args);
    });
    socket.on(
        "message-with-ack",
        |args: RawArgs, ack: AckSender| async move {
            let _ = ack.send_raw(&args);
        },
    );
    socket.on(
        "join",
        |socket: SocketRef, Data(room): Data<String>, ack: AckSender| async move {
            socket.join(room);
            let _ = ack.send(&());
        },
    );
    socket.on(
        "to",
        |socket: SocketRef, Data((room, text)): Data<(String, String)>| async move {
            let _ = socket.to(room).emit("room-message", &text);
        },
    );
    let _ = socket.emit("recovered", &socket.recovered());
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let mut builder = args.server.builder()?;
    if args.recovery {
        builder = builder.connection_state_recovery(RecoveryConfig::default());
    }
    let io = builder.build();
    io.ns("/", on_connect);
    io.ns("/custom", on_connect);
    let engine_echo = EngineIo::new(
        EngineConfig::default()
            .ping_interval(Duration::from_millis(args.server.ping_interval))
            .ping_timeout(Duration::from_millis(args.server.ping_timeout))
            .max_http_buffer_size(args.server.max_payload),
        EngineEcho,
    );
    let service = io.layer().layer(engine_echo.service());
    let listener = duplex_engineio::bind(([127, 0, 0, 1], args.port).into())?;
    println!("LISTENING {}", listener.local_addr()?.port());
    duplex_engineio::serve_service(listener, service, std::future::pending()).await?;
    Ok(())
}

/// Engine.IO alone: every message straight back.
struct EngineEcho;

impl duplex_engineio::Handler for EngineEcho {
    fn on_message(&self, socket: &Arc<duplex_engineio::Socket>, message: duplex_engineio::Message) {
        let _ = socket.send(message);
    }
}
