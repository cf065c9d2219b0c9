//! No task or timer outlives a session, however it ends: the runtime's count of alive tasks
//! returns to where it was.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use duplex_engineio::{CloseReason, Config, Sid};
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

    // 8 polling sessions.
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
        // A closed session still answers one poll, with its close packet (as tests/closing.rs
        // pins down).
        let resp = session.get().await;
        assert_eq!(
            (resp.status, resp.text()),
            (StatusCode::OK, "1"),
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
    let mut reasons = a_events.closes(20).await;
    reasons.extend(b_events.closes(5).await);
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
async fn no_task_is_left_behind_after_failed_upgrades() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let (server, mut events) =
        echoing(Config::default().upgrade_timeout(Duration::from_millis(200))).await;
    let baseline = metrics.num_alive_tasks();
    let ws_url = |session: &Polling| eio(&format!("EIO=4&transport=websocket&sid={}", session.sid));
    let mut sessions = Vec::new();

    // Times out.
    let session = Polling::open(server.addr).await;
    let mut ws = ws_connect(server.addr, &ws_url(&session)).await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(recv_text(&mut ws).await, "3probe");
    assert!(expect_close_frame(&mut ws).await.is_some());
    sessions.push(session);

    // A bad probe.
    let session = Polling::open(server.addr).await;
    let mut ws = ws_connect(server.addr, &ws_url(&session)).await;
    send_text(&mut ws, "2notprobe").await;
    assert!(expect_close_frame(&mut ws).await.is_some());
    // No `3probe`, so no noop either: the session is as it was.
    session.post("4after a bad probe").await;
    assert_eq!(session.poll().await, ["4after a bad probe"]);
    session.post("1").await;

    // Dropped mid-probe.
    let session = Polling::open(server.addr).await;
    let mut ws = ws_connect(server.addr, &ws_url(&session)).await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(recv_text(&mut ws).await, "3probe");
    drop(ws);
    sessions.push(session);

    // The session ends while its WebSocket probes.
    let session = Polling::open(server.addr).await;
    let mut ws = ws_connect(server.addr, &ws_url(&session)).await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(recv_text(&mut ws).await, "3probe");
    server.engine.socket(session.sid()).unwrap().close();
    assert!(expect_close_frame(&mut ws).await.is_some());
    // A closed polling session waits for its client's next poll to hand over the close.
    assert_eq!(session.poll().await, ["1"]);

    for session in &sessions {
        // The failed upgrade left the session on polling, with nothing of its probe queued.
        session.post("4after a failed upgrade").await;
        assert_eq!(session.poll().await, ["4after a failed upgrade"]);
        session.post("1").await;
    }
    let mut closed = 0;
    while closed < 4 {
        if let Event::Close(..) = events.next().await {
            closed += 1;
        }
    }
    within(STEP, "every task to end", async {
        while metrics.num_alive_tasks() != baseline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}
