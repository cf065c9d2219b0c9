//! The Socket.IO server of the benchmarks: acks `echo` with its arguments, `join` puts the
//! socket in room `r` and acks, `broadcast X` emits `msg X` to room `r`.
//!
//! `cargo run --release --example bench_server -- --port 3000`

use clap::Parser;
use duplex_socketio::{AckSender, RawArgs, SocketIo, SocketRef};

#[derive(Parser, Debug)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads);
    }
    runtime.enable_all().build()?.block_on(async move {
        let io = SocketIo::builder().build();
        let broadcaster = io.clone();
        io.ns("/", move |socket: SocketRef| {
            let io = broadcaster.clone();
            async move {
                socket.on("echo", |args: RawArgs, ack: AckSender| async move {
                    let _ = ack.send_raw(&args);
                });
                socket.on("join", |socket: SocketRef, ack: AckSender| async move {
                    socket.join("r");
                    let _ = ack.send(&());
                });
                socket.on("broadcast", move |args: RawArgs| {
                    let io = io.clone();
                    async move {
                        let _ = io.to("r").emit_raw("msg", &args);
                    }
                });
            }
        });
        let listener = duplex_engineio::bind(([127, 0, 0, 1], args.port).into())?;
        println!("LISTENING {}", listener.local_addr()?.port());
        duplex_socketio::serve(listener, io).await?;
        Ok(())
    })
}
