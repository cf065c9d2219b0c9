//! A standalone server: Engine.IO alone on a listener, over HTTP/1.1 (with WebSocket upgrades)
//! and HTTP/2 (prior knowledge, polling only).

use std::future::Future;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower_service::Service;

use crate::engine::EngineIo;
use crate::handler::Handler;
use crate::request::RemoteAddr;
use crate::service::BoxError;

/// Connections the kernel queues before they are accepted: bursts of clients (a load test, a
/// reconnect wave after a restart) would otherwise overflow tokio's default of 128 and retry
/// after a second.
const LISTEN_BACKLOG: u32 = 1024;

/// A listener on `addr` with a backlog of 1024 and `SO_REUSEADDR` (a restarted server binds
/// again at once).
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// A tower service the standalone server can run: answers HTTP requests, cheap to clone,
/// sendable to each connection's task (the bounds every `serve*` function needs, once).
pub trait HttpService<B>:
    Service<
        http::Request<Incoming>,
        Response = http::Response<B>,
        Future: Send + 'static,
        Error: Into<BoxError>,
    > + Clone
    + Send
    + 'static
{
}

impl<S, B> HttpService<B> for S
where
    S: Service<http::Request<Incoming>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
{
}

/// A response body the standalone server can send.
pub trait HttpBody: http_body::Body<Data: Send, Error: Into<BoxError>> + Send + 'static {}

impl<B> HttpBody for B
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
}

/// How long a graceful shutdown waits for open HTTP connections to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves `engine` on `listener` until the task is dropped.
///
/// ```no_run
/// use std::sync::Arc;
/// use duplex_engineio::{Config, EngineIo, Handler, Message, Socket};
///
/// struct Echo;
/// impl Handler for Echo {
///     fn on_message(&self, socket: &Arc<Socket>, message: Message) {
///         let _ = socket.send(message);
///     }
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// duplex_engineio::serve(listener, EngineIo::new(Config::default(), Echo)).await
/// # }
/// ```
pub async fn serve<H: Handler>(listener: TcpListener, engine: EngineIo<H>) -> std::io::Result<()> {
    serve_with_shutdown(listener, engine, std::future::pending()).await
}

/// Serves `engine` on `listener` until `signal` completes, then shuts down gracefully: stops
/// accepting, closes every session (reason `server shutting down`; pending long-polls return),
/// and waits up to 5 s for open HTTP connections to finish.
pub async fn serve_with_shutdown<H, F>(
    listener: TcpListener,
    engine: EngineIo<H>,
    signal: F,
) -> std::io::Result<()>
where
    H: Handler,
    F: Future<Output = ()>,
{
    let service = engine.service();
    run_with(listener, service, signal, engine.shutdown(), plain).await
}

/// Serves any tower service on `listener` as [`serve_with_shutdown`] does (HTTP/1.1 with
/// upgrades, h2c, [`RemoteAddr`] set), until `signal` completes: for Engine.IO mounted with
/// [`EngineIo::layer`] in front of other routes, or several servers on one port. Shut the
/// engines down yourself after it returns.
pub async fn serve_service<S, B, F>(
    listener: TcpListener,
    service: S,
    signal: F,
) -> std::io::Result<()>
where
    S: HttpService<B>,
    B: HttpBody,
    F: Future<Output = ()>,
{
    run_with(listener, service, signal, std::future::ready(()), plain).await
}

/// Serves any tower service as [`serve_service`] does, over TLS: each accepted connection
/// makes its TLS handshake (bounded by [`TLS_HANDSHAKE_TIMEOUT`]) before HTTP starts;
/// WebSocket upgrades run inside the TLS stream (`wss://`).
#[cfg(feature = "server-tls")]
pub async fn serve_service_tls<S, B, F>(
    listener: TcpListener,
    tls: std::sync::Arc<tokio_rustls::rustls::ServerConfig>,
    service: S,
    signal: F,
) -> std::io::Result<()>
where
    S: HttpService<B>,
    B: HttpBody,
    F: Future<Output = ()>,
{
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let handshake = move |stream| {
        let accepting = acceptor.accept(stream);
        async move {
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, accepting).await {
                Ok(result) => result,
                Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
            }
        }
    };
    run_with(listener, service, signal, std::future::ready(()), handshake).await
}

/// How long a client has to complete its TLS handshake.
#[cfg(feature = "server-tls")]
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// No handshake: HTTP straight on the TCP stream.
fn plain(
    stream: tokio::net::TcpStream,
) -> std::future::Ready<std::io::Result<tokio::net::TcpStream>> {
    std::future::ready(Ok(stream))
}

/// The accept loop: each connection goes through `handshake` (nothing, or TLS) in its own
/// task, then HTTP; on `signal` it stops accepting, runs `drain`, and gives open
/// connections [`DRAIN_TIMEOUT`] to finish.
async fn run_with<S, B, F, D, H, HF, IO>(
    listener: TcpListener,
    service: S,
    signal: F,
    drain: D,
    handshake: H,
) -> std::io::Result<()>
where
    S: HttpService<B>,
    B: HttpBody,
    F: Future<Output = ()>,
    D: Future<Output = ()>,
    H: Fn(tokio::net::TcpStream) -> HF,
    HF: Future<Output = std::io::Result<IO>> + Send + 'static,
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait for some to free up.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
            request.extensions_mut().insert(RemoteAddr(peer));
            service.clone().call(request)
        });
        let handshake = handshake(stream);
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let io = match handshake.await {
                Ok(io) => io,
                Err(e) => {
                    tracing::debug!(error = %e, %peer, "connection handshake failed");
                    return;
                }
            };
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(io), service)
                .into_owned();
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    drain.await;
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
    Ok(())
}
