//! socketioxide twin of `crates/socketio/examples/bench_server.rs`: acks `echo` with its
//! arguments, `join` puts the socket in room `r` and acks with no arguments, `broadcast X`
//! emits `msg X` to room `r`, the sender included when it is in the room.
//!
//! Written as socketioxide's README and crate docs show a plain server: `SocketIo::new_layer`
//! (default options: `/socket.io/`, 25 s / 20 s heartbeat, polling and WebSocket) on an axum
//! `Router`, served by `axum::serve` under `#[tokio::main]`. That is a multi-thread runtime,
//! unlike the current-thread WebSocket peers of this crate: it is what socketioxide's docs use,
//! and our own bench server runs multi-thread too; the harness pins each server to one core.
//! socketioxide's default payload limit is 100,000 bytes where Node's and ours are 1,000,000;
//! it is kept, as users get it.

use axum::serve::ListenerExt;
use clap::Parser;
use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeTuple, Serializer};
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};

#[derive(Debug, Parser)]
struct Args {
    /// Port to listen on, on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 3000)]
    port: u16,
}

/// All the arguments of an event, however many there are.
///
/// socketioxide maps a packet's arguments onto one serde value: a tuple-like type takes them
/// all, anything else only the first (a `Vec` counts as one argument). A tuple of unknown
/// length is this wrapper, read and written through serde's tuple methods. Binary
/// attachments are not part of the benchmark and would come back as arrays of numbers.
#[derive(Debug, Default)]
struct EventArgs(Vec<Value>);

impl Serialize for EventArgs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for arg in &self.0 {
            tuple.serialize_element(arg)?;
        }
        tuple.end()
    }
}

impl<'de> Deserialize<'de> for EventArgs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The length is unknown before reading: JSON sequences end where they end.
        deserializer.deserialize_tuple(usize::MAX, ArgsVisitor)
    }
}

struct ArgsVisitor;

impl<'de> Visitor<'de> for ArgsVisitor {
    type Value = EventArgs;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the arguments of an event")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EventArgs, A::Error> {
        let mut args = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(arg) = seq.next_element()? {
            args.push(arg);
        }
        Ok(EventArgs(args))
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let (layer, io) = SocketIo::new_layer();
    io.ns("/", async |socket: SocketRef| {
        socket.on("echo", async |Data::<EventArgs>(args), ack: AckSender| {
            ack.send(&args).ok();
        });
        socket.on("join", async |socket: SocketRef, ack: AckSender| {
            socket.join("r");
            // `&()` would be one `null` argument (`43N[null]`); an empty tuple is none.
            ack.send(&EventArgs::default()).ok();
        });
        socket.on(
            "broadcast",
            async |socket: SocketRef, Data::<EventArgs>(args)| {
                // `within` keeps the sender, where `to` would leave it out.
                socket.within("r").emit("msg", &args).await.ok();
            },
        );
    });
    let app = axum::Router::new().layer(layer);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    // Small request/answer packets: Nagle would only delay them (ours and Node's disable it too).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await
}
