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
    // Boxed: the handshake's state (~1 KiB) would otherwise be laid out inside this
    // future next to the socket's, and the task allocation of every idle connection
    // would carry it for the connection's whole life.
    let mut socket = match Box::pin(accept_with(stream, &server)).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: the task of every idle connection is allocated with this future's
    /// size, and before the handshake was boxed it was 1936 bytes (release), the
    /// largest part of the 2.6 KiB per idle connection `benches/idle.sh` measured.
    #[tokio::test]
    async fn an_idle_connection_task_does_not_carry_the_handshake_state() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, peer) = listener.accept().await.unwrap();
        let task = echo(stream, peer, Arc::new(ServerConfig::default()));
        let handshake_alone = std::mem::size_of_val(&accept_with(
            TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap(),
            &ServerConfig::default(),
        ));
        let socket = std::mem::size_of::<duplex_ws::WebSocket<TcpStream>>();
        let size = std::mem::size_of_val(&task);
        assert!(
            size < socket + handshake_alone / 2,
            "echo future {size} bytes, socket {socket}, handshake {handshake_alone}"
        );
        drop(client);
    }
}
