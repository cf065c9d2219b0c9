//! The Socket.IO server of the comparison tests: the behaviour contract of
//! `interop/sio_server.mjs` (the reference on Node's socket.io; `interop/README.md`, "Socket.IO
//! server contract"), on duplex-socketio. `interop/sio_compare.mjs --ours "..."` runs the same
//! client scenarios against both and diffs what the clients saw.
//!
//! `cargo run --example contract_server --features msgpack -- --port 0`

use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use duplex_socketio::{
    AckSender, ConnectError, Data, DisconnectReason, Event, RawArgs, RecoveryConfig, SocketIo,
    SocketRef, Transport, Value as SioValue,
};
use serde::Deserialize;
use serde_json::{Value, json};

#[path = "test_servers/flags.rs"]
mod flags;

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[command(flatten)]
    server: flags::ServerFlags,
    #[arg(long)]
    recovery: bool,
    #[arg(long, default_value_t = 2_000)]
    max_disconnection_duration: u64,
    #[arg(long, default_value = "polling,websocket")]
    transports: String,
    #[arg(long)]
    quiet: bool,
}

/// A room or a list of rooms.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Rooms {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Rooms {
    fn list(self) -> Vec<String> {
        match self {
            Rooms::None => Vec::new(),
            Rooms::One(r) => vec![r],
            Rooms::Many(rs) => rs,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Spec {
    from: Option<String>,
    to: Option<Rooms>,
    except: Option<Rooms>,
    broadcast: bool,
    volatile: bool,
    local: bool,
    compress: Option<bool>,
    timeout: Option<u64>,
    event: String,
    args: Vec<SioValue>,
    rooms: Rooms,
    close: bool,
}

#[derive(serde::Serialize)]
struct Report {
    timed_out: bool,
    responses: Vec<SioValue>,
}

/// What each socket remembers: its last two events in and its last event out.
#[derive(Default)]
struct Memory {
    last: Option<String>,
    previous: Option<String>,
    outgoing: Option<String>,
    disconnecting_rooms: Vec<String>,
}

/// Reads one memory back, for the events that ask for it (`last-event`, `last-outgoing`).
type Recall = fn(&Memory) -> Option<String>;

fn sorted_rooms(socket: &SocketRef) -> Vec<String> {
    let mut rooms: Vec<String> = socket.rooms().into_iter().map(|r| r.into_owned()).collect();
    rooms.sort();
    rooms
}

/// The operators a spec names: from this socket (or its broadcast), its namespace, `/`, or the
/// parent of a dynamic namespace; then `to` and `except`.
fn target(
    io: &SocketIo,
    socket: &SocketRef,
    spec: &mut Spec,
) -> duplex_socketio::BroadcastOperators {
    let mut op = match spec.from.as_deref() {
        Some("io") => io.of("/").unwrap_or_else(|| socket.namespace()),
        Some("parent") => socket.parent_namespace(),
        Some("socket") if spec.broadcast => socket.broadcast(),
        Some("socket") => {
            // `socket.to(...)` / `socket.except(...)` leave the sender out, as in Node; a bare
            // `socket` target is this socket alone.
            if spec.to.is_some() || spec.except.is_some() {
                socket.broadcast()
            } else {
                socket.namespace().to(socket.id())
            }
        }
        _ => socket.namespace(),
    };
    if let Some(to) = spec.to.take() {
        op = op.to(to.list());
    }
    if let Some(except) = spec.except.take() {
        op = op.except(except.list());
    }
    op
}

/// Handles `event`, whose data is a [`Spec`] of the operators to use, with `handler`, which
/// gets the server too (to reach `/`).
fn on_spec<F, Fut>(socket: &SocketRef, io: &SocketIo, event: &str, handler: F)
where
    F: Fn(SocketIo, SocketRef, Spec, AckSender) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let io = io.clone();
    socket.on(
        event,
        move |socket: SocketRef, Data(spec): Data<Spec>, ack: AckSender| {
            handler(io.clone(), socket, spec, ack)
        },
    );
}

/// [`target`] from the socket's namespace: where the server-side operations
/// (`socketsJoin`, `disconnectSockets`, ...) start in the contract.
fn namespace_target(
    io: &SocketIo,
    socket: &SocketRef,
    spec: &mut Spec,
) -> duplex_socketio::BroadcastOperators {
    spec.from = Some("nsp".into());
    target(io, socket, spec)
}

/// `emit-op`: emits `event` to the spec's target; with a `timeout`, waits for the acks and
/// reports them as `emit-op-result`.
async fn emit_op(io: SocketIo, socket: SocketRef, mut spec: Spec, ack: AckSender) {
    let mut op = target(&io, &socket, &mut spec);
    if spec.volatile {
        op = op.volatile();
    }
    if spec.local {
        op = op.local();
    }
    if let Some(compress) = spec.compress {
        op = op.compress(compress);
    }
    let args = RawArgs::from_values(&spec.args).unwrap_or_default();
    match spec.timeout {
        Some(ms) => {
            let op = op.timeout(Duration::from_millis(ms));
            let answers = op.emit_raw_with_ack(&spec.event, &args);
            let _ = ack.send(&());
            let answers = answers.await;
            let timed_out = answers.iter().any(|(_, a)| a.is_err());
            // The first argument of each answer, binary included.
            let responses: Vec<SioValue> = answers
                .into_iter()
                .filter_map(|(_, a)| a.ok()?.values().ok()?.into_iter().next())
                .collect();
            let report = Report {
                timed_out,
                responses,
            };
            let _ = socket.emit("emit-op-result", &report);
        }
        None => {
            let _ = op.emit_raw(&spec.event, &args);
            let _ = ack.send(&());
        }
    }
}

/// `fetch-sockets`: acks the id, sorted rooms and data of each socket the spec targets (from
/// the namespace unless it names `io`).
async fn fetch_sockets(io: SocketIo, socket: SocketRef, mut spec: Spec, ack: AckSender) {
    if spec.from.as_deref() != Some("io") {
        spec.from = Some("nsp".into());
    }
    let mut op = target(&io, &socket, &mut spec);
    if spec.local {
        op = op.local();
    }
    let found = op.fetch_sockets().await.unwrap_or_default();
    let list: Vec<Value> = found
        .into_iter()
        .map(|s| {
            let mut rooms: Vec<String> = s.rooms.into_iter().map(|r| r.into_owned()).collect();
            rooms.sort();
            json!({"id": s.id.to_string(), "rooms": rooms, "data": s.data})
        })
        .collect();
    let _ = ack.send(&(list,));
}

fn setup(
    io: SocketIo,
    quiet: bool,
) -> impl Fn(SocketRef) -> std::future::Ready<()> + Clone + Send + Sync + 'static {
    move |socket: SocketRef| {
        let memory = Arc::new(Mutex::new(Memory::default()));
        socket.use_middleware({
            let socket = socket.clone();
            move |ctx| {
                if ctx.event() != "forbidden" {
                    return Ok(());
                }
                let _ = socket.emit("middleware-error", "forbidden event");
                Err("forbidden event".into())
            }
        });
        socket.on_any({
            let memory = memory.clone();
            move |Event(name): Event| {
                let memory = memory.clone();
                async move {
                    let mut m = memory.lock().unwrap();
                    m.previous = m.last.take();
                    m.last = Some(name);
                }
            }
        });
        socket.on_any_outgoing({
            let memory = memory.clone();
            move |name, _| memory.lock().unwrap().outgoing = Some(name.to_owned())
        });

        let auth = RawArgs::from_json(socket.handshake().auth_raw().unwrap_or("{}"));
        let _ = socket.emit_raw("auth", &auth);

        socket.on("message", |socket: SocketRef, args: RawArgs| async move {
            let _ = socket.emit_raw("message-back", &args);
        });
        socket.on(
            "message-with-ack",
            |args: RawArgs, ack: AckSender| async move {
                let _ = ack.send_raw(&args);
            },
        );
        socket.on("no-ack", || async {});
        socket.on("double-ack", |ack: AckSender| async move {
            // An ack is answered once: the second answer cannot even be written.
            let _ = ack.send("first");
        });
        let recalls: [(&str, Recall); 2] = [
            ("last-event", |m| m.previous.clone()),
            ("last-outgoing", |m| m.outgoing.clone()),
        ];
        for (event, recall) in recalls {
            let memory = memory.clone();
            socket.on(event, move |ack: AckSender| {
                let answer = recall(&memory.lock().unwrap());
                async move {
                    let _ = ack.send(&(answer,));
                }
            });
        }
        for (event, join) in [("join", true), ("leave", false)] {
            socket.on(
                event,
                move |socket: SocketRef, Data(rooms): Data<Rooms>, ack: AckSender| async move {
                    if join {
                        socket.join(rooms.list());
                    } else {
                        socket.leave(rooms.list());
                    }
                    let _ = ack.send(&(sorted_rooms(&socket),));
                },
            );
        }
        socket.on("rooms", |socket: SocketRef, ack: AckSender| async move {
            let _ = ack.send(&(sorted_rooms(&socket),));
        });
        socket.on(
            "set-data",
            |socket: SocketRef, Data(value): Data<Value>, ack: AckSender| async move {
                let _ = socket.set_data(&value);
                let _ = ack.send(&());
            },
        );
        on_spec(&socket, &io, "emit-op", emit_op);
        socket.on(
            "emit-with-ack",
            |socket: SocketRef, Data(spec): Data<Spec>| async move {
                let args = RawArgs::from_values(&spec.args).unwrap_or_default();
                let result = match socket.emit_raw_with_ack::<()>(&spec.event, &args) {
                    Ok(pending) => match spec.timeout {
                        Some(ms) => pending.timeout(Duration::from_millis(ms)).raw().await,
                        None => pending.raw().await,
                    },
                    Err(e) => Err(e.into()),
                };
                match result {
                    // `{"args":[...]}` around the answer as it came, binary included.
                    Ok(answer) => {
                        let report = RawArgs::new(
                            format!(r#"{{"args":[{}]}}"#, answer.json()),
                            answer.attachments().to_vec(),
                        );
                        let _ = socket.emit_raw("emit-with-ack-result", &report);
                    }
                    Err(_) => {
                        let _ = socket.emit("emit-with-ack-result", &json!({ "error": "timeout" }));
                    }
                }
            },
        );
        socket.on(
            "volatile-burst",
            |socket: SocketRef, Data(n): Data<u32>, ack: AckSender| async move {
                for i in 0..n {
                    let _ = socket.volatile().emit("volatile", &i);
                }
                let _ = ack.send(&());
            },
        );
        on_spec(&socket, &io, "fetch-sockets", fetch_sockets);
        for (event, join) in [("sockets-join", true), ("sockets-leave", false)] {
            on_spec(
                &socket,
                &io,
                event,
                move |io, socket, mut spec, ack| async move {
                    let rooms = std::mem::take(&mut spec.rooms).list();
                    let op = namespace_target(&io, &socket, &mut spec);
                    let _ = if join {
                        op.sockets_join(rooms).await
                    } else {
                        op.sockets_leave(rooms).await
                    };
                    let _ = ack.send(&());
                },
            );
        }
        on_spec(
            &socket,
            &io,
            "disconnect-sockets",
            |io, socket, mut spec, ack| async move {
                let _ = ack.send(&());
                let close = spec.close;
                let _ = namespace_target(&io, &socket, &mut spec)
                    .disconnect_sockets(close)
                    .await;
            },
        );
        socket.on(
            "server-disconnect",
            |socket: SocketRef, Data(close): Data<Option<bool>>| async move {
                if close.unwrap_or(false) {
                    socket.close_connection();
                } else {
                    socket.disconnect();
                }
            },
        );
        socket.on_disconnecting({
            let memory = memory.clone();
            move |socket: SocketRef, _reason: DisconnectReason| async move {
                memory.lock().unwrap().disconnecting_rooms = sorted_rooms(&socket);
            }
        });
        socket.on_disconnect(move |socket: SocketRef, reason: DisconnectReason| async move {
            let rooms = std::mem::take(&mut memory.lock().unwrap().disconnecting_rooms);
            let report = json!({"id": socket.id().to_string(), "reason": reason.as_str(), "rooms": rooms});
            let _ = socket.namespace().to("observers").emit("peer-disconnect", &report);
            if !quiet {
                println!("{}", json!({"event": "closed", "nsp": socket.ns(), "id": socket.id().to_string(), "reason": reason.as_str()}));
            }
        });
        std::future::ready(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let transports: Vec<Transport> = args
        .transports
        .split(',')
        .filter_map(|t| Transport::from_query(t.trim()))
        .collect();
    let mut builder = args.server.builder()?.transports(transports);
    if args.recovery {
        let mut recovery = RecoveryConfig::default();
        recovery.max_disconnection_duration =
            Duration::from_millis(args.max_disconnection_duration);
        recovery.skip_middlewares = false;
        builder = builder.connection_state_recovery(recovery);
    }
    let io = builder.build();
    let on_connect = setup(io.clone(), args.quiet);
    io.ns("/", on_connect.clone());
    io.ns("/custom", on_connect.clone());
    io.dyn_ns(
        |name| {
            name.strip_prefix("/dyn-")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        },
        on_connect.clone(),
    );
    io.ns("/auth", on_connect)
        .use_middleware(|socket: SocketRef| async move {
            let auth: Value = socket.handshake().auth().unwrap_or_default();
            if auth.get("token").and_then(Value::as_str) == Some("secret") {
                Ok(())
            } else {
                Err(ConnectError::new("not authorized").with_data(json!({"code": 401})))
            }
        });
    let ip: std::net::IpAddr = args.host.parse()?;
    let listener = duplex_engineio::bind(std::net::SocketAddr::new(ip, args.port))?;
    println!("LISTENING {}", listener.local_addr()?.port());
    duplex_socketio::serve(listener, io).await?;
    Ok(())
}
