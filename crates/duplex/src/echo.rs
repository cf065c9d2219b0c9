//! `duplex echo`: a WebSocket echo server.

use std::net::SocketAddr;
use std::sync::Arc;

use duplex_ws::{DeflateConfig, ServerConfig, ServerHandshake, accept_with};
use tokio::net::{TcpListener, TcpStream};

/// Options of `duplex echo`.
#[derive(clap::Args, Debug)]
pub struct EchoArgs {
    /// Address to listen on; port 0 picks a free port (printed on start).
    #[arg(long, default_value = "127.0.0.1:9001", env = "DUPLEX_ADDR")]
    pub addr: SocketAddr,
    /// Do not offer permessage-deflate.
    #[arg(long)]
    pub no_deflate: bool,
}

/// Serves until the process is stopped (SIGINT ends it).
pub async fn run(args: EchoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind(args.addr).await?;
    let local = listener.local_addr()?;
    let deflate = (!args.no_deflate).then(DeflateConfig::default);
    let server =
        Arc::new(ServerConfig::default().handshake(ServerHandshake::new().deflate(deflate)));
    // Tests and scripts wait for this line to learn the port.
    println!("listening on ws://{local}");
    tracing::info!(%local, deflate = !args.no_deflate, "echo server listening");
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(echo(stream, peer, server.clone()));
                }
                // Out of file descriptors and the like: keep serving the others.
                Err(error) => tracing::warn!(%error, "accept failed"),
            },
            _ = tokio::signal::ctrl_c() => {
                tracing::info!("shutting down");
                return Ok(());
            }
        }
    }
}

async fn echo(stream: TcpStream, peer: SocketAddr, server: Arc<ServerConfig>) {
    let _ = stream.set_nodelay(true);
    let mut socket = match accept_with(stream, &server).await {
        Ok(socket) => socket,
        Err(error) => {
            tracing::debug!(%peer, %error, "handshake failed");
            return;
        }
    };
    while let Some(item) = socket.recv().await {
        match item {
            // Queued, not flushed: the pending `recv` flushes the batch.
            Ok(message) if message.is_data() => {
                if socket.feed(message).await.is_err() {
                    break;
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::debug!(%peer, %error, "connection failed");
                break;
            }
        }
    }
}
