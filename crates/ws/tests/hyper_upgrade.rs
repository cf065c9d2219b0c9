//! `duplex_ws::upgrade` inside a real hyper 1.x server: our client upgrades and
//! gets echoes, a plain GET to the same server gets a normal response, and a
//! request the `check_request` hook refuses reaches our client as a 403 with
//! the reason from the body.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use duplex_ws::proto::HandshakeError;
use duplex_ws::{
    ClientConfig, ClientRequest, DeflateConfig, Error, Rejection, ServerConfig, ServerHandshake,
    connect_with, is_upgrade_request, upgrade,
};
use http::header::{HeaderValue, ORIGIN};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use common::echo::{ServerSide, serve};

const TRUSTED_ORIGIN: &str = "https://app.example";
const REFUSAL: &str = "origin not allowed";

/// A hyper server whose WebSocket upgrades echo, and whose other requests get
/// "plain hello". Aborted when the test ends with the runtime.
async fn start_hyper() -> (SocketAddr, mpsc::UnboundedReceiver<ServerSide>) {
    let handshake = ServerHandshake::new()
        .deflate(Some(DeflateConfig::default()))
        .check_request(|request| {
            // Browsers send their page's Origin; only ours may open a socket.
            match request.headers().get(ORIGIN) {
                Some(origin) if origin != TRUSTED_ORIGIN => {
                    Err(Rejection::new(StatusCode::FORBIDDEN, REFUSAL))
                }
                _ => Ok(()),
            }
        });
    let server = Arc::new(ServerConfig::default().handshake(handshake));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (server, tx) = (server.clone(), tx.clone());
            tokio::spawn(async move {
                let service =
                    service_fn(move |request| handle(request, server.clone(), tx.clone()));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    (addr, rx)
}

async fn handle(
    mut request: Request<Incoming>,
    server: Arc<ServerConfig>,
    reports: mpsc::UnboundedSender<ServerSide>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if !is_upgrade_request(&request) {
        return Ok(Response::new(Full::new(Bytes::from_static(b"plain hello"))));
    }
    match upgrade(&mut request, &server) {
        Ok((response, pending)) => {
            tokio::spawn(async move {
                let report = serve(pending.await, "upgrade").await;
                let _ = reports.send(report);
            });
            Ok(response.map(|()| Full::default()))
        }
        Err(rejection) => Ok(rejection
            .to_response()
            .map(|body| Full::new(Bytes::from(body)))),
    }
}

#[tokio::test]
async fn our_client_upgrades_through_hyper_and_gets_echoes() {
    let (addr, mut reports) = start_hyper().await;
    let url = format!("ws://{addr}/ws");
    let deflate = Some(DeflateConfig::default());
    let reason = common::echo::OUR_CLOSE_ECHO_REASON;
    let side = common::conversation::run(&url, deflate, reason, "hyper").await;
    assert!(side.compressed, "{side:?}");
    assert_eq!(side.extensions, "permessage-deflate");
    let server = common::within("hyper report", reports.recv())
        .await
        .expect("report");
    assert!(server.compressed);
    assert_eq!(server.messages, common::conversation::messages().len());
    assert_eq!(server.error, None);
}

#[tokio::test]
async fn a_trusted_origin_is_let_through() {
    let (addr, _reports) = start_hyper().await;
    let request = ClientRequest::new(&format!("ws://{addr}/"))
        .expect("url")
        .header(ORIGIN, HeaderValue::from_static(TRUSTED_ORIGIN));
    let (mut socket, response) = connect_with(request, &ClientConfig::default())
        .await
        .expect("trusted origin accepted");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    socket
        .send(duplex_ws::Message::text("hi"))
        .await
        .expect("send");
    let echo = socket.recv().await.expect("echo").expect("echo");
    assert_eq!(echo, duplex_ws::Message::text("hi"));
    socket.close(None).await.expect("close");
}

#[tokio::test]
async fn a_plain_get_gets_a_normal_response() {
    let (addr, _reports) = start_hyper().await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    common::within("plain GET", stream.read_to_string(&mut response))
        .await
        .expect("read");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nplain hello"), "{response}");
}

#[tokio::test]
async fn a_refused_origin_reaches_our_client_as_403_with_the_reason() {
    let (addr, _reports) = start_hyper().await;
    let request = ClientRequest::new(&format!("ws://{addr}/"))
        .expect("url")
        .header(ORIGIN, HeaderValue::from_static("https://evil.example"));
    let error = connect_with(request, &ClientConfig::default())
        .await
        .expect_err("the hook refuses this origin");
    match error {
        Error::Handshake(HandshakeError::Status { status, body }) => {
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert_eq!(body, REFUSAL);
        }
        other => panic!("expected Handshake(Status 403), got {other:?}"),
    }
}
