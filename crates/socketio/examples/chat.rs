//! A chat server with nicknames and rooms: the per-socket state a chat needs, rooms joined
//! and left on request, and messages broadcast to the other members of a room.
//!
//! Run it with `cargo run --example chat -- --port 3000`, then from a socket.io client:
//!
//! ```js
//! const socket = io("http://127.0.0.1:3000");
//! await socket.emitWithAck("set nickname", "ada");        // {ok: true, nickname: "ada"}
//! await socket.emitWithAck("join", "lobby");              // {ok: true, room: "lobby", members: 1}
//! socket.on("message", ({ room, nickname, text }) => console.log(`${room} <${nickname}> ${text}`));
//! socket.on("user joined", ({ room, nickname }) => console.log(`${nickname} joined ${room}`));
//! socket.emit("message", { room: "lobby", text: "hello" });
//! ```
//!
//! Events, client to server (each ack is `{ok: true, ...}` or `{ok: false, error}`):
//! - `set nickname` name: 1 to 32 characters; needed before joining a room.
//! - `join` room: the room's other members get `user joined` `{room, nickname}`.
//! - `leave` room: the room's other members get `user left` `{room, nickname}`, as they do
//!   for each room of a client that disconnects.
//! - `message` `{room, text}`: the room's other members get `message` `{room, nickname,
//!   text}`; only members may write to a room.

use clap::Parser;
use duplex_socketio::{AckSender, Data, DisconnectReason, SocketIo, SocketRef};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Parser, Debug)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 3000)]
    port: u16,
}

/// The socket's nickname, kept in its extensions.
#[derive(Clone)]
struct Nickname(String);

/// Longest nickname, in characters.
const MAX_NICKNAME: usize = 32;

#[derive(Deserialize)]
struct Outgoing {
    room: String,
    text: String,
}

#[derive(Serialize)]
struct Incoming<'a> {
    room: &'a str,
    nickname: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct Notice<'a> {
    room: &'a str,
    nickname: &'a str,
}

fn refuse(ack: AckSender, error: &str) {
    let _ = ack.send(&json!({ "ok": false, "error": error }));
}

fn nickname(socket: &SocketRef) -> Option<String> {
    socket.extensions.get::<Nickname>().map(|n| n.0)
}

/// Whether the socket is in `room` (a member may write to it and leave it).
fn is_member(socket: &SocketRef, room: &str) -> bool {
    socket.rooms().iter().any(|r| r == room)
}

async fn on_connect(socket: SocketRef) {
    socket.on(
        "set nickname",
        |socket: SocketRef, Data(name): Data<String>, ack: AckSender| async move {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > MAX_NICKNAME {
                return refuse(ack, "a nickname has 1 to 32 characters");
            }
            socket.extensions.insert(Nickname(name.to_owned()));
            let _ = ack.send(&json!({ "ok": true, "nickname": name }));
        },
    );

    socket.on(
        "join",
        |socket: SocketRef, Data(room): Data<String>, ack: AckSender| async move {
            let Some(nickname) = nickname(&socket) else {
                return refuse(ack, "set a nickname first");
            };
            // Each socket's id is a room of its own: joining someone's would read their mail.
            let present = socket.namespace().to(&room).sockets();
            if room.is_empty() || present.iter().any(|s| s.id().as_str() == room) {
                return refuse(ack, "no such room");
            }
            socket.join(&room);
            let notice = Notice {
                room: &room,
                nickname: &nickname,
            };
            let _ = socket.to(&room).emit("user joined", &notice);
            let members = socket.namespace().to(&room).sockets().len();
            let _ = ack.send(&json!({ "ok": true, "room": room, "members": members }));
        },
    );

    socket.on(
        "leave",
        |socket: SocketRef, Data(room): Data<String>, ack: AckSender| async move {
            if !is_member(&socket, &room) || room == socket.id().as_str() {
                return refuse(ack, "not in that room");
            }
            socket.leave(&room);
            let nickname = nickname(&socket).unwrap_or_default();
            let notice = Notice {
                room: &room,
                nickname: &nickname,
            };
            let _ = socket.to(&room).emit("user left", &notice);
            let _ = ack.send(&json!({ "ok": true, "room": room }));
        },
    );

    // The ack is optional: `AckSender::send` does nothing when the client asked for none.
    socket.on(
        "message",
        |socket: SocketRef, Data(message): Data<Outgoing>, ack: AckSender| async move {
            let member = is_member(&socket, &message.room);
            let Some(nickname) = nickname(&socket).filter(|_| member) else {
                return refuse(ack, "join the room first");
            };
            let incoming = Incoming {
                room: &message.room,
                nickname: &nickname,
                text: &message.text,
            };
            let _ = socket.to(&message.room).emit("message", &incoming);
            let _ = ack.send(&json!({ "ok": true }));
        },
    );

    // While disconnecting the socket is still in its rooms: tell each of them.
    socket.on_disconnecting(|socket: SocketRef, _reason: DisconnectReason| async move {
        let Some(nickname) = nickname(&socket) else {
            return;
        };
        let own = socket.id().to_string();
        for room in socket.rooms().into_iter().filter(|r| *r != own) {
            let notice = Notice {
                room: &room,
                nickname: &nickname,
            };
            let _ = socket.to(room.clone()).emit("user left", &notice);
        }
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
    io.ns("/", on_connect);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    duplex_socketio::serve(listener, io).await?;
    Ok(())
}
