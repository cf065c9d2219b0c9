//! Socket.IO inside an axum app: the tower layer answers `/socket.io/` and passes every other
//! request to the router, whose handlers reach the sockets through the [`SocketIo`] handle
//! (it is cheap to clone, so it serves as axum state).
//!
//! Run it with `cargo run --example axum -- --port 3000`, then:
//!
//! ```sh
//! curl http://127.0.0.1:3000/             # text from axum
//! curl http://127.0.0.1:3000/health       # {"status":"ok","sockets":0}
//! curl -d 'lunch!' http://127.0.0.1:3000/announce    # every socket gets `announcement`
//! ```
//!
//! and from a socket.io client:
//!
//! ```js
//! const socket = io("http://127.0.0.1:3000");
//! socket.on("announcement", (text) => console.log(text));
//! await socket.emitWithAck("hello", "ada");    // "hello ada, from axum"
//! ```

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use clap::Parser;
use duplex_socketio::{AckSender, Data, SocketIo, SocketRef};
use serde_json::json;

#[derive(Parser, Debug)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 3000)]
    port: u16,
}

async fn index() -> &'static str {
    "duplex-socketio inside axum: Socket.IO at /socket.io/, try GET /health\n"
}

/// The sockets connected to `/` right now.
async fn health(State(io): State<SocketIo>) -> impl IntoResponse {
    let sockets = io.of("/").map_or(0, |root| root.sockets().len());
    let body = json!({ "status": "ok", "sockets": sockets }).to_string();
    ([(header::CONTENT_TYPE, "application/json")], body)
}

/// Sends the request body to every socket of `/`.
async fn announce(State(io): State<SocketIo>, text: String) -> impl IntoResponse {
    match io.emit("announcement", &text) {
        Ok(()) => (StatusCode::ACCEPTED, "announced\n"),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "not announced\n"),
    }
}

async fn on_connect(socket: SocketRef) {
    socket.on(
        "hello",
        |Data(name): Data<String>, ack: AckSender| async move {
            let _ = ack.send(&format!("hello {name}, from axum"));
        },
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let io = SocketIo::builder().build();
    io.ns("/", on_connect);
    let app = Router::new()
        .route("/", get(index))
        .route("/health", get(health))
        .route("/announce", post(announce))
        .with_state(io.clone())
        .layer(io.layer());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    axum::serve(listener, app).await?;
    Ok(())
}
