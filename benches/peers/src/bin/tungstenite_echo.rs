//! tokio-tungstenite echo server, in the library's own idiom: `accept_async`, split,
//! and `forward` the data messages back into the sink.
//!
//! `forward` only flushes when the incoming stream has nothing ready, so echoes of
//! pipelined messages queue in tungstenite's write buffer and leave in one write;
//! that is the batching a user gets without tuning anything, so no config is set.
//! Pings are answered by tungstenite itself; a Close ends the stream and the task.

use clap::Parser;
use duplex_bench_peers::{ServerArgs, current_thread_runtime};
use futures_util::{StreamExt, TryStreamExt, future};
use tokio::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let args = ServerArgs::parse();
    current_thread_runtime()?.block_on(async move {
        let listener = TcpListener::bind(args.addr).await?;
        println!("LISTENING {}", listener.local_addr()?.port());
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(echo(stream));
        }
    })
}

async fn echo(stream: TcpStream) {
    // Loopback benchmarks send small messages: Nagle would add delay, not save work.
    let _ = stream.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (write, read) = ws.split();
    // Errors (a peer that vanishes mid-run) end only this connection.
    let _ = read
        .try_filter(|msg| future::ready(msg.is_text() || msg.is_binary()))
        .forward(write)
        .await;
}
