//! A raw Engine.IO client: hyper for polling, duplex-ws for WebSocket. It speaks the wire
//! format by hand so the tests check bytes, not our own decoder.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use duplex_engineio::Sid;
use duplex_ws::{MaybeTlsStream, WebSocket};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::{STEP, within};

// ---------------------------------------------------------------------------------------------
// HTTP

/// A complete response.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    /// The body as UTF-8.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }

    /// Asserts a 400/403 Engine.IO error answer with this code and message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: u8, message: &str) {
        assert_eq!(self.status.as_u16(), status, "status of {self:?}");
        let expected = serde_json::json!({ "code": code, "message": message }).to_string();
        assert_eq!(self.text(), expected, "body of {self:?}");
    }
}

/// A request body with no declared length, sent chunked.
pub struct Chunked(pub VecDeque<Bytes>);

impl Body for Chunked {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.0.pop_front().map(|chunk| Ok(Frame::data(chunk))))
    }
}

/// Sends one request over its own HTTP/1.1 connection, closed once the response is read, so
/// no connection outlives the request on either side.
pub async fn send<B>(addr: SocketAddr, request: Request<B>) -> Resp
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let work = async {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .expect("HTTP/1.1 handshake");
        let driver = tokio::spawn(connection);
        let response = sender.send_request(request).await.expect("a response");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("the body").to_bytes();
        drop(sender);
        let _ = driver.await;
        Resp {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    };
    within(STEP, "an HTTP exchange", work).await
}

/// A request to `path_and_query` with `headers` and a complete body.
pub fn request(
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("host", "127.0.0.1");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Full::new(body.into())).unwrap()
}

/// `GET path_and_query`.
pub async fn get(addr: SocketAddr, path_and_query: &str) -> Resp {
    send(
        addr,
        request(Method::GET, path_and_query, &[], Bytes::new()),
    )
    .await
}

/// `POST path_and_query` with `body`.
pub async fn post(addr: SocketAddr, path_and_query: &str, body: impl Into<Bytes>) -> Resp {
    send(addr, request(Method::POST, path_and_query, &[], body)).await
}

/// The packets of a v4 polling payload.
pub fn packets(payload: &str) -> Vec<String> {
    payload.split('\x1e').map(str::to_owned).collect()
}

/// The JSON of an open packet (`0{...}`).
pub fn open_json(packet: &str) -> serde_json::Value {
    let json = packet
        .strip_prefix('0')
        .unwrap_or_else(|| panic!("not an open packet: {packet:?}"));
    serde_json::from_str(json).expect("open packet JSON")
}

/// The Engine.IO path with this query.
pub fn eio(query: &str) -> String {
    format!("/engine.io/?{query}")
}

// ---------------------------------------------------------------------------------------------
// A polling session

/// A v4 polling session, as the client sees it.
pub struct Polling {
    pub addr: SocketAddr,
    pub sid: String,
    /// The open packet's JSON.
    pub open: serde_json::Value,
    /// The packets that came with the open packet in the handshake response.
    pub first: Vec<String>,
}

impl Polling {
    /// Handshakes a new session.
    pub async fn open(addr: SocketAddr) -> Polling {
        let resp = get(addr, &eio("EIO=4&transport=polling")).await;
        assert_eq!(resp.status, StatusCode::OK, "handshake: {resp:?}");
        let mut all = packets(resp.text());
        let open = open_json(&all.remove(0));
        let sid = open["sid"].as_str().expect("sid").to_owned();
        Polling {
            addr,
            sid,
            open,
            first: all,
        }
    }

    /// The session id, typed.
    pub fn sid(&self) -> Sid {
        Sid::parse(&self.sid).expect("a valid sid")
    }

    /// The polling URL of this session.
    pub fn url(&self) -> String {
        eio(&format!("EIO=4&transport=polling&sid={}", self.sid))
    }

    /// One long-poll.
    pub async fn get(&self) -> Resp {
        get(self.addr, &self.url()).await
    }

    /// One long-poll that must succeed; its packets.
    pub async fn poll(&self) -> Vec<String> {
        let resp = self.get().await;
        assert_eq!(resp.status, StatusCode::OK, "poll: {resp:?}");
        packets(resp.text())
    }

    /// One POST that must be answered `200 ok`.
    pub async fn post(&self, body: impl Into<Bytes>) {
        let resp = post(self.addr, &self.url(), body).await;
        assert_eq!(resp.status, StatusCode::OK, "post: {resp:?}");
        assert_eq!(resp.text(), "ok");
    }
}

// ---------------------------------------------------------------------------------------------
// WebSocket

/// A client WebSocket.
pub type Ws = WebSocket<MaybeTlsStream>;

/// Connects a WebSocket to `path_and_query`.
pub async fn ws_connect(addr: SocketAddr, path_and_query: &str) -> Ws {
    let url = format!("ws://{addr}{path_and_query}");
    let (ws, response) = within(STEP, "the WebSocket handshake", duplex_ws::connect(&url))
        .await
        .unwrap_or_else(|e| panic!("WebSocket handshake to {url}: {e}"));
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    ws
}

/// Opens a session over WebSocket alone; returns it with its sid.
pub async fn ws_open(addr: SocketAddr) -> (Ws, String) {
    let mut ws = ws_connect(addr, &eio("EIO=4&transport=websocket")).await;
    let open = open_json(&recv_text(&mut ws).await);
    assert_eq!(open["upgrades"], serde_json::json!([]));
    let sid = open["sid"].as_str().expect("sid").to_owned();
    (ws, sid)
}

/// The next WebSocket message that is not a WebSocket ping or pong; `None` once closed.
pub async fn recv(ws: &mut Ws) -> Option<duplex_ws::Message> {
    loop {
        match within(STEP, "a WebSocket message", ws.recv()).await {
            Some(Ok(duplex_ws::Message::Ping(_) | duplex_ws::Message::Pong(_))) => {}
            Some(Ok(message)) => return Some(message),
            Some(Err(_)) | None => return None,
        }
    }
}

/// The next message, which must be text.
pub async fn recv_text(ws: &mut Ws) -> String {
    match recv(ws).await {
        Some(duplex_ws::Message::Text(text)) => text.as_str().to_owned(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

/// Sends a text message.
pub async fn send_text(ws: &mut Ws, text: &str) {
    within(
        STEP,
        "a WebSocket send",
        ws.send(duplex_ws::Message::text(text)),
    )
    .await
    .expect("WebSocket send");
}

/// Reads until the server's close frame, which it returns (`None` if the connection ended
/// without one), then lets the close handshake finish.
pub async fn expect_close_frame(ws: &mut Ws) -> Option<duplex_ws::CloseFrame> {
    expect_close_frame_after(ws, &[]).await
}

/// [`expect_close_frame`], allowing the text messages in `allowed` to come first.
pub async fn expect_close_frame_after(
    ws: &mut Ws,
    allowed: &[&str],
) -> Option<duplex_ws::CloseFrame> {
    loop {
        match recv(ws).await {
            Some(duplex_ws::Message::Close(frame)) => {
                // Finishes the close handshake (our echo, then the end of the stream).
                while within(STEP, "the end of the WebSocket", ws.recv())
                    .await
                    .is_some()
                {}
                return frame;
            }
            Some(duplex_ws::Message::Text(text)) if allowed.contains(&text.as_str()) => {}
            Some(other) => panic!("expected a close frame, got {other:?}"),
            None => return None,
        }
    }
}

/// Upgrades a polling session to WebSocket the way `engine.io-client` does: probe, wait for
/// the pending poll to come back with a noop, then `5`. Returns the WebSocket and the message
/// packets the last polls carried (in order).
pub async fn upgrade(session: &Polling) -> (Ws, Vec<String>) {
    let addr = session.addr;
    let url = session.url();
    let poller = tokio::spawn(async move {
        let mut carried = Vec::new();
        loop {
            let resp = get(addr, &url).await;
            assert_eq!(resp.status, StatusCode::OK, "poll during upgrade: {resp:?}");
            let packets = packets(resp.text());
            let released = packets.iter().any(|p| p == "6");
            carried.extend(packets.into_iter().filter(|p| p.starts_with('4')));
            if released {
                return carried;
            }
        }
    });
    let mut ws = ws_connect(
        addr,
        &eio(&format!("EIO=4&transport=websocket&sid={}", session.sid)),
    )
    .await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(recv_text(&mut ws).await, "3probe");
    let carried = within(STEP, "the pending poll to return 6", poller)
        .await
        .expect("poller");
    send_text(&mut ws, "5").await;
    (ws, carried)
}

/// A WebSocket handshake request, sent over plain HTTP/1.1 so a refusal's status and body can
/// be read.
pub fn ws_request(path_and_query: &str) -> Request<Full<Bytes>> {
    request(
        Method::GET,
        path_and_query,
        &[
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        Bytes::new(),
    )
}
