//! The end of sessions: graceful shutdown, `Socket::close`, and the reasons `on_close` gets.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use duplex_engineio::{CloseReason, Config, EngineIo, Handler, Message, SendError, Socket};
use http::StatusCode;
use tokio::net::TcpStream;

#[tokio::test]
async fn graceful_shutdown_closes_every_session_and_releases_pending_polls() {
    let (server, mut events) = recording(Config::default()).await;
    let addr = server.addr;
    let engine = server.engine.clone();
    let mut polls = Vec::new();
    for _ in 0..2 {
        let session = Polling::open(addr).await;
        let url = session.url();
        polls.push(tokio::spawn(async move { get(addr, &url).await }));
    }
    let mut sockets = Vec::new();
    for _ in 0..2 {
        sockets.push(ws_open(addr).await.0);
    }
    sockets.push(upgrade(&Polling::open(addr).await).await.0);
    for _ in 0..5 {
        events.open().await;
    }
    // Lets both polls reach the server before it stops.
    tokio::time::sleep(Duration::from_millis(100)).await;

    server.stop().await;

    for poll in polls {
        let resp = within(STEP, "a pending poll", poll).await.unwrap();
        assert_eq!(resp.status, StatusCode::OK);
        assert_eq!(resp.text(), "1");
    }
    for mut ws in sockets {
        assert!(expect_close_frame(&mut ws).await.is_some());
    }
    let reasons = events.closes(5).await;
    assert!(
        reasons.values().all(|r| *r == CloseReason::ServerShutdown),
        "{reasons:?}"
    );
    assert_eq!(engine.session_count(), 0);
    within(
        Duration::from_secs(1),
        "EngineIo::shutdown",
        engine.shutdown(),
    )
    .await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn new_handshakes_are_refused_once_shutdown_has_begun() {
    let (server, mut events) = recording(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    within(STEP, "EngineIo::shutdown", server.engine.shutdown()).await;
    assert_eq!(events.close(socket.id()).await, CloseReason::ServerShutdown);
    session
        .get()
        .await
        .assert_error(400, 1, "Session ID unknown");

    // The listener still runs (only `engine` shut down): handshakes are answered 503.
    let resp = get(server.addr, &eio("EIO=4&transport=polling")).await;
    assert_eq!(resp.status, StatusCode::SERVICE_UNAVAILABLE);
    let resp = send(server.addr, ws_request(&eio("EIO=4&transport=websocket"))).await;
    assert_eq!(resp.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(server.engine.session_count(), 0);
    assert!(events.try_next().is_none());
}

/// A handler whose `on_close` takes a while (as one that logs or updates a store might).
struct SlowClose {
    closed: Arc<AtomicUsize>,
}

impl Handler for SlowClose {
    fn on_message(&self, _socket: &Arc<Socket>, _message: Message) {}

    fn on_close(&self, _socket: &Arc<Socket>, _reason: CloseReason) {
        std::thread::sleep(Duration::from_millis(200));
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_returns_after_every_on_close_has_run() {
    let closed = Arc::new(AtomicUsize::new(0));
    let handler = SlowClose {
        closed: closed.clone(),
    };
    let server = TestServer::start(EngineIo::new(Config::default(), handler)).await;
    let (_ws, _) = ws_open(server.addr).await;
    within(STEP, "EngineIo::shutdown", server.engine.shutdown()).await;
    assert_eq!(closed.load(Ordering::SeqCst), 1, "shutdown returned first");
}

#[tokio::test]
async fn socket_closed_resolves_when_the_session_ends() {
    let (server, mut events) = recording(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    let waiter = tokio::spawn({
        let socket = socket.clone();
        async move {
            socket.closed().await;
            socket.close_reason()
        }
    });
    session.post("1").await;
    assert_eq!(
        within(STEP, "Socket::closed", waiter).await.unwrap(),
        Some(CloseReason::TransportClose)
    );
    assert_eq!(
        socket.send("late"),
        Err(SendError::Closed(Message::text("late")))
    );
}

#[tokio::test]
async fn a_polling_client_gets_what_was_queued_then_the_close_after_socket_close() {
    let (server, mut events) = recording(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    socket.send("bye").unwrap();
    socket.close();
    // No poll was pending: the next one collects the message, the one after it the close
    // packet (in a response of its own, as engine.io writes it).
    let resp = session.get().await;
    assert_eq!((resp.status, resp.text()), (StatusCode::OK, "4bye"));
    let resp = session.get().await;
    assert_eq!((resp.status, resp.text()), (StatusCode::OK, "1"));
    assert_eq!(events.close(socket.id()).await, CloseReason::ForcedClose);
}

#[tokio::test]
async fn a_websocket_client_gets_what_was_queued_then_the_close_after_socket_close() {
    let (server, mut events) = recording(Config::default()).await;
    // The loss depends on select!'s random branch order: 20 sessions make it certain.
    for _ in 0..20 {
        let (mut ws, _) = ws_open(server.addr).await;
        let socket = events.open().await;
        socket.send("bye").unwrap();
        socket.close();
        assert_eq!(recv(&mut ws).await, Some(duplex_ws::Message::text("4bye")));
        assert!(expect_close_frame(&mut ws).await.is_some());
        assert_eq!(events.close(socket.id()).await, CloseReason::ForcedClose);
    }
}

#[tokio::test]
async fn a_websocket_dropped_without_a_close_frame_closes_with_transport_close() {
    let (server, mut events) = recording(Config::default()).await;
    let (ws, _) = ws_open(server.addr).await;
    let socket = events.open().await;
    drop(ws);
    assert_eq!(events.close(socket.id()).await, CloseReason::TransportClose);
}
