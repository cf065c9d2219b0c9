//! Limits and broken clients: messages and bodies over `max_http_buffer_size`, payloads that
//! are not Engine.IO, and overlapping long-polls. Each closes the session with its reason.

mod common;

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use duplex_engineio::{CloseReason, Config, Message, Sid};
use http::{Method, Request, StatusCode};

const LIMIT: usize = 1000;

fn limited() -> Config {
    Config::default().max_http_buffer_size(LIMIT)
}

/// A text message packet of exactly `len` bytes.
fn packet_of(len: usize) -> String {
    format!("4{}", "x".repeat(len - 1))
}

#[tokio::test]
async fn a_websocket_message_over_the_limit_closes_with_1009_and_transport_error() {
    let (server, mut events) = echoing(limited()).await;
    let (mut ws, sid) = ws_open(server.addr).await;
    let sid = Sid::parse(&sid).unwrap();
    events.open().await;

    let at_limit = packet_of(LIMIT);
    send_text(&mut ws, &at_limit).await;
    assert_eq!(recv_text(&mut ws).await, at_limit);
    events.message(sid).await;

    send_text(&mut ws, &packet_of(LIMIT + 1)).await;
    let frame = expect_close_frame(&mut ws).await.expect("a close frame");
    assert_eq!(frame.code.0, 1009);
    assert_eq!(events.close(sid).await, CloseReason::TransportError);
}

#[tokio::test]
async fn a_post_over_the_limit_is_refused_with_413_and_closes_the_session() {
    let (server, mut events) = recording(limited()).await;

    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    session.post(packet_of(LIMIT)).await;
    assert_eq!(events.message(socket.id()).await.len(), LIMIT - 1);
    let resp = post(server.addr, &session.url(), packet_of(LIMIT + 1)).await;
    assert_eq!(resp.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(events.close(socket.id()).await, CloseReason::TransportError);
    session
        .get()
        .await
        .assert_error(400, 1, "Session ID unknown");

    // The same without a Content-Length: the body is cut off as it is read.
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    let chunks: VecDeque<Bytes> = (0..3).map(|_| Bytes::from("x".repeat(LIMIT / 2))).collect();
    let request = Request::builder()
        .method(Method::POST)
        .uri(session.url())
        .header("host", "127.0.0.1")
        .body(Chunked(chunks))
        .unwrap();
    let resp = send(server.addr, request).await;
    assert_eq!(resp.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(events.close(socket.id()).await, CloseReason::TransportError);
    session
        .get()
        .await
        .assert_error(400, 1, "Session ID unknown");
}

#[tokio::test]
async fn a_malformed_post_is_refused_with_400_and_closes_with_parse_error() {
    let (server, mut events) = recording(Config::default()).await;
    let bodies: [&[u8]; 4] = [b"9unknown type", b"\xff\xfe", b"bnot base64!", b"4ok\x1e"];
    for body in bodies {
        let session = Polling::open(server.addr).await;
        let socket = events.open().await;
        post(server.addr, &session.url(), Bytes::from_static(body))
            .await
            .assert_error(400, 3, "Bad request");
        let reason = events.close(socket.id()).await;
        assert_eq!(reason, CloseReason::ParseError, "body {body:?}");
        session
            .get()
            .await
            .assert_error(400, 1, "Session ID unknown");
    }
}

#[tokio::test]
async fn a_malformed_websocket_packet_closes_with_parse_error() {
    let (server, mut events) = recording(Config::default()).await;
    let (mut ws, sid) = ws_open(server.addr).await;
    let sid = Sid::parse(&sid).unwrap();
    events.open().await;
    send_text(&mut ws, "9unknown type").await;
    assert!(expect_close_frame(&mut ws).await.is_some());
    assert_eq!(events.close(sid).await, CloseReason::ParseError);
}

#[tokio::test]
async fn a_second_concurrent_poll_is_refused_and_closes_the_session() {
    let (server, mut events) = recording(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    let (addr, url) = (server.addr, session.url());
    let first = tokio::spawn(async move { get(addr, &url).await });
    // Lets the first poll reach the server and wait there.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!first.is_finished());

    session.get().await.assert_error(400, 3, "Bad request");
    let first = within(STEP, "the first poll", first).await.unwrap();
    assert_eq!((first.status, first.text()), (StatusCode::OK, "1"));
    assert_eq!(events.close(socket.id()).await, CloseReason::TransportError);
    assert_eq!(
        socket.send("late"),
        Err(duplex_engineio::SendError::Closed(Message::text("late")))
    );
}

#[tokio::test]
async fn a_poll_whose_connection_dropped_does_not_count_as_pending() {
    use tokio::io::AsyncWriteExt;

    let (server, mut events) = echoing(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    // A proxy that gives up on a long-poll closes its connection; the client polls again.
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", session.url());
    tcp.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(tcp);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let (addr, url) = (server.addr, session.url());
    let again = tokio::spawn(async move { get(addr, &url).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    session.post("4still here").await;
    let resp = within(STEP, "the new poll", again).await.unwrap();
    assert_eq!((resp.status, resp.text()), (StatusCode::OK, "4still here"));
    assert!(!socket.is_closed());
}

#[tokio::test]
async fn a_second_concurrent_post_is_refused_and_closes_the_session() {
    use tokio::io::AsyncWriteExt;

    let (server, mut events) = recording(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    // A POST whose body has not all arrived yet.
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n4partial",
        session.url()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    post(server.addr, &session.url(), "4second")
        .await
        .assert_error(400, 3, "Bad request");
    assert_eq!(events.close(socket.id()).await, CloseReason::TransportError);
    drop(tcp);
    assert!(events.try_next().is_none(), "no message was delivered");
}

#[tokio::test]
async fn packets_after_a_close_packet_in_one_post_are_ignored() {
    let (server, mut events) = recording(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    session.post("4before\x1e1\x1e4after").await;
    assert_eq!(events.message(socket.id()).await, Message::text("before"));
    assert_eq!(events.close(socket.id()).await, CloseReason::TransportClose);
    events.assert_quiet(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_v4_client_that_pings_breaks_the_heartbeat_direction() {
    let (server, mut events) = recording(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    session.post("2").await;
    assert_eq!(events.close(socket.id()).await, CloseReason::TransportError);

    let (mut ws, sid) = ws_open(server.addr).await;
    let sid = Sid::parse(&sid).unwrap();
    events.open().await;
    send_text(&mut ws, "2").await;
    assert!(expect_close_frame(&mut ws).await.is_some());
    assert_eq!(events.close(sid).await, CloseReason::TransportError);
}
