//! The peer programs of `interop/` (contract: interop/README.md): where they are,
//! running a client to its verdict, and running a server until it is dropped.
//!
//! Children are spawned with `kill_on_drop`, so a failing test kills exactly the
//! processes it started.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use super::within;

const SETUP_HINT: &str =
    "run scripts/setup (it installs interop/node_modules, interop/.venv and chromium)";

/// A WebSocket implementation we test against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// Node `ws`.
    Node,
    /// Python `websockets` (asyncio).
    Python,
}

impl Peer {
    fn program(self) -> PathBuf {
        match self {
            Peer::Node => node(),
            Peer::Python => python(),
        }
    }

    fn script(self, role: &str) -> PathBuf {
        let name = match (self, role) {
            (Peer::Node, "client") => "ws_client.mjs",
            (Peer::Node, _) => "ws_echo_server.mjs",
            (Peer::Python, "client") => "py_client.py",
            (Peer::Python, _) => "py_echo_server.py",
        };
        let script = interop_dir().join(name);
        assert!(
            script.is_file(),
            "{} is missing: {SETUP_HINT}",
            script.display()
        );
        script
    }
}

/// The repository root: the peers run from there.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `DUPLEX_INTEROP`, or `<repo>/interop`.
pub fn interop_dir() -> PathBuf {
    std::env::var_os("DUPLEX_INTEROP")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("interop"))
}

/// `DUPLEX_NODE`, or `node` on the PATH; the Node packages must be installed.
pub fn node() -> PathBuf {
    let modules = interop_dir().join("node_modules");
    for package in ["ws", "playwright-core"] {
        assert!(
            modules.join(package).is_dir(),
            "{} is missing: {SETUP_HINT}",
            modules.join(package).display()
        );
    }
    if let Some(node) = std::env::var_os("DUPLEX_NODE") {
        return PathBuf::from(node);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("node"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("node is not on the PATH: {SETUP_HINT}"))
}

/// `DUPLEX_PY`, or `<repo>/interop/.venv/bin/python`.
pub fn python() -> PathBuf {
    let python = std::env::var_os("DUPLEX_PY")
        .map(PathBuf::from)
        .unwrap_or_else(|| interop_dir().join(".venv/bin/python"));
    assert!(
        python.is_file(),
        "{} is missing: {SETUP_HINT}",
        python.display()
    );
    python
}

/// `DUPLEX_CHROMIUM`, or `/usr/bin/chromium`.
pub fn chromium() -> PathBuf {
    let chromium = std::env::var_os("DUPLEX_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        chromium.is_file(),
        "{} is missing: {SETUP_HINT}",
        chromium.display()
    );
    chromium
}

fn command(program: &Path, script: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .arg(script)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// What a peer client reported: its JSON verdict line and its stderr.
#[derive(Debug)]
pub struct ClientReport {
    /// The JSON result line.
    pub json: Value,
    /// Diagnostics, for failure messages.
    pub stderr: String,
}

impl ClientReport {
    /// The full `Sec-WebSocket-Extensions` response header the peer saw.
    pub fn extensions(&self) -> &str {
        self.json["extensions"].as_str().unwrap_or_default()
    }

    /// Fails the test unless every check of the conversation passed.
    pub fn assert_ok(&self) {
        self.assert_checks(|_| false);
    }

    fn assert_checks(&self, excused: impl Fn(&Value) -> bool) {
        let failed: Vec<&Value> = self.json["checks"]
            .as_array()
            .map(|checks| {
                checks
                    .iter()
                    .filter(|c| c["ok"] != true && !excused(c))
                    .collect()
            })
            .unwrap_or_default();
        let ran = self.json["checks"]
            .as_array()
            .is_some_and(|c| !c.is_empty());
        assert!(
            ran && failed.is_empty() && self.json.get("error").is_none(),
            "peer client failed: failed checks {failed:?}, error {:?}\nreport: {}\nstderr: {}",
            self.json.get("error"),
            self.json,
            self.stderr
        );
    }

    /// Whether the peer ran a check of this name and it passed.
    pub fn passed(&self, name: &str) -> bool {
        self.json["checks"]
            .as_array()
            .is_some_and(|checks| checks.iter().any(|c| c["name"] == name && c["ok"] == true))
    }
}

async fn run_to_report(mut command: Command, what: &str) -> ClientReport {
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}: {SETUP_HINT}"));
    let output = within(what, child.wait_with_output())
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let line = stdout.lines().next().unwrap_or_else(|| {
        panic!(
            "{what} printed nothing ({}); stderr: {stderr}",
            output.status
        )
    });
    let json = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("{what} printed {line:?}, not JSON ({e}); stderr: {stderr}"));
    ClientReport { json, stderr }
}

/// Runs a peer's client conversation (interop/README.md) against `url`;
/// `deflate` is the peer's `--deflate` JSON.
pub async fn run_client(peer: Peer, url: &str, deflate: &str) -> ClientReport {
    let mut command = command(&peer.program(), &peer.script("client"));
    command.args(["--url", url, "--deflate", deflate, "--timeout", "40"]);
    run_to_report(command, &format!("{peer:?} client --deflate {deflate}")).await
}

/// Runs headless Chromium's conversation (interop/chromium_client.mjs) against `url`.
pub async fn run_chromium(url: &str) -> ClientReport {
    let executable = chromium();
    let mut command = command(&node(), &interop_dir().join("chromium_client.mjs"));
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
        let mut command = command(&peer.program(), &peer.script("server"));
        command.args(["--port", "0", "--host", "127.0.0.1", "--timeout", "60"]);
        command.args(["--deflate", deflate]);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}: {SETUP_HINT}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let first = within(&what, lines.next_line()).await;
        let port = match first {
            Ok(Some(line)) => line
                .strip_prefix("LISTENING ")
                .and_then(|port| port.trim().parse().ok())
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
