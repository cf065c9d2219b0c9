//! [`Dialer`]: the byte stream to the server for every connection of a session — TCP, through
//! the proxy's `CONNECT` tunnel when there is one, then TLS for `https://`. The HTTP/1.1
//! polling connections and the WebSocket both run over what it returns.

use std::io;
use std::net::{IpAddr, SocketAddr};

use duplex_ws::MaybeTlsStream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::endpoint::Endpoint;
use super::proxy::Proxy;
use super::{ClientConfig, ConnectError};

/// Most bytes of a proxy's answer to `CONNECT` (its head; a refusal's body is not read).
const MAX_PROXY_HEAD: usize = 16 * 1024;

/// Why no stream to the server could be opened.
#[derive(Debug)]
pub(crate) enum DialError {
    /// No TCP connection to the server or the proxy.
    Connect(io::Error),
    /// The proxy answered `CONNECT` with a non-2xx status.
    ProxyRefused(u16),
    /// The proxy's answer is not HTTP, too large, or followed by bytes before we spoke.
    ProxyAnswer(String),
    /// The TLS handshake failed.
    #[cfg(feature = "tls")]
    Tls(io::Error),
}

impl From<DialError> for ConnectError {
    fn from(error: DialError) -> ConnectError {
        match error {
            DialError::Connect(error) => ConnectError::Connect(error),
            DialError::ProxyRefused(status) => ConnectError::Proxy { status },
            DialError::ProxyAnswer(why) => ConnectError::Http(format!("proxy: {why}")),
            #[cfg(feature = "tls")]
            DialError::Tls(error) => ConnectError::Tls(error),
        }
    }
}

/// How one session reaches its server, shared by all its connections.
#[derive(Debug, Clone)]
pub(crate) struct Dialer {
    host: String,
    port: u16,
    /// `host:port` with IPv6 brackets: the target of `CONNECT`.
    target: String,
    proxy: Option<Proxy>,
    local_address: Option<IpAddr>,
    #[cfg(feature = "tls")]
    secure: bool,
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<duplex_ws::rustls::ClientConfig>>,
}

impl Dialer {
    /// The dialer for `endpoint`, with the proxy `config` chooses for it.
    pub(crate) fn new(endpoint: &Endpoint, config: &ClientConfig) -> Result<Dialer, ConnectError> {
        let (host, port) = (endpoint.host(), endpoint.port());
        let target = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(Dialer {
            host: host.to_owned(),
            port,
            target,
            proxy: config.proxy.resolve(endpoint.is_secure(), host, port)?,
            local_address: config.local_address,
            #[cfg(feature = "tls")]
            secure: endpoint.is_secure(),
            #[cfg(feature = "tls")]
            tls: config.tls.clone(),
        })
    }

    /// A new stream to the server.
    pub(crate) async fn dial(&self) -> Result<MaybeTlsStream, DialError> {
        let tcp = match &self.proxy {
            None => connect(&self.host, self.port, self.local_address).await?,
            Some(proxy) => {
                let mut tcp = connect(&proxy.host, proxy.port, self.local_address).await?;
                tracing::debug!(proxy = %proxy.host, target = %self.target, "CONNECT");
                tunnel(&mut tcp, &self.target, proxy.authorization.as_deref()).await?;
                tcp
            }
        };
        self.secure(tcp).await
    }

    #[cfg(feature = "tls")]
    async fn secure(&self, tcp: TcpStream) -> Result<MaybeTlsStream, DialError> {
        if !self.secure {
            return Ok(MaybeTlsStream::Plain(tcp));
        }
        duplex_ws::tls_connect(tcp, &self.host, self.tls.clone())
            .await
            .map_err(|error| match error {
                duplex_ws::Error::Io(error) => DialError::Tls(error),
                other => DialError::Tls(io::Error::other(other)),
            })
    }

    #[cfg(not(feature = "tls"))]
    async fn secure(&self, tcp: TcpStream) -> Result<MaybeTlsStream, DialError> {
        Ok(MaybeTlsStream::Plain(tcp))
    }
}

async fn connect(host: &str, port: u16, local: Option<IpAddr>) -> Result<TcpStream, DialError> {
    let tcp = match local {
        None => TcpStream::connect((host, port)).await,
        Some(local) => connect_from(host, port, local).await,
    }
    .map_err(DialError::Connect)?;
    // Packets are already batched into payloads and messages; Nagle would only delay them.
    tcp.set_nodelay(true).map_err(DialError::Connect)?;
    Ok(tcp)
}

/// Connects to the first address of `host` in `local`'s family, bound to `local`.
async fn connect_from(host: &str, port: u16, local: IpAddr) -> io::Result<TcpStream> {
    let mut last = None;
    for server in tokio::net::lookup_host((host, port)).await? {
        if server.is_ipv4() != local.is_ipv4() {
            continue;
        }
        let socket = match server {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        socket.bind(SocketAddr::new(local, 0))?;
        match socket.connect(server).await {
            Ok(tcp) => return Ok(tcp),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("{host} has no address of the local address {local}'s family"),
        )
    }))
}

/// Asks the proxy on `stream` for a tunnel to `target` (RFC 9110 §9.3.6) and reads its
/// answer, no further: after a 2xx the stream carries the server's bytes.
async fn tunnel<S>(
    stream: &mut S,
    target: &str,
    authorization: Option<&str>,
) -> Result<(), DialError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // RFC 9112 §3.2.3: the request target of CONNECT is the authority form, host:port.
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(authorization) = authorization {
        request.push_str(&format!("Proxy-Authorization: {authorization}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(DialError::Connect)?;
    stream.flush().await.map_err(DialError::Connect)?;
    let mut answer = Vec::with_capacity(256);
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&answer) {
            Ok(httparse::Status::Complete(head_len)) => {
                let status = response.code.unwrap_or_default();
                if !(200..300).contains(&status) {
                    return Err(DialError::ProxyRefused(status));
                }
                // Neither an HTTP server nor a TLS one speaks first, so these bytes would be
                // the proxy's own, and would corrupt the stream.
                if answer.len() > head_len {
                    return Err(DialError::ProxyAnswer(
                        "bytes after the 2xx answer to CONNECT".to_owned(),
                    ));
                }
                return Ok(());
            }
            Ok(httparse::Status::Partial) => {}
            Err(error) => return Err(DialError::ProxyAnswer(error.to_string())),
        }
        if answer.len() >= MAX_PROXY_HEAD {
            return Err(DialError::ProxyAnswer(format!(
                "an answer head over {MAX_PROXY_HEAD} bytes"
            )));
        }
        // Read no more than the head can still take, so nothing past the limit is buffered.
        let mut chunk = vec![0; (MAX_PROXY_HEAD - answer.len()).min(1024)];
        let n = stream.read(&mut chunk).await.map_err(DialError::Connect)?;
        if n == 0 {
            return Err(DialError::ProxyAnswer(
                "closed before answering CONNECT".to_owned(),
            ));
        }
        answer.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `tunnel` against a proxy that answers `answer` in `pieces` writes; returns the
    /// result and the request the proxy read.
    async fn against(
        answer: &[u8],
        pieces: usize,
        auth: Option<&str>,
    ) -> (Result<(), DialError>, String) {
        let (mut client, mut proxy) = tokio::io::duplex(64 * 1024);
        let answer = answer.to_vec();
        let proxy_side = tokio::spawn(async move {
            let mut request = Vec::new();
            while !request.ends_with(b"\r\n\r\n") {
                let mut byte = [0];
                if proxy.read(&mut byte).await.unwrap_or(0) == 0 {
                    break;
                }
                request.push(byte[0]);
            }
            let step = answer.len().div_ceil(pieces).max(1);
            for piece in answer.chunks(step) {
                proxy.write_all(piece).await.expect("write");
                tokio::task::yield_now().await;
            }
            drop(proxy);
            String::from_utf8(request).expect("ASCII")
        });
        let result = tunnel(&mut client, "example.com:443", auth).await;
        drop(client);
        (result, proxy_side.await.expect("proxy task"))
    }

    #[test]
    fn the_connect_target_brackets_ipv6_and_always_has_the_port() {
        let config = ClientConfig::default().proxy(super::super::ProxyConfig::None);
        for (url, target) in [
            ("http://[::1]:8080/", "[::1]:8080"),
            ("http://example.com/", "example.com:80"),
            ("ws://10.0.0.1:3000/", "10.0.0.1:3000"),
        ] {
            let endpoint = Endpoint::parse(url, &config).unwrap();
            let dialer = Dialer::new(&endpoint, &config).unwrap();
            assert_eq!(dialer.target, target, "{url}");
            assert!(dialer.proxy.is_none());
        }
    }

    #[tokio::test]
    async fn connections_come_from_the_local_address() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let local: IpAddr = [127, 0, 0, 2].into();
        let (tcp, accepted) =
            tokio::join!(connect("127.0.0.1", port, Some(local)), listener.accept());
        assert_eq!(tcp.unwrap().local_addr().unwrap().ip(), local);
        assert_eq!(accepted.unwrap().1.ip(), local);
        let v6: IpAddr = "::1".parse().unwrap();
        let error = connect_from("127.0.0.1", port, v6).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrNotAvailable);
    }

    #[tokio::test]
    async fn a_2xx_opens_the_tunnel_whatever_the_pieces() {
        for pieces in [1, 3, 40] {
            let answer = b"HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\n";
            let (result, request) = against(answer, pieces, Some("Basic dTpw")).await;
            assert!(result.is_ok(), "{pieces}: {result:?}");
            assert_eq!(
                request,
                "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\
                 Proxy-Authorization: Basic dTpw\r\n\r\n"
            );
        }
        let (result, request) = against(b"HTTP/1.0 204 OK\r\n\r\n", 1, None).await;
        assert!(result.is_ok(), "{result:?}");
        assert!(!request.contains("Proxy-Authorization"));
    }

    #[tokio::test]
    async fn a_refusal_is_its_status() {
        let answer = b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                       Proxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 5\r\n\r\nno no";
        let (result, _) = against(answer, 2, None).await;
        assert!(
            matches!(result, Err(DialError::ProxyRefused(407))),
            "{result:?}"
        );
        let error = ConnectError::from(result.unwrap_err());
        assert!(
            matches!(error, ConnectError::Proxy { status: 407 }),
            "{error}"
        );
    }

    #[tokio::test]
    async fn broken_answers_are_errors() {
        let big = format!(
            "HTTP/1.1 200 OK\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_PROXY_HEAD)
        );
        let cases: [&[u8]; 4] = [
            b"SSH-2.0-OpenSSH\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"HTTP/1.1 200 OK\r\n\r\nsurprise",
            big.as_bytes(),
        ];
        for answer in cases {
            let (result, _) = against(answer, 1, None).await;
            assert!(
                matches!(result, Err(DialError::ProxyAnswer(_))),
                "{:?}: {result:?}",
                String::from_utf8_lossy(&answer[..answer.len().min(40)])
            );
        }
    }
}
