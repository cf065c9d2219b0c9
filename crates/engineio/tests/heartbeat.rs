//! The heartbeat: the server pings every `ping_interval`; a client that answers stays, one
//! that does not is closed with `ping timeout` after `ping_timeout`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use duplex_engineio::{CloseReason, Config};
use http::StatusCode;

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

    let reasons = events.closes(2).await;
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
