//! The smallest Engine.IO v4 client the `eio-*` load generators need, written
//! against the protocol (not against our server crate), so the same load runs
//! against any Engine.IO server: long-polling requests over kept-alive HTTP/1.1
//! connections, WebSocket sessions over `duplex-ws`, and the checks of every
//! answer. Text packets only: binary would travel base64-encoded over polling and
//! measure the codec rather than the server.

use std::time::Duration;

use bytes::Bytes;
use duplex_ws::{ClientConfig, ClientRequest, Config, MaybeTlsStream, Message, WebSocket};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The error of one session or one step: what was expected and what came instead.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// The longest an HTTP request may take: a long-poll legitimately waits up to the
/// ping interval (25 s by default) for something to carry, so this is well beyond it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The Engine.IO packet separator inside a long-polling payload (record separator).
pub const SEPARATOR: u8 = 0x1e;

/// Where the Engine.IO server is: `http://host:port/path/`.
#[derive(Clone, Debug)]
pub struct Endpoint {
    host: String,
    port: u16,
    path: String,
}

impl Endpoint {
    /// Parses an `http://` URL; its path (default `/engine.io/`) is the Engine.IO path.
    pub fn parse(url: &str) -> Result<Self, BenchError> {
        let uri: http::Uri = url.parse()?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("{url}: the URL must be http://host:port/path/").into());
        }
        let authority = uri.authority().ok_or("the URL has no host")?;
        let path = match uri.path() {
            "" | "/" => "/engine.io/".to_owned(),
            path => path.to_owned(),
        };
        Ok(Endpoint {
            host: authority.host().to_owned(),
            port: authority.port_u16().unwrap_or(80),
            path,
        })
    }

    /// The request target of a long-polling request, with the session id once known.
    pub fn polling_target(&self, sid: Option<&str>) -> String {
        self.target("polling", sid)
    }

    /// The `ws://` URL of the WebSocket transport: a fresh session without `sid`,
    /// the upgrade of a polling session with it.
    pub fn websocket_url(&self, sid: Option<&str>) -> String {
        format!(
            "ws://{}:{}{}",
            self.host,
            self.port,
            self.target("websocket", sid)
        )
    }

    fn target(&self, transport: &str, sid: Option<&str>) -> String {
        let mut target = format!("{}?EIO=4&transport={transport}", self.path);
        if let Some(sid) = sid {
            target.push_str("&sid=");
            target.push_str(sid);
        }
        target
    }
}

/// The fields of the open packet (`0{...}`) the benches rely on.
#[derive(Debug, PartialEq)]
pub struct Open {
    /// The session id.
    pub sid: String,
    /// Transports the session may upgrade to.
    pub upgrades: Vec<String>,
}

/// Checks an open packet: type `0`, then JSON with all five fields of Engine.IO v4
/// (`sid`, `upgrades`, `pingInterval`, `pingTimeout`, `maxPayload`) of the right types.
pub fn parse_open(packet: &[u8]) -> Result<Open, BenchError> {
    let json = packet
        .strip_prefix(b"0")
        .ok_or_else(|| format!("expected an open packet `0{{...}}`, got {}", show(packet)))?;
    let value: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| format!("open packet JSON: {e}: {}", show(packet)))?;
    let sid = value["sid"]
        .as_str()
        .filter(|sid| !sid.is_empty())
        .ok_or_else(|| format!("open packet without a sid: {}", show(packet)))?;
    let upgrades = value["upgrades"]
        .as_array()
        .ok_or_else(|| format!("open packet without upgrades: {}", show(packet)))?
        .iter()
        .map(|u| u.as_str().map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| format!("open packet: upgrades are not strings: {}", show(packet)))?;
    for field in ["pingInterval", "pingTimeout", "maxPayload"] {
        if !value[field].is_u64() {
            return Err(format!("open packet without a numeric {field}: {}", show(packet)).into());
        }
    }
    Ok(Open {
        sid: sid.to_owned(),
        upgrades,
    })
}

/// The packets of a long-polling payload (joined by the record separator).
pub fn split_payload(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|&b| b == SEPARATOR)
}

/// A short printable excerpt of a packet or body, for error messages.
pub fn show(bytes: &[u8]) -> String {
    const MAX: usize = 80;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)]);
    if bytes.len() > MAX {
        format!("{text:?}... ({} bytes)", bytes.len())
    } else {
        format!("{text:?}")
    }
}

/// The text of message `seq` of `size` bytes: a counter in front of a text-like
/// filler, so an echo out of order or from another session is caught.
pub fn payload(seq: u64, size: usize) -> String {
    let filler = r#"{"user":"duplex","room":"lobby","text":"hello there"} "#;
    let mut text = format!("{seq:010}|");
    text.extend(filler.chars().cycle().take(size.saturating_sub(text.len())));
    text.truncate(size);
    text
}

/// One kept-alive HTTP/1.1 connection for long-polling requests.
pub struct HttpConn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl HttpConn {
    /// Connects to the endpoint; the connection's I/O runs in its own task until
    /// this value is dropped.
    pub async fn open(endpoint: &Endpoint) -> Result<Self, BenchError> {
        let tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await?;
        tcp.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
        // Ends with an error when the server closes the connection; the next request
        // then fails with the cause, so nothing is lost by ignoring it here.
        tokio::spawn(connection);
        Ok(HttpConn {
            sender,
            host: format!("{}:{}", endpoint.host, endpoint.port),
        })
    }

    /// A long-polling GET: the body when the answer is `200`, an error otherwise.
    pub async fn get(&mut self, target: &str) -> Result<Bytes, BenchError> {
        self.request(http::Method::GET, target, Bytes::new()).await
    }

    /// A POST of a payload; the server must answer `200` with the body `ok`.
    pub async fn post(&mut self, target: &str, payload: Bytes) -> Result<(), BenchError> {
        let body = self.request(http::Method::POST, target, payload).await?;
        if &body[..] != b"ok" {
            return Err(format!("POST {target}: expected body \"ok\", got {}", show(&body)).into());
        }
        Ok(())
    }

    async fn request(
        &mut self,
        method: http::Method,
        target: &str,
        body: Bytes,
    ) -> Result<Bytes, BenchError> {
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(target)
            .header(http::header::HOST, &self.host);
        if method == http::Method::POST {
            request = request.header(http::header::CONTENT_TYPE, "text/plain;charset=UTF-8");
        }
        let request = request.body(Full::new(body))?;
        let exchange = async {
            self.sender.ready().await?;
            let response = self.sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, BenchError>((status, body))
        };
        let (status, body) = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("{method} {target}: no answer within {REQUEST_TIMEOUT:?}"))??;
        if status != http::StatusCode::OK {
            return Err(format!(
                "{method} {target}: expected 200, got {status} {}",
                show(&body)
            )
            .into());
        }
        Ok(body)
    }
}

/// A WebSocket connection of the Engine.IO WebSocket transport.
pub type EioSocket = WebSocket<MaybeTlsStream>;

/// Opens the WebSocket transport at `url` with room for `max_packet` bytes.
pub async fn connect_websocket(url: &str, max_packet: usize) -> Result<EioSocket, BenchError> {
    let client = ClientConfig::default().config(Config::default().max_message_size(max_packet));
    let (socket, _) = duplex_ws::connect_with(ClientRequest::new(url)?, &client).await?;
    Ok(socket)
}

/// The next Engine.IO packet on the WebSocket (a text message), skipping
/// WebSocket-level pings; binary messages are refused (the benches send none).
pub async fn recv_packet(socket: &mut EioSocket) -> Result<Bytes, BenchError> {
    loop {
        match socket.recv().await {
            Some(Ok(message @ Message::Text(_))) => return Ok(message.into_data()),
            Some(Ok(Message::Binary(data))) => {
                return Err(format!("unexpected binary message of {} bytes", data.len()).into());
            }
            Some(Ok(Message::Close(frame))) => {
                return Err(format!("the server closed the WebSocket: {frame:?}").into());
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.into()),
            None => return Err("the server closed the WebSocket".into()),
        }
    }
}

/// Opens a WebSocket-only session and checks its open packet; returns the socket
/// and the session id.
pub async fn open_websocket_session(
    endpoint: &Endpoint,
    max_packet: usize,
) -> Result<(EioSocket, String), BenchError> {
    let mut socket = connect_websocket(&endpoint.websocket_url(None), max_packet).await?;
    let open = parse_open(&recv_packet(&mut socket).await?)?;
    if !open.upgrades.is_empty() {
        return Err(format!(
            "a WebSocket session offers no upgrades, got {:?}",
            open.upgrades
        )
        .into());
    }
    Ok((socket, open.sid))
}

/// Opens a long-polling session (GET without `sid`) and checks its open packet;
/// returns the connection the handshake went over and the session.
pub async fn open_polling_session(endpoint: &Endpoint) -> Result<(HttpConn, Open), BenchError> {
    let mut conn = HttpConn::open(endpoint).await?;
    let body = conn.get(&endpoint.polling_target(None)).await?;
    let mut packets = split_payload(&body);
    let open = parse_open(packets.next().unwrap_or_default())?;
    if let Some(extra) = packets.next() {
        return Err(format!(
            "the handshake answer holds more than the open packet: {}",
            show(extra)
        )
        .into());
    }
    Ok((conn, open))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_targets() {
        let endpoint = Endpoint::parse("http://127.0.0.1:3000/engine.io/").unwrap();
        assert_eq!(
            endpoint.polling_target(None),
            "/engine.io/?EIO=4&transport=polling"
        );
        assert_eq!(
            endpoint.websocket_url(Some("abc")),
            "ws://127.0.0.1:3000/engine.io/?EIO=4&transport=websocket&sid=abc"
        );
        let bare = Endpoint::parse("http://localhost:8080").unwrap();
        assert_eq!(
            bare.polling_target(Some("x")),
            "/engine.io/?EIO=4&transport=polling&sid=x"
        );
        assert!(Endpoint::parse("ws://127.0.0.1:3000/").is_err());
    }

    #[test]
    fn parses_a_v4_open_packet() {
        let open = parse_open(
            br#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
        )
        .unwrap();
        assert_eq!(open.sid, "lv_VI97HAXpY6yYWAAAC");
        assert_eq!(open.upgrades, ["websocket"]);
    }

    #[test]
    fn refuses_incomplete_or_foreign_open_packets() {
        for packet in [
            &b""[..],
            b"4hello",
            b"0{",
            br#"0{"sid":"","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1}"#,
            br#"0{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1}"#,
            br#"0{"sid":"a","upgrades":[1],"pingInterval":1,"pingTimeout":1,"maxPayload":1}"#,
            br#"0{"sid":"a","upgrades":[],"pingInterval":"1","pingTimeout":1,"maxPayload":1}"#,
        ] {
            assert!(parse_open(packet).is_err(), "{}", show(packet));
        }
    }

    #[test]
    fn splits_a_polling_payload() {
        let packets: Vec<_> = split_payload(b"4a\x1e2\x1e4").collect();
        assert_eq!(packets, [&b"4a"[..], b"2", b"4"]);
    }

    #[test]
    fn payloads_have_the_size_and_differ_by_sequence() {
        for size in [0, 1, 11, 16, 1000] {
            assert_eq!(payload(7, size).len(), size);
        }
        assert_ne!(payload(1, 16), payload(2, 16));
        assert!(payload(3, 64).starts_with("0000000003|"));
    }

    #[test]
    fn shows_long_bodies_shortened() {
        assert_eq!(show(b"ok"), "\"ok\"");
        assert!(show(&[b'x'; 200]).ends_with("(200 bytes)"));
    }
}
