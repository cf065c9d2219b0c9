//! Binary payloads: a client's `Buffer`, `ArrayBuffer` or typed array arrives as
//! [`Binary`], alone or nested anywhere in its arguments, and binary the server sends reaches
//! the client as a `Buffer` (an `ArrayBuffer` in browsers). On the wire each binary value
//! travels as an attachment of its own, never as base64 inside the JSON.
//!
//! Run it with `cargo run --example binary -- --port 3000`, then from a socket.io client:
//!
//! ```js
//! const socket = io("http://127.0.0.1:3000");
//! socket.on("welcome", (text, bytes) => console.log(text, bytes));   // <Buffer de ad be ef>
//! await socket.emitWithAck("reverse", Buffer.from([1, 2, 3]));      // [<Buffer 03 02 01>, 3]
//! await socket.emitWithAck("transform", { a: [Buffer.from("ab")], n: 1 });
//! //   {a: [<Buffer 62 61>], n: 1}
//! await socket.emitWithAck("sizes", Buffer.alloc(3), { x: Buffer.alloc(5) });  // [3, 5]
//! socket.on("file", ({ name, size, data }) => console.log(name, size, data));
//! socket.emit("upload", { name: "a.bin", chunks: [Buffer.from("ab"), Buffer.from("c")] });
//! ```
//!
//! - On connection the server emits `welcome` with a text and four bytes.
//! - `reverse` bytes: acks the bytes reversed and their length ([`Data`]`<Binary>`).
//! - `transform` any value: acks the same shape with every binary value in it reversed
//!   ([`Value`], for arguments of no fixed shape).
//! - `sizes` ...any: acks the length of every binary value of the arguments, in order ([`Bin`]:
//!   the attachments, wherever they were).
//! - `upload` `{name, chunks: [bytes...]}`: emits `file` `{name, size, data}` back, `data` the
//!   chunks joined (a typed struct with [`Binary`] fields, both ways).

use bytes::{Bytes, BytesMut};
use clap::Parser;
use duplex_socketio::{AckSender, Bin, Binary, Data, SocketIo, SocketRef, Value};
use serde::{Deserialize, Serialize};

#[derive(Parser, Debug)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 3000)]
    port: u16,
}

#[derive(Deserialize)]
struct Upload {
    name: String,
    chunks: Vec<Binary>,
}

#[derive(Serialize)]
struct File {
    name: String,
    size: usize,
    data: Binary,
}

fn reversed(bytes: &[u8]) -> Binary {
    Binary::from(bytes.iter().rev().copied().collect::<Vec<u8>>())
}

fn reverse_binaries(value: Value) -> Value {
    match value {
        Value::Binary(bytes) => Value::Binary(reversed(&bytes.0)),
        Value::Array(items) => Value::Array(items.into_iter().map(reverse_binaries).collect()),
        Value::Object(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(key, value)| (key, reverse_binaries(value)))
                .collect(),
        ),
        other => other,
    }
}

async fn on_connect(socket: SocketRef) {
    let _ = socket.emit(
        "welcome",
        &("binary ready", Binary::from(vec![0xde, 0xad, 0xbe, 0xef])),
    );

    socket.on(
        "reverse",
        |Data(bytes): Data<Binary>, ack: AckSender| async move {
            let _ = ack.send(&(reversed(&bytes.0), bytes.0.len()));
        },
    );

    socket.on(
        "transform",
        |Data(value): Data<Value>, ack: AckSender| async move {
            let _ = ack.send(&reverse_binaries(value));
        },
    );

    socket.on(
        "sizes",
        |Bin(attachments): Bin, ack: AckSender| async move {
            let sizes: Vec<usize> = attachments.iter().map(Bytes::len).collect();
            let _ = ack.send(&sizes);
        },
    );

    socket.on(
        "upload",
        |socket: SocketRef, Data(upload): Data<Upload>| async move {
            let mut data = BytesMut::new();
            for chunk in &upload.chunks {
                data.extend_from_slice(&chunk.0);
            }
            let file = File {
                name: upload.name,
                size: data.len(),
                data: Binary(data.freeze()),
            };
            let _ = socket.emit("file", &file);
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
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    duplex_socketio::serve(listener, io).await?;
    Ok(())
}
