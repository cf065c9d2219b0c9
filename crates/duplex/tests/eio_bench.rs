//! The Engine.IO load generators (`duplex bench eio-*`) against our server (in process)
//! and Node's `engine.io` (interop/eio_echo_server.mjs): every command passes its own
//! checks against both, pings included (300 ms interval), and fails loudly against a
//! server that answers wrong. Needs `scripts/setup`.

use std::sync::Arc;
use std::time::Duration;

use duplex_engineio::{Config, EngineIo, Handler, Message, Socket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod common;
use common::{bench, node_server};

const PING_INTERVAL_MS: u64 = 300;
const PING_TIMEOUT_MS: u64 = 200;

struct Echo;

impl Handler for Echo {
    fn on_message(&self, socket: &Arc<Socket>, message: Message) {
        let _ = socket.send(message);
    }
}

/// Our server on a free port; stops with the test's runtime.
async fn our_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let config = Config::default()
        .ping_interval(Duration::from_millis(PING_INTERVAL_MS))
        .ping_timeout(Duration::from_millis(PING_TIMEOUT_MS));
    tokio::spawn(duplex_engineio::serve(
        listener,
        EngineIo::new(config, Echo),
    ));
    format!("http://127.0.0.1:{port}/engine.io/")
}

/// Every load generator, each checked by its own JSON figures.
async fn every_command_passes(url: &str) {
    for mode in ["websocket", "polling-upgrade"] {
        let (ok, json, stderr) = bench(
            url,
            &[
                "eio-handshake",
                "--mode",
                mode,
                "--count",
                "40",
                "--concurrency",
                "8",
            ],
        )
        .await;
        assert!(ok, "eio-handshake {mode}: {stderr}");
        assert_eq!(json["handshakes"], 40, "{mode}: {json}");
        assert_eq!(json["failed"], 0, "{mode}: {json}");
        assert_eq!(json["latency_us"]["count"], 40, "{mode}: {json}");
    }
    for mode in ["websocket", "polling"] {
        let args = [
            "eio-echo",
            "--mode",
            mode,
            "--connections",
            "4",
            "--messages",
            "500",
            "--size",
            "100",
        ];
        let (ok, json, stderr) = bench(url, &args).await;
        assert!(ok, "eio-echo {mode}: {stderr}");
        assert_eq!(json["messages"], 2000, "{mode}: {json}");
        assert_eq!(json["errors"], 0, "{mode}: {json}");
        // Every echo timed, from its send (WebSocket) or its batch's POST (polling).
        assert_eq!(json["latency_us"]["count"], 2000, "{mode}: {json}");
    }
    for mode in ["websocket", "polling"] {
        // Held for four ping intervals: each session must answer pings to stay alive.
        let args = [
            "eio-idle",
            "--mode",
            mode,
            "--sessions",
            "10",
            "--hold",
            "1.2",
        ];
        let (ok, json, stderr) = bench(url, &args).await;
        assert!(ok, "eio-idle {mode}: {stderr}");
        assert_eq!(json["alive_after_hold"], 10, "{mode}: {json}");
        assert_eq!(json["latency_us"]["count"], 10, "{mode}: {json}");
        assert!(
            json["pings_answered"].as_u64().is_some_and(|n| n >= 20),
            "{mode}: {json}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_load_generator_passes_against_our_server() {
    every_command_passes(&our_server().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_load_generator_passes_against_node_engine_io() {
    let interval = PING_INTERVAL_MS.to_string();
    let timeout = PING_TIMEOUT_MS.to_string();
    let args = ["--ping-interval", &interval, "--ping-timeout", &timeout];
    let (_node, url) =
        node_server(&["engine.io"], "eio_echo_server.mjs", &args, "/engine.io/").await;
    every_command_passes(&url).await;
}

/// A server that answers every request with a message packet where the open packet belongs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_answer_fails_the_run_and_is_named() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 2048];
                let _ = stream.read(&mut head).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n4nonsense")
                    .await;
            });
        }
    });
    let url = format!("http://127.0.0.1:{port}/engine.io/");
    let args = ["eio-handshake", "--mode", "polling-upgrade", "--count", "2"];
    let (ok, json, stderr) = bench(&url, &args).await;
    assert!(!ok, "a wrong open packet must fail the run: {json}");
    assert_eq!(json["failed"], 2, "{json}");
    assert!(
        stderr.contains("expected an open packet") && stderr.contains("4nonsense"),
        "{stderr}"
    );
}
