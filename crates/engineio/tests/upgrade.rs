//! The upgrade of a polling session to WebSocket: nothing lost or reordered across the switch,
//! the timeout when it never completes, and the requests refused around it.

mod common;

use std::time::{Duration, Instant};

use common::*;
use duplex_engineio::{Config, EngineIo, Message, Transport};
use http::StatusCode;

/// Messages the server sends while the client upgrades.
const N: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_packet_is_lost_or_reordered_across_the_upgrade() {
    let (recorder, mut events) = Recorder::new();
    let recorder = recorder.on_open(|socket| {
        let socket = socket.clone();
        tokio::spawn(async move {
            for i in 0..N {
                socket.send(i.to_string()).expect("queued");
                tokio::task::yield_now().await;
                // Spreads the sends over the whole upgrade (a few hundred ms).
                if i % 10 == 9 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        });
    });
    let config = Config::default().max_queued_packets(N + 16);
    let server = TestServer::start(EngineIo::new(config, recorder)).await;
    let addr = server.addr;

    let session = Polling::open(addr).await;
    let sid = session.sid();
    let mut by_polling: Vec<String> = session.first.clone();
    let url = session.url();
    let poller = tokio::spawn(async move {
        let mut carried = Vec::new();
        let mut polls = 0;
        loop {
            let resp = get(addr, &url).await;
            assert_eq!(resp.status, StatusCode::OK, "{resp:?}");
            polls += 1;
            let packets = packets(resp.text());
            let released = packets.iter().any(|p| p == "6");
            carried.extend(packets.into_iter().filter(|p| p != "6"));
            if released {
                return (carried, polls);
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
    session.post("4c0\x1e4c1\x1e4c2").await;
    session.post("4c3").await;
    let (carried, polls) = within(STEP, "the poll released by the probe", poller)
        .await
        .unwrap();
    by_polling.extend(carried);
    session.post("4c4\x1e4c5").await;
    send_text(&mut ws, "5").await;
    for i in 6..10 {
        send_text(&mut ws, &format!("4c{i}")).await;
    }

    let mut by_websocket = Vec::new();
    while by_polling.len() + by_websocket.len() < N {
        by_websocket.push(recv_text(&mut ws).await);
    }
    let expected: Vec<String> = (0..N).map(|i| format!("4{i}")).collect();
    let received: Vec<String> = by_polling.iter().chain(&by_websocket).cloned().collect();
    assert_eq!(received, expected);
    // Both transports carried part of the stream, so the switch happened mid-stream.
    assert!(
        polls >= 1 && !by_websocket.is_empty() && by_polling.len() > session.first.len(),
        "polling carried {}, websocket {}",
        by_polling.len(),
        by_websocket.len()
    );

    let socket = events.open().await;
    assert_eq!(socket.transport(), Transport::Websocket);
    for i in 0..10 {
        assert_eq!(events.message(sid).await, Message::text(format!("c{i}")));
    }
}

#[tokio::test]
async fn an_upgrade_without_5_times_out_and_the_session_stays_on_polling() {
    let timeout = Duration::from_millis(300);
    let (server, mut events) = echoing(Config::default().upgrade_timeout(timeout)).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    let ws_url = eio(&format!("EIO=4&transport=websocket&sid={}", session.sid));

    let connected = Instant::now();
    let mut ws = ws_connect(server.addr, &ws_url).await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(recv_text(&mut ws).await, "3probe");
    assert!(expect_close_frame(&mut ws).await.is_some());
    let elapsed = connected.elapsed();
    assert!(elapsed >= timeout, "closed early: {elapsed:?}");
    assert!(
        elapsed < timeout + Duration::from_millis(1500),
        "{elapsed:?}"
    );

    assert_eq!(socket.transport(), Transport::Polling);
    assert!(!socket.is_closed());
    // Back on polling: polls wait again, and the probe left no noop behind.
    session.post("4hello").await;
    assert_eq!(session.poll().await, ["4hello"]);
    assert_eq!(events.message(socket.id()).await, Message::text("hello"));

    // A failed upgrade does not stop a later one.
    let (mut ws, carried) = upgrade(&session).await;
    assert!(carried.is_empty());
    send_text(&mut ws, "4again").await;
    assert_eq!(recv_text(&mut ws).await, "4again");
    assert_eq!(socket.transport(), Transport::Websocket);
    assert!(
        events
            .try_next()
            .is_some_and(|e| matches!(e, Event::Message(..)))
    );
}

#[tokio::test]
async fn a_probe_that_is_not_2probe_fails_and_the_session_stays_on_polling() {
    let (server, mut events) = echoing(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    let mut ws = ws_connect(
        server.addr,
        &eio(&format!("EIO=4&transport=websocket&sid={}", session.sid)),
    )
    .await;
    send_text(&mut ws, "4not a probe").await;
    assert!(expect_close_frame(&mut ws).await.is_some());
    assert_eq!(socket.transport(), Transport::Polling);
    session.post("4still here").await;
    assert_eq!(session.poll().await, ["4still here"]);
    assert_eq!(
        events.message(socket.id()).await,
        Message::text("still here")
    );
}

#[tokio::test]
async fn second_probes_and_polling_after_the_upgrade_are_refused() {
    let (server, mut events) = echoing(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    let ws_url = eio(&format!("EIO=4&transport=websocket&sid={}", session.sid));

    let mut probing = ws_connect(server.addr, &ws_url).await;
    send_text(&mut probing, "2probe").await;
    assert_eq!(recv_text(&mut probing).await, "3probe");
    send(server.addr, ws_request(&ws_url))
        .await
        .assert_error(400, 3, "Bad request");

    // The first probe is unharmed and completes.
    assert_eq!(session.poll().await, ["6"]);
    send_text(&mut probing, "5").await;
    send_text(&mut probing, "4over ws").await;
    assert_eq!(recv_text(&mut probing).await, "4over ws");
    assert_eq!(socket.transport(), Transport::Websocket);

    send(server.addr, ws_request(&ws_url))
        .await
        .assert_error(400, 3, "Bad request");
    session.get().await.assert_error(400, 3, "Bad request");
    post(server.addr, &session.url(), "4late")
        .await
        .assert_error(400, 3, "Bad request");

    // None of the refusals closed the session.
    send_text(&mut probing, "4still open").await;
    assert_eq!(recv_text(&mut probing).await, "4still open");
    assert!(!socket.is_closed());
    assert_eq!(events.message(socket.id()).await, Message::text("over ws"));
    assert_eq!(
        events.message(socket.id()).await,
        Message::text("still open")
    );
}

#[tokio::test]
async fn upgrades_are_neither_offered_nor_accepted_when_disabled() {
    let (server, _events) = echoing(Config::default().allow_upgrades(false)).await;
    let session = Polling::open(server.addr).await;
    assert_eq!(session.open["upgrades"], serde_json::json!([]));
    let ws_url = eio(&format!("EIO=4&transport=websocket&sid={}", session.sid));
    send(server.addr, ws_request(&ws_url))
        .await
        .assert_error(400, 3, "Bad request");
    session.post("4still polling").await;
    assert_eq!(session.poll().await, ["4still polling"]);

    let (polling_only, _events) = echoing(Config::default().transports([Transport::Polling])).await;
    let session = Polling::open(polling_only.addr).await;
    assert_eq!(session.open["upgrades"], serde_json::json!([]));
    let ws_url = eio(&format!("EIO=4&transport=websocket&sid={}", session.sid));
    send(polling_only.addr, ws_request(&ws_url))
        .await
        .assert_error(400, 0, "Transport unknown");
    send(
        polling_only.addr,
        ws_request(&eio("EIO=4&transport=websocket")),
    )
    .await
    .assert_error(400, 0, "Transport unknown");

    let (websocket_only, _events) =
        echoing(Config::default().transports([Transport::Websocket])).await;
    get(websocket_only.addr, &eio("EIO=4&transport=polling"))
        .await
        .assert_error(400, 0, "Transport unknown");
    let (mut ws, _) = ws_open(websocket_only.addr).await;
    send_text(&mut ws, "4ws only").await;
    assert_eq!(recv_text(&mut ws).await, "4ws only");
}

#[tokio::test]
async fn a_websocket_session_cannot_be_polled_or_upgraded() {
    let (server, _events) = echoing(Config::default()).await;
    let (mut ws, sid) = ws_open(server.addr).await;
    get(
        server.addr,
        &eio(&format!("EIO=4&transport=polling&sid={sid}")),
    )
    .await
    .assert_error(400, 3, "Bad request");
    send(
        server.addr,
        ws_request(&eio(&format!("EIO=4&transport=websocket&sid={sid}"))),
    )
    .await
    .assert_error(400, 3, "Bad request");
    send_text(&mut ws, "4unharmed").await;
    assert_eq!(recv_text(&mut ws).await, "4unharmed");
}

/// engine.io-client starts its next poll as soon as one returns, so after the poll released
/// by the probe it may have another under way before it reads `3probe`; it pauses, and sends
/// `5`, only once that one is back. The server must not hold it: it used to, until the next
/// ping (25 s by default) or the upgrade timeout, with every packet the client queued behind
/// the switch.
#[tokio::test]
async fn polls_during_the_probe_are_answered_at_once_until_5() {
    // No ping or upgrade timeout within the test: only an immediate answer passes.
    let config = Config::default()
        .ping_interval(Duration::from_secs(60))
        .upgrade_timeout(Duration::from_secs(60));
    let (server, mut events) = echoing(config).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    let (addr, url) = (server.addr, session.url());
    let pending = tokio::spawn(async move { get(addr, &url).await });
    let mut ws = ws_connect(
        server.addr,
        &eio(&format!("EIO=4&transport=websocket&sid={}", session.sid)),
    )
    .await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(recv_text(&mut ws).await, "3probe");
    let resp = within(STEP, "the poll pending at 3probe", pending)
        .await
        .unwrap();
    assert_eq!((resp.status, resp.text()), (StatusCode::OK, "6"));
    for _ in 0..2 {
        let late = within(STEP, "a poll started after 3probe", session.poll()).await;
        assert_eq!(late, ["6"]);
    }
    // What is queued still goes by polling until the `5`, in place of the noop.
    session.post("4echo").await;
    assert_eq!(session.poll().await, ["4echo"]);

    send_text(&mut ws, "5").await;
    send_text(&mut ws, "4done").await;
    assert_eq!(recv_text(&mut ws).await, "4done");
    assert_eq!(socket.transport(), Transport::Websocket);
    // A poll after the switch is refused, as before.
    session.get().await.assert_error(400, 3, "Bad request");
}

#[tokio::test]
async fn a_close_during_the_probe_still_reaches_a_client_that_sends_5() {
    let config = Config::default()
        .ping_interval(Duration::from_secs(60))
        .upgrade_timeout(Duration::from_secs(60));
    let (server, mut events) = echoing(config).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    let mut ws = ws_connect(
        server.addr,
        &eio(&format!("EIO=4&transport=websocket&sid={}", session.sid)),
    )
    .await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(recv_text(&mut ws).await, "3probe");
    // The application's last words, then its close, while the client is switching.
    socket.send("bye").unwrap();
    socket.close();
    tokio::time::sleep(Duration::from_millis(50)).await;
    send_text(&mut ws, "5").await;
    assert_eq!(recv_text(&mut ws).await, "4bye");
    assert!(expect_close_frame(&mut ws).await.is_some());
}
