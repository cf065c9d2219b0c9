//! The metrics a Socket.IO server counts, scraped over HTTP from a `/metrics` route of an axum
//! app around the Socket.IO layer, while duplex's client drives known traffic over
//! long-polling, WebSocket, and polling upgraded to WebSocket: the exact values that traffic
//! must produce, in an exposition a strict reader accepts.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use duplex_socketio::client::{ClientBuilder, Incoming, Socket, Transport};
use duplex_socketio::engineio::metrics::{CONTENT_TYPE, Exposition as Text};
use duplex_socketio::{AckSender, Data, SocketIo, SocketRef};
use duplex_testkit::prometheus::{self, Exposition};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);

/// A server with metrics on: `/` joins rooms, broadcasts to them, echoes, asks the client a
/// question with an ack, and disconnects a socket on request; `/other` only accepts.
async fn start() -> (SocketIo, SocketAddr) {
    let io = SocketIo::builder()
        .metrics(true)
        // No heartbeat during the test: its packets would make the counts depend on time.
        .ping_interval(Duration::from_secs(120))
        .build();
    io.ns("/", |socket: SocketRef| async move {
        socket.on(
            "join",
            |s: SocketRef, Data(room): Data<String>, ack: AckSender| async move {
                s.join(room);
                let _ = ack.send("joined");
            },
        );
        socket.on(
            "shout",
            |s: SocketRef, Data(room): Data<String>, ack: AckSender| async move {
                let _ = s.to(room).emit("shouted", "hi");
                let _ = ack.send(&());
            },
        );
        socket.on(
            "echo",
            |s: SocketRef, Data(text): Data<String>| async move {
                let _ = s.emit("echoed", &text);
            },
        );
        socket.on("quiz", |s: SocketRef, ack: AckSender| async move {
            let answer: i64 = s.emit_with_ack("question", &1).unwrap().await.unwrap();
            let _ = ack.send(&answer);
        });
        socket.on("bye", |s: SocketRef| async move { s.disconnect() });
    });
    io.ns("/other", |_socket: SocketRef| async {});
    let scraped = io.clone();
    let app = Router::new()
        .route(
            "/metrics",
            get(move || async move {
                let mut out = Text::new();
                scraped.encode_metrics(&mut out);
                (
                    [(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)],
                    out.into_string(),
                )
            }),
        )
        .layer(io.layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (io, addr)
}

/// `GET /metrics`, checked as a strict Prometheus reader would.
async fn scrape(addr: SocketAddr) -> Exposition {
    scrape_until(addr, |_| true).await
}

/// The first scrape where `done` holds (counters settle as the server's tasks catch up).
async fn scrape_until(
    addr: SocketAddr,
    done: impl Fn(&Exposition) -> bool + Send + 'static,
) -> Exposition {
    let scraping = move || prometheus::scrape_until(addr, "/metrics", WAIT, done);
    tokio::task::spawn_blocking(scraping).await.unwrap()
}

type Heard = mpsc::UnboundedReceiver<String>;

/// A client on `nsp` that answers `question` with 42 and reports the events it gets.
async fn client(addr: SocketAddr, nsp: &str, mode: &[Transport]) -> (Socket, Heard) {
    let (tx, heard) = mpsc::unbounded_channel();
    let socket = ClientBuilder::new(format!("http://{addr}{nsp}"))
        .transports(mode.iter().copied())
        .reconnection(false)
        .on("question", |event: Incoming| async move {
            let _ = event.ack(&42);
        })
        .on_any(move |event: Incoming| {
            let _ = tx.send(event.event().to_owned());
            async {}
        })
        .connect();
    let socket = tokio::time::timeout(WAIT, socket).await.unwrap().unwrap();
    (socket, heard)
}

async fn call(socket: &Socket, event: &str, arg: &str) -> serde_json::Value {
    let ack = socket.emit_with_ack::<serde_json::Value, _>(event, &arg);
    tokio::time::timeout(WAIT, ack.unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn heard(heard: &mut Heard, name: &str) {
    let next = tokio::time::timeout(WAIT, heard.recv()).await.unwrap();
    assert_eq!(next.as_deref(), Some(name));
}

fn transport_of(mode: &[Transport]) -> &'static str {
    match mode {
        [Transport::Polling] => "polling",
        _ => "websocket",
    }
}

/// Five connections (four in `/`, one in `/other`), three of them in a room, one broadcast
/// to it, one server emit with ack, an echo, then disconnects of every kind.
async fn scenario(mode: &[Transport]) {
    let (io, addr) = start().await;
    let transport = transport_of(mode);
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(client(addr, "/", mode).await);
    }
    let (other, _) = client(addr, "/other", mode).await;
    for (socket, _) in &clients[..3] {
        assert_eq!(call(socket, "join", "room").await, "joined");
    }
    call(&clients[3].0, "shout", "room").await;
    for (_, events) in &mut clients[..3] {
        heard(events, "shouted").await;
    }
    assert_eq!(call(&clients[0].0, "quiz", "").await, 42);

    // Engine.IO packets, each way, that this traffic is made of (the WebSocket probe and
    // pings excluded): per connection the open packet and the connect answer out, the
    // connect in; then 3 joins and their acks, the shout and its ack, 3 broadcast events,
    // the quiz, the question, its answer and the quiz's ack.
    let (packets_in, packets_out) = (5 + 3 + 1 + 2, 5 * 2 + 3 + 1 + 3 + 2);
    let settled = move |m: &Exposition| {
        let mode = ("transport", transport);
        m.get("engineio_packets_total", &[mode, ("direction", "out")]) == packets_out as f64
    };
    let m = scrape_until(addr, settled).await;
    let sessions = transport_of(mode);
    let other_transport = if sessions == "polling" {
        "websocket"
    } else {
        "polling"
    };
    assert_eq!(
        m.get("engineio_handshakes_total", &[("transport", sessions)]),
        5.0
    );
    assert_eq!(m.get("engineio_sessions", &[("transport", sessions)]), 5.0);
    assert_eq!(
        m.get("engineio_sessions", &[("transport", other_transport)]),
        0.0
    );
    assert_eq!(m.get("engineio_upgrades_total", &[]), 0.0);
    let inbound = [("transport", sessions), ("direction", "in")];
    assert_eq!(m.get("engineio_packets_total", &inbound), packets_in as f64);
    assert_eq!(
        m.sum("engineio_packets_total"),
        (packets_in + packets_out) as f64
    );
    assert_eq!(
        m.get("socketio_connected_sockets", &[("namespace", "/")]),
        4.0
    );
    assert_eq!(
        m.get("socketio_connected_sockets", &[("namespace", "/other")]),
        1.0
    );
    assert_eq!(m.get("socketio_broadcasts_total", &[]), 1.0);
    assert_eq!(m.get("socketio_broadcast_recipients_total", &[]), 3.0);
    assert_eq!(m.get("socketio_ack_latency_seconds_count", &[]), 1.0);
    let latency = m.get("socketio_ack_latency_seconds_sum", &[]);
    assert!(latency > 0.0 && latency < WAIT.as_secs_f64(), "{latency}");
    assert_eq!(m.sum("socketio_disconnects_total"), 0.0);

    // Bytes: an echo adds exactly its two packets' text, each way.
    let outbound = [("transport", sessions), ("direction", "out")];
    let bytes = |m: &Exposition| {
        let inbound = [("transport", sessions), ("direction", "in")];
        let bytes_in = m.get("engineio_bytes_total", &inbound);
        (bytes_in, m.get("engineio_bytes_total", &outbound))
    };
    let before = bytes(&m);
    clients[3].0.emit("echo", "abc").unwrap();
    heard(&mut clients[3].1, "echoed").await;
    let settled = move |m: &Exposition| {
        m.get("engineio_packets_total", &outbound) == (packets_out + 1) as f64
    };
    let after = bytes(&scrape_until(addr, settled).await);
    let sent = r#"42["echo","abc"]"#.len() as f64;
    let echoed = r#"42["echoed","abc"]"#.len() as f64;
    assert_eq!((after.0 - before.0, after.1 - before.1), (sent, echoed));

    // A client leaves `/` (its connection then closes: nothing else on it), the server
    // removes another, and the shutdown ends the rest.
    clients[0].0.disconnect();
    clients[1].0.emit("bye", &()).unwrap();
    let m = scrape_until(addr, move |m| {
        m.get("socketio_connected_sockets", &[("namespace", "/")]) == 2.0
    })
    .await;
    let reason = |r| [("reason", r)];
    assert_eq!(
        m.get(
            "socketio_disconnects_total",
            &reason("client namespace disconnect")
        ),
        1.0
    );
    assert_eq!(
        m.get(
            "socketio_disconnects_total",
            &reason("server namespace disconnect")
        ),
        1.0
    );
    assert_eq!(m.sum("socketio_disconnects_total"), 2.0);
    io.shutdown().await;
    let m = scrape(addr).await;
    assert_eq!(
        m.get(
            "socketio_disconnects_total",
            &reason("server shutting down")
        ),
        3.0
    );
    assert_eq!(m.sum("socketio_disconnects_total"), 5.0);
    assert_eq!(m.sum("socketio_connected_sockets"), 0.0);
    assert_eq!(m.sum("engineio_sessions"), 0.0);
    assert_eq!(m.sum("engineio_session_closes_total"), 5.0);
    drop((clients, other));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_polling_traffic_exactly() {
    scenario(&[Transport::Polling]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_websocket_traffic_exactly() {
    scenario(&[Transport::WebSocket]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_move_sessions_from_polling_to_websocket() {
    let (_io, addr) = start().await;
    let mode = [Transport::Polling, Transport::WebSocket];
    let mut clients = Vec::new();
    for _ in 0..3 {
        let (socket, heard) = client(addr, "/", &mode).await;
        clients.push((socket, heard));
    }
    let m = scrape_until(addr, |m| m.get("engineio_upgrades_total", &[]) == 3.0).await;
    assert_eq!(
        m.get("engineio_handshakes_total", &[("transport", "polling")]),
        3.0
    );
    assert_eq!(
        m.get("engineio_handshakes_total", &[("transport", "websocket")]),
        0.0
    );
    assert_eq!(
        m.get("engineio_sessions", &[("transport", "websocket")]),
        3.0
    );
    assert_eq!(m.get("engineio_sessions", &[("transport", "polling")]), 0.0);
    // The open packet and the connect answer leave over polling, at least.
    let polling_out = [("transport", "polling"), ("direction", "out")];
    assert!(m.get("engineio_packets_total", &polling_out) >= 6.0);
    assert_eq!(call(&clients[0].0, "join", "room").await, "joined");
    let websocket_in = [("transport", "websocket"), ("direction", "in")];
    let m = scrape_until(addr, move |m| {
        m.get("engineio_packets_total", &websocket_in) >= 1.0
    })
    .await;
    assert_eq!(
        m.get("socketio_connected_sockets", &[("namespace", "/")]),
        3.0
    );
}

#[tokio::test]
async fn metrics_off_write_nothing() {
    let io = SocketIo::builder().build();
    io.ns("/", |_socket: SocketRef| async {});
    let mut out = Text::new();
    io.encode_metrics(&mut out);
    assert_eq!(out.as_str(), "");
}
