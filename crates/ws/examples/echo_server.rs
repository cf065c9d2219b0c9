//! A WebSocket echo server: every text and binary message comes back as it came.
//!
//! ```sh
//! cargo run --release -p duplex-ws --example echo_server -- --addr 127.0.0.1:9001
//! ```

use duplex_ws::{DeflateConfig, ServerConfig, ServerHandshake, accept_with};
use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `--addr HOST:PORT`; port 0 lets the system pick a free port.
    let args: Vec<String> = std::env::args().collect();
    let addr = match args.iter().position(|a| a == "--addr") {
        Some(i) => args.get(i + 1).ok_or("--addr needs a value")?.clone(),
        None => "127.0.0.1:9001".to_owned(),
    };
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on ws://{}", listener.local_addr()?);

    // Offer permessage-deflate; clients that do not ask for it get plain frames.
    let server = ServerConfig::default()
        .handshake(ServerHandshake::new().deflate(Some(DeflateConfig::default())));
    loop {
        let (stream, peer) = listener.accept().await?;
        let server = server.clone();
        // One task per connection, so one bad peer cannot stop the others.
        tokio::spawn(async move {
            let mut socket = match accept_with(stream, &server).await {
                Ok(socket) => socket,
                Err(error) => {
                    eprintln!("{peer}: handshake failed: {error}");
                    return;
                }
            };
            // `recv` answers pings and the close handshake by itself, and returns
            // `None` once the connection is over.
            while let Some(received) = socket.recv().await {
                match received {
                    // `feed` only queues: the next `recv` writes the queued echoes in
                    // one batch before it waits for more input.
                    Ok(message) if message.is_data() => {
                        if socket.feed(message).await.is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    // The connection failed (the close frame with the reason is
                    // already sent); the next `recv` would return `None`.
                    Err(error) => {
                        eprintln!("{peer}: {error}");
                        break;
                    }
                }
            }
        });
    }
}
