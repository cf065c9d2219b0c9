//! The WebSocket peer programs of `interop/` (contract: interop/README.md; found by
//! duplex-testkit): running a client to its verdict, and a server until it is dropped.
//!
//! Children are spawned with `kill_on_drop`, so a failing test kills exactly the
//! processes it started.

use std::path::PathBuf;

use duplex_testkit::peers::{self, SETUP_HINT, listening_port};
use duplex_testkit::verdict::Report;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use super::within;

/// A WebSocket implementation we test against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// Node `ws`.
    Node,
    /// Python `websockets` (asyncio).
    Python,
}

impl Peer {
    fn command(self, role: &str) -> Command {
        let (program, script) = match (self, role) {
            (Peer::Node, "client") => (node(), "ws_client.mjs"),
            (Peer::Node, _) => (node(), "ws_echo_server.mjs"),
            (Peer::Python, "client") => (peers::python(), "py_client.py"),
            (Peer::Python, _) => (peers::python(), "py_echo_server.py"),
        };
        spawnable(peers::command(&program, script))
    }
}

/// Node, with the packages our peers import.
fn node() -> PathBuf {
    peers::node(&["ws", "playwright-core"])
}

/// Killed when the test drops it.
fn spawnable(command: std::process::Command) -> Command {
    let mut command = Command::from(command);
    command.kill_on_drop(true);
    command
}

async fn run_to_report(mut command: Command, what: &str) -> Report {
    let output = within(what, command.output()).await;
    Report::from_output(what, output)
}

/// Runs a peer's client conversation (interop/README.md) against `url`;
/// `deflate` is the peer's `--deflate` JSON.
pub async fn run_client(peer: Peer, url: &str, deflate: &str) -> Report {
    let mut command = peer.command("client");
    command.args(["--url", url, "--deflate", deflate, "--timeout", "40"]);
    run_to_report(command, &format!("{peer:?} client --deflate {deflate}")).await
}

/// Runs headless Chromium's conversation (interop/chromium_client.mjs) against `url`.
pub async fn run_chromium(url: &str) -> Report {
    let executable = peers::chromium();
    let mut command = spawnable(peers::command(&node(), "chromium_client.mjs"));
    command.args(["--url", url, "--timeout", "40", "--executable"]);
    command.arg(executable);
    run_to_report(command, "chromium client").await
}

/// A peer echo server, killed when dropped.
pub struct PeerServer {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    /// The port it listens on, at 127.0.0.1.
    pub port: u16,
    what: String,
}

impl PeerServer {
    /// Starts a peer's echo server on a free port; `deflate` is its `--deflate` JSON.
    pub async fn start(peer: Peer, deflate: &str) -> PeerServer {
        let what = format!("{peer:?} echo server --deflate {deflate}");
        let mut command = peer.command("server");
        command.args(["--port", "0", "--host", "127.0.0.1", "--timeout", "60"]);
        command.args(["--deflate", deflate]);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}: {SETUP_HINT}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let first = within(&what, lines.next_line()).await;
        let port = match first {
            Ok(Some(line)) => listening_port(&line)
                .unwrap_or_else(|| panic!("{what} printed {line:?} instead of LISTENING <port>")),
            other => {
                let stderr = drain_stderr(&mut child).await;
                panic!("{what} did not start ({other:?}); stderr: {stderr}")
            }
        };
        PeerServer {
            child,
            lines,
            port,
            what,
        }
    }

    /// The `ws://` URL of the server, with `path`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    /// The next `{"event":"closed",...}` line: what the server saw of a connection.
    pub async fn next_closed(&mut self) -> Value {
        loop {
            let line = within(&self.what, self.lines.next_line()).await;
            let line = match line {
                Ok(Some(line)) => line,
                other => {
                    let stderr = drain_stderr(&mut self.child).await;
                    panic!("{} ended ({other:?}); stderr: {stderr}", self.what)
                }
            };
            let event: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("{} printed {line:?}: {e}", self.what));
            if event["event"] == "closed" {
                return event;
            }
        }
    }
}

async fn drain_stderr(child: &mut Child) -> String {
    let _ = child.start_kill();
    let mut text = String::new();
    if let Some(stderr) = child.stderr.as_mut() {
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            tokio::io::AsyncReadExt::read_to_string(stderr, &mut text),
        )
        .await;
    }
    text
}
