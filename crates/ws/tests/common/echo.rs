//! Our echo server in the test process, as `duplex echo` runs it: every text and
//! binary message goes back with the same type. It stops when the test drops it.

use std::net::SocketAddr;
use std::sync::Arc;

use duplex_ws::{CloseFrame, DeflateConfig, ServerConfig, ServerHandshake, accept_with};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The reason our library puts in the close frame it answers a peer's close
/// with: the peer's own (code and reason are echoed, as Node `ws` and Python
/// `websockets` do). The peers' conversation closes with this reason.
pub const OUR_CLOSE_ECHO_REASON: &str = "duplex bye";

/// What our server saw of one connection, reported when it ends.
#[derive(Debug)]
pub struct ServerSide {
    /// Whether permessage-deflate was negotiated.
    pub compressed: bool,
    /// Data messages echoed.
    pub messages: usize,
    /// The client's close frame, if one arrived.
    pub close: Option<CloseFrame>,
    /// The error that ended the connection, if any (as text).
    pub error: Option<String>,
}

/// A running echo server on 127.0.0.1, aborted on drop.
pub struct EchoServer {
    /// Where it listens.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
    reports: mpsc::UnboundedReceiver<ServerSide>,
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EchoServer {
    /// Starts an echo server negotiating `deflate` (`None`: declines compression).
    pub async fn start(deflate: Option<DeflateConfig>) -> EchoServer {
        let server = ServerConfig::default().handshake(ServerHandshake::new().deflate(deflate));
        EchoServer::start_with(server).await
    }

    /// Starts an echo server with a full server configuration.
    pub async fn start_with(server: ServerConfig) -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let server = Arc::new(server);
        let (tx, reports) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (server, tx) = (server.clone(), tx.clone());
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    let report = serve(accept_with(stream, &server).await, "handshake").await;
                    let _ = tx.send(report);
                });
            }
        });
        EchoServer {
            addr,
            task,
            reports,
        }
    }

    /// The `ws://` URL of the server, with `path`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// What the server saw of the next connection to end.
    pub async fn next_report(&mut self) -> ServerSide {
        super::within("our echo server's report", self.reports.recv())
            .await
            .expect("the server task is running")
    }
}

/// Echoes on an accepted connection until it ends, or reports why the handshake
/// (named by `stage`) failed; public so other tests (hyper, TLS) serve the same way.
pub async fn serve<S>(
    accepted: Result<duplex_ws::WebSocket<S>, duplex_ws::Error>,
    stage: &str,
) -> ServerSide
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match accepted {
        Ok(mut socket) => {
            let compressed = socket.connection().is_compressed();
            echo(&mut socket, compressed).await
        }
        Err(error) => ServerSide {
            compressed: false,
            messages: 0,
            close: None,
            error: Some(format!("{stage}: {error}")),
        },
    }
}

/// Echoes until the connection ends.
pub async fn echo<S>(socket: &mut duplex_ws::WebSocket<S>, compressed: bool) -> ServerSide
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut side = ServerSide {
        compressed,
        messages: 0,
        close: None,
        error: None,
    };
    while let Some(item) = socket.recv().await {
        match item {
            Ok(duplex_ws::Message::Close(frame)) => side.close = frame,
            // Queued, not flushed: the pending `recv` flushes the batch.
            Ok(message) if message.is_data() => {
                side.messages += 1;
                if let Err(error) = socket.feed(message).await {
                    side.error = Some(error.to_string());
                    break;
                }
            }
            Ok(_) => {}
            Err(error) => {
                side.error = Some(error.to_string());
                break;
            }
        }
    }
    side
}
