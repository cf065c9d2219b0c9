//! `duplex serve`'s `/metrics`, scraped over HTTP while the official npm `socket.io-client`
//! chats through it (interop/sio_chat_clients.mjs) over long-polling and WebSocket: the exact
//! values that traffic must produce, in an exposition a strict reader accepts; and the
//! `--metrics-path` and `--no-metrics` options.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use duplex_testkit::peers;
use duplex_testkit::prometheus::{self, Exposition};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

const WAIT: Duration = Duration::from_secs(20);
const CLIENTS: usize = 3;

/// `duplex serve` on a free port with `args`, killed when dropped; and its address.
async fn serve(args: &[&str]) -> (Child, SocketAddr) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_duplex"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let line = BufReader::new(stdout).lines().next_line().await.unwrap();
    let port = peers::listening_port(&line.unwrap()).expect("LISTENING <port>");
    (server, SocketAddr::from(([127, 0, 0, 1], port)))
}

async fn get(addr: SocketAddr, path: &'static str) -> (u16, String, String) {
    tokio::task::spawn_blocking(move || prometheus::scrape(addr, path))
        .await
        .unwrap()
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

/// The Node chat users, steered step by step.
struct Users {
    node: Child,
    replies: Lines<BufReader<ChildStdout>>,
}

impl Users {
    async fn start(addr: SocketAddr, transports: &str) -> Users {
        let node = peers::node(&["socket.io-client"]);
        let mut node = Command::from(peers::command(&node, "sio_chat_clients.mjs"))
            .args(["--url", &format!("http://{addr}/")])
            .args([
                "--transports",
                transports,
                "--clients",
                &CLIENTS.to_string(),
            ])
            .stdin(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let replies = BufReader::new(node.stdout.take().unwrap()).lines();
        let mut users = Users { node, replies };
        users.expect("joined").await;
        users
    }

    async fn expect(&mut self, step: &str) {
        let line = tokio::time::timeout(WAIT, self.replies.next_line()).await;
        let line = line.expect("node answers in time").unwrap().unwrap();
        let reply: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(reply["step"], step, "{reply}");
    }

    async fn step(&mut self, step: &str, answer: &str) {
        let stdin = self.node.stdin.as_mut().unwrap();
        stdin
            .write_all(format!("{step}\n").as_bytes())
            .await
            .unwrap();
        self.expect(answer).await;
    }

    /// Ends the program.
    async fn quit(mut self) {
        drop(self.node.stdin.take());
        let status = tokio::time::timeout(WAIT, self.node.wait()).await;
        assert!(status.unwrap().unwrap().success());
    }
}

async fn chat_metrics(transports: &str, transport: &str) {
    let (_server, addr) = serve(&[]).await;
    let mut users = Users::start(addr, transports).await;
    let m = scrape(addr).await;
    let n = CLIENTS as f64;
    assert_eq!(
        m.get("engineio_handshakes_total", &[("transport", transport)]),
        n
    );
    assert_eq!(m.get("engineio_sessions", &[("transport", transport)]), n);
    assert_eq!(m.sum("engineio_sessions"), n);
    assert_eq!(
        m.get("socketio_connected_sockets", &[("namespace", "/")]),
        n
    );
    assert_eq!(m.sum("socketio_disconnects_total"), 0.0);
    for direction in ["in", "out"] {
        let series = [("transport", transport), ("direction", direction)];
        assert!(m.get("engineio_packets_total", &series) > 0.0);
        assert!(m.get("engineio_bytes_total", &series) > 0.0);
    }

    // One chat message is one broadcast, to the room's other members.
    let before = m;
    users.step("message", "delivered").await;
    let broadcasts = |m: &Exposition| m.get("socketio_broadcasts_total", &[]);
    let earlier = broadcasts(&before);
    let m = scrape_until(addr, move |m| broadcasts(m) > earlier).await;
    let delta = |name| m.get(name, &[]) - before.get(name, &[]);
    assert_eq!(delta("socketio_broadcasts_total"), 1.0);
    assert_eq!(delta("socketio_broadcast_recipients_total"), n - 1.0);

    users.step("leave", "left").await;
    let m = scrape_until(addr, move |m| {
        m.get("socketio_connected_sockets", &[("namespace", "/")]) == n - 1.0
    })
    .await;
    let reason = |r| [("reason", r)];
    let left = m.get(
        "socketio_disconnects_total",
        &reason("client namespace disconnect"),
    );
    assert_eq!((left, m.sum("socketio_disconnects_total")), (1.0, 1.0));

    // The others close their connections: the sockets go with them.
    users.step("close", "closed").await;
    // A session's sockets are told after the session is closed: wait for both.
    let m = scrape_until(addr, move |m| {
        m.sum("engineio_sessions") == 0.0 && m.sum("socketio_disconnects_total") == n
    })
    .await;
    let closed = m.get("socketio_disconnects_total", &reason("transport close"));
    assert_eq!(closed, n - 1.0);
    assert_eq!(m.sum("socketio_disconnects_total"), n);
    assert_eq!(
        m.get("socketio_connected_sockets", &[("namespace", "/")]),
        0.0
    );
    let closes = m.get("engineio_session_closes_total", &reason("transport close"));
    assert_eq!((closes, m.sum("engineio_session_closes_total")), (n, n));
    users.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_clients_over_polling_show_in_the_metrics() {
    chat_metrics("polling", "polling").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_clients_over_websocket_show_in_the_metrics() {
    chat_metrics("websocket", "websocket").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_path_is_an_option_and_metrics_can_be_off() {
    let (_server, addr) = serve(&["--metrics-path", "/internal/metrics"]).await;
    assert_eq!(get(addr, "/metrics").await.0, 404);
    let (status, _, body) = get(addr, "/internal/metrics").await;
    assert_eq!(status, 200);
    let m = prometheus::parse(&body).unwrap();
    assert_eq!(
        m.get("socketio_connected_sockets", &[("namespace", "/")]),
        0.0
    );

    let (_server, addr) = serve(&["--no-metrics"]).await;
    assert_eq!(get(addr, "/metrics").await.0, 404);
    // The Socket.IO endpoint is still there.
    let (status, _, body) = get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(status, 200);
    assert!(body.starts_with("0{\"sid\""), "{body}");
}
