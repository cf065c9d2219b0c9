//! The server's opening handshake over a raw stream.

use std::time::Duration;

use bytes::BytesMut;
use duplex_ws_proto::deflate::DeflateCodec;
use duplex_ws_proto::handshake::{
    DEFAULT_MAX_HEAD_LEN, Rejection, ServerHandshake, parse_request, write_response,
};
use duplex_ws_proto::{Config, Connection, Role};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::error::Error;
use crate::socket::WebSocket;

/// How a server accepts connections: the handshake policy (subprotocols, the
/// request check, compression), the connection limits, and the handshake's own
/// limits.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Subprotocol selection, request check, permessage-deflate.
    pub handshake: ServerHandshake,
    /// Limits and behaviour of accepted connections.
    pub config: Config,
    /// Time allowed for the request head to arrive. Default 10 s.
    pub handshake_timeout: Duration,
    /// Largest request head accepted. Default 16 KiB.
    pub max_head_len: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            handshake: ServerHandshake::default(),
            config: Config::default(),
            handshake_timeout: Duration::from_secs(10),
            max_head_len: DEFAULT_MAX_HEAD_LEN,
        }
    }
}

impl ServerConfig {
    /// Sets [`ServerConfig::handshake`].
    pub fn handshake(mut self, handshake: ServerHandshake) -> Self {
        self.handshake = handshake;
        self
    }

    /// Sets [`ServerConfig::config`].
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets [`ServerConfig::handshake_timeout`].
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets [`ServerConfig::max_head_len`].
    pub fn max_head_len(mut self, bytes: usize) -> Self {
        self.max_head_len = bytes;
        self
    }
}

/// Accepts a WebSocket connection with the default settings (no subprotocol, no
/// compression).
pub async fn accept<S>(stream: S) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with(stream, &ServerConfig::default()).await
}

/// Reads the upgrade request, answers it, and returns the connection. A bad or
/// refused request is answered with its status (400, 403, 426, ...) and a reason,
/// and returned as an error.
pub async fn accept_with<S>(mut stream: S, server: &ServerConfig) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = BytesMut::new();
    let head = tokio::time::timeout(server.handshake_timeout, async {
        loop {
            if let Some(head) = parse_request(&buf, server.max_head_len)? {
                return Ok(head);
            }
            buf.reserve(2048);
            if tokio::io::AsyncReadExt::read_buf(&mut stream, &mut buf).await? == 0 {
                return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
        }
    })
    .await;
    let (request, head_len) = match head {
        Ok(Ok(head)) => head,
        Ok(Err(Error::Handshake(error))) => {
            refuse(&mut stream, &Rejection::from(error.clone())).await;
            return Err(Error::Handshake(error));
        }
        Ok(Err(error)) => return Err(error),
        Err(_) => return Err(Error::HandshakeTimeout),
    };
    let accepted = match server.handshake.accept(&request) {
        Ok(accepted) => accepted,
        Err(rejection) => {
            refuse(&mut stream, &rejection).await;
            return Err(Error::Rejected {
                status: rejection.status(),
                reason: rejection.reason().to_owned(),
            });
        }
    };
    let mut head = BytesMut::new();
    write_response(&accepted.response, &mut head);
    stream.write_all(&head).await?;
    stream.flush().await?;
    let _ = buf.split_to(head_len);
    let mut conn = Connection::new(Role::Server, server.config.clone());
    if let (Some(params), Some(deflate)) = (accepted.deflate, server.handshake.deflate_config()) {
        conn = conn.with_deflate(DeflateCodec::new(params, Role::Server, deflate));
    }
    Ok(WebSocket::from_connection(stream, conn, buf).with_protocol(accepted.protocol))
}

/// Answers a refused request and closes; the peer may already be gone, which
/// changes nothing for us.
async fn refuse<S: AsyncWrite + Unpin>(stream: &mut S, rejection: &Rejection) {
    let mut out = BytesMut::new();
    rejection.write(&mut out);
    let _ = stream.write_all(&out).await;
    let _ = stream.shutdown().await;
}
