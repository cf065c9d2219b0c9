//! The client's opening handshake, and connecting to `ws://` / `wss://` URLs.

use std::time::Duration;

use bytes::BytesMut;
use duplex_ws_proto::deflate::DeflateCodec;
use duplex_ws_proto::handshake::{ClientRequest, DEFAULT_MAX_HEAD_LEN, parse_response};
use duplex_ws_proto::{Config, Connection, Role};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::Error;
use crate::socket::WebSocket;
use crate::stream::MaybeTlsStream;

/// Settings of a client connection: connection limits and the handshake's own.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Limits and behaviour of the connection.
    pub config: Config,
    /// Time allowed for TCP (and TLS) connect plus the handshake. Default 10 s.
    pub handshake_timeout: Duration,
    /// Largest response head accepted. Default 16 KiB.
    pub max_head_len: usize,
    /// The rustls configuration for `wss://`; `None` uses the webpki root certificates.
    #[cfg(feature = "tls")]
    pub tls: Option<std::sync::Arc<tokio_rustls::rustls::ClientConfig>>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            config: Config::default(),
            handshake_timeout: Duration::from_secs(10),
            max_head_len: DEFAULT_MAX_HEAD_LEN,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ClientConfig {
    /// Sets [`ClientConfig::config`].
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Sets [`ClientConfig::handshake_timeout`].
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets [`ClientConfig::tls`].
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: std::sync::Arc<tokio_rustls::rustls::ClientConfig>) -> Self {
        self.tls = Some(tls);
        self
    }
}

/// Connects to a `ws://` (or, with the `tls` feature, `wss://`) URL with the default
/// settings. Returns the connection and the server's 101 response.
pub async fn connect(url: &str) -> Result<(WebSocket<MaybeTlsStream>, http::Response<()>), Error> {
    connect_with(ClientRequest::new(url)?, &ClientConfig::default()).await
}

/// Connects with a prepared request (subprotocols, headers, compression offer).
pub async fn connect_with(
    request: ClientRequest,
    client: &ClientConfig,
) -> Result<(WebSocket<MaybeTlsStream>, http::Response<()>), Error> {
    let work = async {
        let tcp = TcpStream::connect((request.host(), request.port())).await?;
        // Messages are already batched by the driver; Nagle would only add latency.
        tcp.set_nodelay(true)?;
        let stream = open_stream(tcp, &request, client).await?;
        handshake(stream, &request, client).await
    };
    tokio::time::timeout(client.handshake_timeout, work)
        .await
        .map_err(|_| Error::HandshakeTimeout)?
}

#[cfg(feature = "tls")]
async fn open_stream(
    tcp: TcpStream,
    request: &ClientRequest,
    client: &ClientConfig,
) -> Result<MaybeTlsStream, Error> {
    if !request.is_tls() {
        return Ok(MaybeTlsStream::Plain(tcp));
    }
    crate::stream::tls_connect(tcp, request.host(), client.tls.clone()).await
}

#[cfg(not(feature = "tls"))]
async fn open_stream(
    tcp: TcpStream,
    request: &ClientRequest,
    _client: &ClientConfig,
) -> Result<MaybeTlsStream, Error> {
    if request.is_tls() {
        return Err(Error::TlsUnavailable);
    }
    Ok(MaybeTlsStream::Plain(tcp))
}

/// Runs the client handshake over an already connected stream.
pub async fn handshake<S>(
    mut stream: S,
    request: &ClientRequest,
    client: &ClientConfig,
) -> Result<(WebSocket<S>, http::Response<()>), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut out = BytesMut::new();
    request.write(&mut out);
    stream.write_all(&out).await?;
    stream.flush().await?;
    let mut buf = BytesMut::new();
    let (response, head_len) = loop {
        if let Some(head) = parse_response(&buf, client.max_head_len)? {
            break head;
        }
        buf.reserve(2048);
        if stream.read_buf(&mut buf).await? == 0 {
            return Err(Error::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
    };
    let _ = buf.split_to(head_len);
    let accepted = match request.verify_response(&response) {
        Ok(accepted) => accepted,
        Err(error) => {
            return Err(Error::Handshake(
                error.with_body(&read_body_excerpt(&mut stream, buf).await),
            ));
        }
    };
    let mut conn = Connection::new(Role::Client, client.config.clone());
    if let (Some(params), Some(deflate)) = (accepted.deflate, request.deflate_config()) {
        conn = conn.with_deflate(DeflateCodec::new(params, Role::Client, deflate));
    }
    let socket = WebSocket::from_connection(stream, conn, buf).with_protocol(accepted.protocol);
    Ok((socket, response))
}

/// The start of a refusal's body, so the error says why: what already arrived, plus
/// what comes within a short wait, up to the excerpt size.
async fn read_body_excerpt<S: AsyncRead + Unpin>(stream: &mut S, mut body: BytesMut) -> BytesMut {
    let limit = duplex_ws_proto::handshake::MAX_BODY_EXCERPT;
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        while body.len() < limit {
            body.reserve(limit - body.len());
            match stream.read_buf(&mut body).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    body
}
