//! A session's life: every way it ends leaves no task behind, the heartbeat closes silent
//! peers, graceful shutdown closes everything and lets pending polls return, and the bounded
//! outgoing queue refuses rather than grows.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use duplex_engineio::{CloseReason, Config, EngineIo, Handler, Message, SendError, Sid, Socket};
use http::StatusCode;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Sends a long-poll GET by hand and drops the TCP connection while it is pending.
async fn poll_then_drop_tcp(addr: SocketAddr, session: &Polling) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", session.url());
    tcp.write_all(head.as_bytes()).await.unwrap();
    // Long enough for the server to start waiting on the poll.
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(tcp);
}

/// Collects `n` close events (opens and messages are skipped) as sid → reason.
async fn closes(events: &mut Events, n: usize) -> HashMap<Sid, CloseReason> {
    let mut reasons = HashMap::new();
    while reasons.len() < n {
        if let Event::Close(sid, reason) = events.next().await {
            assert!(reasons.insert(sid, reason).is_none(), "{sid} closed twice");
        }
    }
    reasons
}

fn sid(text: &str) -> Sid {
    Sid::parse(text).unwrap()
}

#[tokio::test]
async fn no_task_is_left_behind_after_sessions_end_in_every_way() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let before_servers = metrics.num_alive_tasks();
    // Server `a` has a heartbeat slower than the test: its sessions end only as the test
    // ends them. Server `b`'s heartbeat ends every session it has.
    let (a, mut a_events) = recording(
        Config::default()
            .ping_interval(Duration::from_secs(20))
            .ping_timeout(Duration::from_secs(20)),
    )
    .await;
    let (b, mut b_events) = recording(
        Config::default()
            .ping_interval(Duration::from_secs(1))
            .ping_timeout(Duration::from_millis(200)),
    )
    .await;
    let baseline = metrics.num_alive_tasks();
    let a_addr = a.addr;
    let mut expected: HashMap<Sid, CloseReason> = HashMap::new();
    let mut dropped: Vec<Sid> = Vec::new();

    // 10 polling sessions.
    let mut polls = Vec::new();
    for _ in 0..8 {
        polls.push(Polling::open(a.addr).await);
    }
    for session in &polls[0..2] {
        session.post("1").await;
        expected.insert(session.sid(), CloseReason::TransportClose);
    }
    for session in &polls[2..4] {
        a.engine.socket(session.sid()).unwrap().close();
        // The close packet, or (today: see the ignored test below) a session already gone.
        let resp = session.get().await;
        assert!(
            (resp.status, resp.text()) == (StatusCode::OK, "1")
                || resp.text() == r#"{"code":1,"message":"Session ID unknown"}"#,
            "{resp:?}"
        );
        expected.insert(session.sid(), CloseReason::ForcedClose);
    }
    for session in &polls[4..6] {
        let url = session.url();
        let pending = tokio::spawn(async move { get(a_addr, &url).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        session.post("1").await;
        let resp = within(STEP, "the pending poll", pending).await.unwrap();
        assert_eq!(
            resp.text(),
            "6",
            "a client close releases the poll with a noop"
        );
        expected.insert(session.sid(), CloseReason::TransportClose);
    }
    for session in &polls[6..8] {
        let url = session.url();
        let pending = tokio::spawn(async move { get(a_addr, &url).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        a.engine.socket(session.sid()).unwrap().close();
        let resp = within(STEP, "the pending poll", pending).await.unwrap();
        assert_eq!(resp.text(), "1");
        expected.insert(session.sid(), CloseReason::ForcedClose);
    }
    let expiring = Polling::open(b.addr).await;
    expected.insert(expiring.sid(), CloseReason::PingTimeout);
    let abandoned = Polling::open(b.addr).await;
    poll_then_drop_tcp(b.addr, &abandoned).await;
    expected.insert(abandoned.sid(), CloseReason::PingTimeout);

    // 10 WebSocket sessions.
    for _ in 0..2 {
        let (mut ws, id) = ws_open(a.addr).await;
        send_text(&mut ws, "1").await;
        // The noop that would release a pending long-poll may come first.
        let frame = expect_close_frame_after(&mut ws, &["6"]).await;
        assert_eq!(frame.map(|f| f.code.0), Some(1000));
        expected.insert(sid(&id), CloseReason::TransportClose);
    }
    for _ in 0..2 {
        let (mut ws, id) = ws_open(a.addr).await;
        within(STEP, "the client's close", ws.close(None))
            .await
            .unwrap();
        expected.insert(sid(&id), CloseReason::TransportClose);
    }
    for _ in 0..2 {
        let (mut ws, id) = ws_open(a.addr).await;
        a.engine.socket(sid(&id)).unwrap().close();
        assert_eq!(
            expect_close_frame(&mut ws).await.map(|f| f.code.0),
            Some(1000)
        );
        expected.insert(sid(&id), CloseReason::ForcedClose);
    }
    for _ in 0..2 {
        let (ws, id) = ws_open(a.addr).await;
        drop(ws);
        dropped.push(sid(&id));
    }
    let mut silent = Vec::new();
    for _ in 0..2 {
        let (ws, id) = ws_open(b.addr).await;
        silent.push(ws);
        expected.insert(sid(&id), CloseReason::PingTimeout);
    }

    // 5 upgraded sessions.
    let session = Polling::open(a.addr).await;
    let (mut ws, _) = upgrade(&session).await;
    send_text(&mut ws, "1").await;
    let frame = expect_close_frame_after(&mut ws, &["6"]).await;
    assert_eq!(frame.map(|f| f.code.0), Some(1000));
    expected.insert(session.sid(), CloseReason::TransportClose);

    let session = Polling::open(a.addr).await;
    let (mut ws, _) = upgrade(&session).await;
    within(STEP, "the client's close", ws.close(None))
        .await
        .unwrap();
    expected.insert(session.sid(), CloseReason::TransportClose);

    let session = Polling::open(a.addr).await;
    let (mut ws, _) = upgrade(&session).await;
    // The upgrade completes when the server reads `5`; close only after that.
    within(STEP, "the upgrade to complete", async {
        while a.engine.socket(session.sid()).unwrap().transport()
            != duplex_engineio::Transport::Websocket
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    a.engine.socket(session.sid()).unwrap().close();
    assert_eq!(
        expect_close_frame(&mut ws).await.map(|f| f.code.0),
        Some(1000)
    );
    expected.insert(session.sid(), CloseReason::ForcedClose);

    let session = Polling::open(a.addr).await;
    let (ws, _) = upgrade(&session).await;
    drop(ws);
    dropped.push(session.sid());

    let session = Polling::open(b.addr).await;
    let (ws, _) = upgrade(&session).await;
    silent.push(ws);
    expected.insert(session.sid(), CloseReason::PingTimeout);

    // The three silent sessions still run: each has its heartbeat task and its WebSocket
    // task, so the count below measures something.
    assert!(metrics.num_alive_tasks() >= baseline + 6);

    // Every on_close, with the reason each ending should give.
    let mut reasons = closes(&mut a_events, 20).await;
    reasons.extend(closes(&mut b_events, 5).await);
    for id in &dropped {
        let reason = reasons.remove(id).unwrap();
        assert!(
            matches!(
                reason,
                CloseReason::TransportClose | CloseReason::TransportError
            ),
            "a dropped connection closed {id} with {reason:?}"
        );
    }
    assert_eq!(reasons, expected);
    for mut ws in silent {
        // Pings (unanswered), then the close.
        assert!(expect_close_frame_after(&mut ws, &["2"]).await.is_some());
    }

    within(STEP, "every session's tasks to end", async {
        while metrics.num_alive_tasks() != baseline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(a.engine.session_count() + b.engine.session_count(), 0);
    a.stop().await;
    b.stop().await;
    within(STEP, "the servers' tasks to end", async {
        while metrics.num_alive_tasks() != before_servers {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_polling_session_that_never_answers_pings_closes_with_ping_timeout() {
    let interval = Duration::from_millis(200);
    let timeout = Duration::from_millis(200);
    let (server, mut events) = recording(
        Config::default()
            .ping_interval(interval)
            .ping_timeout(timeout),
    )
    .await;
    let start = Instant::now();
    let waiting = Polling::open(server.addr).await;
    let idle = Polling::open(server.addr).await;
    assert_eq!(waiting.open["pingInterval"], 200);
    assert_eq!(waiting.open["pingTimeout"], 200);

    assert_eq!(waiting.poll().await, ["2"]);
    assert!(
        start.elapsed() >= interval,
        "pinged early: {:?}",
        start.elapsed()
    );
    // The client never answers; this poll is pending when the session expires.
    let resp = waiting.get().await;
    let elapsed = start.elapsed();
    assert_eq!((resp.status, resp.text()), (StatusCode::OK, "1"));
    assert!(elapsed >= interval + timeout, "expired early: {elapsed:?}");
    assert!(
        elapsed < interval + timeout + Duration::from_millis(1500),
        "expired late: {elapsed:?}"
    );

    let reasons = closes(&mut events, 2).await;
    assert_eq!(reasons[&waiting.sid()], CloseReason::PingTimeout);
    assert_eq!(reasons[&idle.sid()], CloseReason::PingTimeout);
    // No poll was pending on `idle`: its next poll learns the session is gone.
    idle.get().await.assert_error(400, 1, "Session ID unknown");
    waiting
        .get()
        .await
        .assert_error(400, 1, "Session ID unknown");
}

#[tokio::test]
async fn a_websocket_client_that_answers_pings_stays_open_and_one_that_stops_is_closed() {
    let interval = Duration::from_millis(150);
    let timeout = Duration::from_millis(250);
    let (server, mut events) = recording(
        Config::default()
            .ping_interval(interval)
            .ping_timeout(timeout),
    )
    .await;
    let (mut ws, id) = ws_open(server.addr).await;
    let socket = events.open().await;
    assert_eq!(socket.id().as_str(), id);

    let start = Instant::now();
    for _ in 0..6 {
        assert_eq!(recv_text(&mut ws).await, "2");
        send_text(&mut ws, "3").await;
    }
    assert!(start.elapsed() >= interval * 5, "{:?}", start.elapsed());
    assert!(!socket.is_closed());
    assert!(server.engine.socket(socket.id()).is_some());
    assert!(events.try_next().is_none(), "nothing but pongs happened");

    assert_eq!(recv_text(&mut ws).await, "2");
    let unanswered = Instant::now();
    let frame = expect_close_frame(&mut ws).await;
    let elapsed = unanswered.elapsed();
    assert!(frame.is_some(), "the server closes with a close frame");
    assert!(
        elapsed >= timeout - Duration::from_millis(50),
        "{elapsed:?}"
    );
    assert!(
        elapsed < timeout + Duration::from_millis(1500),
        "{elapsed:?}"
    );
    assert_eq!(events.close(socket.id()).await, CloseReason::PingTimeout);
    assert_eq!(socket.close_reason(), Some(CloseReason::PingTimeout));
}

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
    for _ in 0..4 {
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
    let reasons = closes(&mut events, 4).await;
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
async fn a_full_outgoing_queue_refuses_the_message_and_keeps_the_session() {
    let (server, mut events) = recording(Config::default().max_queued_packets(8)).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    assert!(session.first.is_empty());

    for i in 0..8 {
        socket.send(format!("m{i}")).unwrap();
    }
    assert_eq!(socket.send("m8"), Err(SendError::Full(Message::text("m8"))));
    assert!(!socket.is_closed());
    assert!(server.engine.socket(socket.id()).is_some());

    let expected: Vec<String> = (0..8).map(|i| format!("4m{i}")).collect();
    assert_eq!(session.poll().await, expected);
    socket.send("m8").unwrap();
    assert_eq!(session.poll().await, ["4m8"]);
    assert!(events.try_next().is_none());
}

#[tokio::test]
async fn a_polling_client_that_answers_pings_stays_open() {
    let interval = Duration::from_millis(100);
    let (server, mut events) = recording(
        Config::default()
            .ping_interval(interval)
            .ping_timeout(Duration::from_millis(300)),
    )
    .await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    let start = Instant::now();
    for _ in 0..5 {
        assert_eq!(session.poll().await, ["2"]);
        session.post("3").await;
    }
    assert!(start.elapsed() >= interval * 5, "{:?}", start.elapsed());
    assert!(!socket.is_closed());
    assert!(events.try_next().is_none());
}

#[tokio::test]
#[ignore = "server bug: after a pong the heartbeat task sleeps until the old pong deadline, so pings come every max(ping_interval, ping_timeout)"]
async fn pings_come_every_ping_interval_when_pongs_are_prompt() {
    // A ping timeout longer than the interval: the next ping is due one interval after the
    // pong, not when the previous ping would have expired.
    let interval = Duration::from_millis(100);
    let timeout = Duration::from_millis(600);
    let (server, _events) = recording(
        Config::default()
            .ping_interval(interval)
            .ping_timeout(timeout),
    )
    .await;
    let (mut ws, _) = ws_open(server.addr).await;
    assert_eq!(recv_text(&mut ws).await, "2");
    send_text(&mut ws, "3").await;
    let ponged = Instant::now();
    assert_eq!(recv_text(&mut ws).await, "2");
    let gap = ponged.elapsed();
    assert!(
        gap < interval + Duration::from_millis(250),
        "the next ping came {gap:?} after the pong (ping_interval {interval:?})"
    );
}

#[tokio::test]
#[ignore = "server bug: a closed polling session is unregistered at once, so the next poll gets 400 instead of the queued packets and the close"]
async fn a_polling_client_gets_what_was_queued_then_the_close_after_socket_close() {
    let (server, mut events) = recording(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    socket.send("bye").unwrap();
    socket.close();
    // No poll was pending: the next one collects the message and the close packet.
    let resp = session.get().await;
    assert_eq!((resp.status, resp.text()), (StatusCode::OK, "4bye\x1e1"));
    assert_eq!(events.close(socket.id()).await, CloseReason::ForcedClose);
}

#[tokio::test]
#[ignore = "server bug: carry() drops a batch queued just before Socket::close (select! against an already-cancelled token)"]
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
#[ignore = "server bug: a session is unregistered before its on_close runs, so EngineIo::shutdown can return before on_close has run"]
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
#[ignore = "server bug (parity): a WebSocket that ends without a close frame gives TransportError; engine.io gives \"transport close\""]
async fn a_websocket_dropped_without_a_close_frame_closes_with_transport_close() {
    let (server, mut events) = recording(Config::default()).await;
    let (ws, _) = ws_open(server.addr).await;
    let socket = events.open().await;
    drop(ws);
    assert_eq!(events.close(socket.id()).await, CloseReason::TransportClose);
}
