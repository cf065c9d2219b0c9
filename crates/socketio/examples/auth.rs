//! Authentication with a namespace middleware: the client sends a token in its handshake's
//! auth payload, the middleware checks it before the client joins, and refuses it with a
//! message and data the client sees as a `connect_error`. An accepted client's user name is
//! kept with its socket for the handlers.
//!
//! Run it with `cargo run --example auth -- --port 3000`, then from a socket.io client:
//!
//! ```js
//! const socket = io("http://127.0.0.1:3000", { auth: { token: "alice-token" } });
//! socket.on("welcome", ({ user }) => console.log(`signed in as ${user}`));
//! socket.on("connect_error", (err) => console.log(err.message, err.data));
//! //   without a token: "missing token" {code: "NO_TOKEN"}
//! //   a wrong one:     "invalid token" {code: "BAD_TOKEN"}
//! await socket.emitWithAck("whoami");                    // "alice"
//! ```
//!
//! Tokens (a real server would ask its session store): `alice-token` for `alice`,
//! `bob-token` for `bob`. An auth payload whose `token` is not a string is refused as
//! `malformed auth payload` `{code: "BAD_AUTH", detail}`.

use clap::Parser;
use duplex_socketio::{AckSender, ConnectError, SocketIo, SocketRef};
use serde::Deserialize;
use serde_json::json;

#[derive(Parser, Debug)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 3000)]
    port: u16,
}

const USERS: [(&str, &str); 2] = [("alice-token", "alice"), ("bob-token", "bob")];

/// What the client sends as `io(url, { auth })`.
#[derive(Deserialize)]
struct Auth {
    token: Option<String>,
}

/// The signed-in user, kept in the socket's extensions.
#[derive(Clone)]
struct User(String);

/// Runs before the socket joins `/`: an `Err` refuses it, and the connection handler never
/// runs.
async fn authenticate(socket: SocketRef) -> Result<(), ConnectError> {
    let auth: Auth = socket.handshake().auth().map_err(|e| {
        ConnectError::new("malformed auth payload")
            .with_data(json!({ "code": "BAD_AUTH", "detail": e.to_string() }))
    })?;
    let token = auth.token.ok_or_else(|| {
        ConnectError::new("missing token").with_data(json!({ "code": "NO_TOKEN" }))
    })?;
    let (_, name) = USERS
        .iter()
        .find(|(known, _)| *known == token)
        .ok_or_else(|| {
            ConnectError::new("invalid token").with_data(json!({ "code": "BAD_TOKEN" }))
        })?;
    socket.extensions.insert(User((*name).to_owned()));
    Ok(())
}

async fn on_connect(socket: SocketRef) {
    let Some(User(user)) = socket.extensions.get::<User>() else {
        return;
    };
    tracing::info!(sid = %socket.id(), %user, "signed in");
    let _ = socket.emit("welcome", &json!({ "user": user }));
    socket.on("whoami", |socket: SocketRef, ack: AckSender| async move {
        let user = socket.extensions.get::<User>().map(|User(name)| name);
        let _ = ack.send(&user);
    });
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let io = SocketIo::builder().build();
    io.ns("/", on_connect).use_middleware(authenticate);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    duplex_socketio::serve(listener, io).await?;
    Ok(())
}
