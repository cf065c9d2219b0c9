//! The client's reconnection against the real servers (Node's socket.io and ours, see
//! tests/client_support): the server killed and restarted mid-stream, the network cut, a
//! server that accepts TCP but never answers, a server gone silent, and connection state
//! recovery.

mod client_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use client_support::{KINDS, Link, Relay, Server};
use duplex_socketio::client::{ClientBuilder, ConnectError, DisconnectReason, Incoming, Transport};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(15);

fn fast_reconnect(url: &str, transports: &[Transport]) -> ClientBuilder {
    ClientBuilder::new(url)
        .transports(transports.iter().copied())
        .reconnection_delay(Duration::from_millis(100))
        .reconnection_delay_max(Duration::from_millis(400))
        .connect_timeout(Duration::from_secs(2))
}

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>, what: &str) -> T {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no {what} in time"))
        .unwrap_or_else(|| panic!("{what}: channel closed"))
}

/// Every transport mode: WebSocket only, polling only, polling upgraded to WebSocket.
const TRANSPORTS: [&[Transport]; 3] = [
    &[Transport::WebSocket],
    &[Transport::Polling],
    &[Transport::Polling, Transport::WebSocket],
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emits_buffered_while_the_server_is_down_arrive_exactly_once_after_its_restart() {
    for kind in KINDS {
        for transports in TRANSPORTS {
            eprintln!("{kind:?} {transports:?}");
            let mut server = Server::start(kind, 0, &[]).await;
            let (echo_tx, mut echoes) = mpsc::unbounded_channel();
            let (state_tx, mut states) = mpsc::unbounded_channel();
            let disconnected = state_tx.clone();
            // The auth payload is computed again for the reconnection.
            let auth_calls = Arc::new(AtomicU32::new(0));
            let counted = auth_calls.clone();
            let builder = fast_reconnect(&server.url("/"), transports)
                .auth_with(move || {
                    let n = counted.fetch_add(1, Ordering::SeqCst);
                    async move { Some(json!({ "attempt": n })) }
                })
                .on("message-back", move |event: Incoming| {
                    let echo_tx = echo_tx.clone();
                    async move {
                        let _ = echo_tx.send(event.args::<String>().expect("a string"));
                    }
                })
                .on_connect(move |_| {
                    let _ = state_tx.send("connect");
                })
                .on_disconnect(move |_, reason| {
                    assert!(reason.will_reconnect(), "{reason}");
                    let _ = disconnected.send("disconnect");
                });
            let socket = builder.build();
            let attempts = Arc::new(AtomicU32::new(0));
            let reconnects = Arc::new(AtomicU32::new(0));
            let (a, r) = (attempts.clone(), reconnects.clone());
            socket.manager().on_reconnect_attempt(move |_| {
                a.fetch_add(1, Ordering::SeqCst);
            });
            socket.manager().on_reconnect(move |_| {
                r.fetch_add(1, Ordering::SeqCst);
            });
            assert_eq!(recv(&mut states, "connect").await, "connect");
            for i in 0..5 {
                socket.emit("message", &format!("online-{i}")).unwrap();
            }
            for i in 0..5 {
                assert_eq!(recv(&mut echoes, "echo").await, format!("online-{i}"));
            }

            server.kill().await;
            assert_eq!(recv(&mut states, "disconnect").await, "disconnect");
            for i in 0..10 {
                socket.emit("message", &format!("offline-{i}")).unwrap();
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            server.restart().await;
            assert_eq!(recv(&mut states, "reconnect").await, "connect");
            for i in 0..10 {
                assert_eq!(
                    recv(&mut echoes, "buffered echo").await,
                    format!("offline-{i}")
                );
            }
            // Nothing twice.
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(echoes.try_recv().is_err(), "a buffered emit arrived twice");
            assert!(attempts.load(Ordering::SeqCst) >= 1);
            assert_eq!(reconnects.load(Ordering::SeqCst), 1);
            assert_eq!(
                auth_calls.load(Ordering::SeqCst),
                2,
                "auth computed per connection"
            );
            socket.disconnect();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_deliver_every_emit_at_least_once_across_a_restart() {
    for (kind, transports) in KINDS.into_iter().flat_map(|k| TRANSPORTS.map(|t| (k, t))) {
        eprintln!("{kind:?} {transports:?}");
        let mut server = Server::start(kind, 0, &[]).await;
        let socket = fast_reconnect(&server.url("/"), transports)
            .retries(10)
            .ack_timeout(Duration::from_millis(500))
            .connect()
            .await
            .expect("connected");
        let mut answers = Vec::new();
        for i in 0..20u32 {
            answers.push(
                socket
                    .emit_with_ack::<u32, _>("message-with-ack", &i)
                    .unwrap(),
            );
        }
        let mut answers = answers.into_iter();
        // The queue sends one at a time: some are answered, then the server dies.
        for i in 0..5u32 {
            let answer = tokio::time::timeout(WAIT, answers.next().unwrap())
                .await
                .unwrap();
            assert_eq!(answer.unwrap(), i);
        }
        server.kill().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.restart().await;
        for (i, answer) in (5..20u32).zip(answers) {
            let answer = tokio::time::timeout(WAIT, answer)
                .await
                .expect("answered in time");
            assert_eq!(answer.expect("acknowledged"), i);
        }
        socket.disconnect();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_accepts_but_never_answers_exhausts_the_attempts() {
    let server = Server::start(client_support::Kind::Ours, 0, &[]).await;
    let relay = Relay::start(server.port).await;
    relay.set(Link::Stall);
    let errors = Arc::new(AtomicU32::new(0));
    let counted = errors.clone();
    let builder = fast_reconnect(&relay.url("/"), &[Transport::Polling, Transport::WebSocket])
        .connect_timeout(Duration::from_millis(300))
        .reconnection_attempts(2)
        .on_connect_error(move |_, _| {
            counted.fetch_add(1, Ordering::SeqCst);
        });
    let failed = Arc::new(AtomicU32::new(0));
    let reconnect_errors = Arc::new(AtomicU32::new(0));
    let socket = builder.build();
    let f = failed.clone();
    socket.manager().on_reconnect_failed(move || {
        f.fetch_add(1, Ordering::SeqCst);
    });
    let e = reconnect_errors.clone();
    socket.manager().on_reconnect_error(move |error| {
        assert!(matches!(error, ConnectError::Connection(_)), "{error:?}");
        e.fetch_add(1, Ordering::SeqCst);
    });
    let outcome = tokio::time::timeout(WAIT, socket.wait_connected())
        .await
        .expect("gives up");
    assert!(
        matches!(outcome, Err(ConnectError::ReconnectFailed)),
        "{outcome:?}"
    );
    // The first attempt and two reconnection attempts, each timed out.
    assert_eq!(relay.accepted.load(Ordering::SeqCst), 3);
    assert_eq!(failed.load(Ordering::SeqCst), 1);
    // reconnect_error for the two reconnection attempts, not for the first one.
    assert_eq!(reconnect_errors.load(Ordering::SeqCst), 2);
    // connect_error on every failed attempt (the callbacks run on the socket's own task).
    let deadline = tokio::time::Instant::now() + WAIT;
    while errors.load(Ordering::SeqCst) < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "connect_error on every failed attempt"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Once the server answers again, connecting works.
    relay.set(Link::Pass);
    socket.connect();
    tokio::time::timeout(WAIT, socket.wait_connected())
        .await
        .unwrap()
        .unwrap();
    socket.disconnect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_gone_silent_is_found_by_the_heartbeat_and_reconnected() {
    for (kind, transports) in KINDS.into_iter().flat_map(|k| TRANSPORTS.map(|t| (k, t))) {
        eprintln!("{kind:?} {transports:?}");
        let server = Server::start(
            kind,
            0,
            &["--ping-interval", "300", "--ping-timeout", "200"],
        )
        .await;
        let relay = Relay::start(server.port).await;
        let (tx, mut events) = mpsc::unbounded_channel();
        let on_disconnect = tx.clone();
        let socket = fast_reconnect(&relay.url("/"), transports)
            .on_connect(move |_| {
                let _ = tx.send(None);
            })
            .on_disconnect(move |_, reason| {
                let _ = on_disconnect.send(Some(reason));
            })
            .build();
        assert_eq!(recv(&mut events, "connect").await, None);
        relay.set(Link::Stall);
        let reason = recv(&mut events, "disconnect").await;
        assert_eq!(reason, Some(DisconnectReason::PingTimeout));
        relay.set(Link::Pass);
        relay.cut();
        assert_eq!(recv(&mut events, "reconnect").await, None);
        let answer: String = socket
            .emit_with_ack("message-with-ack", "back")
            .unwrap()
            .timeout(WAIT)
            .await
            .unwrap();
        assert_eq!(answer, "back");
        socket.disconnect();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_state_recovery_restores_the_id_and_the_missed_broadcasts() {
    for (kind, transports) in KINDS.into_iter().flat_map(|k| TRANSPORTS.map(|t| (k, t))) {
        eprintln!("{kind:?} {transports:?}");
        // A short heartbeat: a polling session cut between two polls is only noticed by it.
        let args = [
            "--recovery",
            "--max-disconnection-duration",
            "5000",
            "--ping-interval",
            "300",
            "--ping-timeout",
            "200",
        ];
        let server = Server::start(kind, 0, &args).await;
        let relay = Relay::start(server.port).await;
        let (tx, mut heard) = mpsc::unbounded_channel();
        let (state_tx, mut states) = mpsc::unbounded_channel();
        let on_disconnect = state_tx.clone();
        let socket = fast_reconnect(&relay.url("/"), transports)
            .on("news", move |event: Incoming| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(event.values().map(|v| v.len()));
                    let _ = tx.send(event.args::<(u32, String)>().map(|(n, _)| n as usize));
                }
            })
            .on_connect(move |socket| {
                let _ = state_tx.send(Some(socket.recovered()));
            })
            .on_disconnect(move |_, _| {
                let _ = on_disconnect.send(None);
            })
            .build();
        assert_eq!(recv(&mut states, "connect").await, Some(false));
        let id = socket.id().expect("an id");
        // A broadcast while connected, so the client has an offset to resume from.
        let other = fast_reconnect(&server.url("/"), &[Transport::WebSocket])
            .connect()
            .await
            .unwrap();
        let op = json!({"from": "nsp", "event": "news", "args": [1]});
        other
            .emit_with_ack::<Value, _>("emit-op", &op)
            .unwrap()
            .timeout(WAIT)
            .await
            .unwrap();
        recv(&mut heard, "news").await.unwrap();
        assert_eq!(recv(&mut heard, "news").await.unwrap(), 1);

        relay.set(Link::Stall);
        relay.cut();
        assert_eq!(recv(&mut states, "disconnect").await, None);
        let op = json!({"from": "nsp", "event": "news", "args": [2]});
        other
            .emit_with_ack::<Value, _>("emit-op", &op)
            .unwrap()
            .timeout(WAIT)
            .await
            .unwrap();
        // Reconnection waits behind the stalled link until the server has surely ended the
        // old session (500 ms of silence): only an ended session can be recovered.
        tokio::time::sleep(Duration::from_secs(1)).await;
        relay.set(Link::Pass);
        assert_eq!(
            recv(&mut states, "reconnect").await,
            Some(true),
            "recovered"
        );
        assert_eq!(socket.id().as_deref(), Some(id.as_str()), "same id");
        assert!(socket.recovered());
        // The broadcast missed meanwhile arrives, with the offset as an extra argument.
        assert_eq!(
            recv(&mut heard, "missed news").await.unwrap(),
            2,
            "number and offset"
        );
        assert_eq!(recv(&mut heard, "missed news").await.unwrap(), 2);
        socket.disconnect();
        other.disconnect();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_connect_is_retried_until_the_server_answers() {
    for kind in KINDS {
        eprintln!("{kind:?}");
        let server = Server::start(kind, 0, &[]).await;
        let relay = Relay::start(server.port).await;
        relay.set(Link::Stall);
        let (tx, mut attempts) = mpsc::unbounded_channel();
        let socket = fast_reconnect(&relay.url("/"), &[Transport::Polling, Transport::WebSocket])
            .connect_timeout(Duration::from_millis(300))
            .build();
        socket.manager().on_reconnect_attempt(move |n| {
            let _ = tx.send(n);
        });
        // Two reconnection attempts fail like the first, then the link comes back.
        assert_eq!(recv(&mut attempts, "attempt 1").await, 1);
        assert_eq!(recv(&mut attempts, "attempt 2").await, 2);
        relay.set(Link::Pass);
        tokio::time::timeout(WAIT, socket.wait_connected())
            .await
            .expect("connected in time")
            .expect("connected");
        let answer: String = socket
            .emit_with_ack("message-with-ack", "first")
            .unwrap()
            .timeout(WAIT)
            .await
            .unwrap();
        assert_eq!(answer, "first");
        socket.disconnect();
    }
}
