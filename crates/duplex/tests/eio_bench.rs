//! The Engine.IO load generators (`duplex bench eio-*`) against our server (in process)
//! and Node's `engine.io` (interop/eio_echo_server.mjs): every command passes its own
//! checks against both, pings included (300 ms interval), and fails loudly against a
//! server that answers wrong. Needs `scripts/setup`.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use duplex_engineio::{Config, EngineIo, Handler, Message, Socket};
use duplex_testkit::peers::{self, listening_port};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

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

/// Node's engine.io echo server; killed when the returned child is dropped.
async fn node_server() -> (Child, String) {
    let node = peers::node(&["engine.io"]);
    let mut command = Command::from(peers::command(&node, "eio_echo_server.mjs"));
    let mut child = command
        .args(["--port", "0", "--quiet"])
        .args(["--ping-interval", &PING_INTERVAL_MS.to_string()])
        .args(["--ping-timeout", &PING_TIMEOUT_MS.to_string()])
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let stdout = child.stdout.take().expect("piped");
    let mut first = String::new();
    tokio::time::timeout(
        Duration::from_secs(20),
        BufReader::new(stdout).read_line(&mut first),
    )
    .await
    .expect("node announces its port in time")
    .expect("readable");
    let port = listening_port(&first)
        .unwrap_or_else(|| panic!("expected LISTENING <port>, got {first:?}"));
    (child, format!("http://127.0.0.1:{port}/engine.io/"))
}

/// Runs `duplex bench <args> --url <url> --json`; returns (success, last JSON line, stderr).
async fn bench(url: &str, args: &[&str]) -> (bool, serde_json::Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_duplex"))
        .arg("bench")
        .args(args)
        .args(["--url", url, "--json"])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("the load generator finishes in time")
        .expect("the load generator runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json = stdout
        .lines()
        .rev()
        .find(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).expect("valid JSON"))
        .unwrap_or(serde_json::Value::Null);
    (output.status.success(), json, stderr)
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
    let (_node, url) = node_server().await;
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
