//! The examples do what their docs say, as the official `socket.io-client` 4.8.4 sees it:
//! each example binary (built by `cargo test` beside this test) is started on a free port and
//! `interop/sio_examples.mjs` drives it, once over WebSocket and once over long-polling, each
//! run against a fresh process so that one run's sockets cannot leak into the next.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use duplex_testkit::examples::example_binary;
use duplex_testkit::peers::{self, listening_port};

/// How long an example may take to print `LISTENING <port>`.
const STARTUP: Duration = Duration::from_secs(10);

/// A running example, killed when dropped (also when the test fails).
struct Example {
    child: Child,
    port: u16,
}

impl Example {
    fn start(name: &str) -> Example {
        let binary = example_binary(env!("CARGO_PKG_NAME"), env!("CARGO_MANIFEST_DIR"), name);
        let child = Command::new(binary)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("example {name} does not start: {e}"));
        let mut example = Example { child, port: 0 };
        let stdout = example.child.stdout.take().expect("piped stdout");
        let (first_line, line) = mpsc::channel();
        // The reader keeps draining stdout after the first line, so the example never writes
        // to a closed pipe.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = first_line.send(lines.next());
            lines.for_each(drop);
        });
        let line = match line.recv_timeout(STARTUP) {
            Ok(Some(Ok(line))) => line,
            other => panic!("example {name} printed no LISTENING line: {other:?}"),
        };
        example.port = listening_port(&line)
            .unwrap_or_else(|| panic!("example {name}: unexpected first line {line:?}"));
        example
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the Node checks of example `name` over each transport.
fn drive(name: &str) {
    let node = peers::node(&["socket.io-client"]);
    for transport in ["websocket", "polling"] {
        let example = Example::start(name);
        let output = peers::command(&node, "sio_examples.mjs")
            .args([
                "--example",
                name,
                "--transports",
                transport,
                "--timeout",
                "20",
            ])
            .arg("--url")
            .arg(format!("http://127.0.0.1:{}", example.port))
            .output()
            .expect("node runs (scripts/setup installs the interop peers)");
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && report.contains("\"ok\":true"),
            "example {name} over {transport}:\n{report}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        drop(example);
    }
}

#[test]
fn chat_rooms_and_nicknames() {
    drive("chat");
}

#[test]
fn axum_routes_beside_socket_io() {
    drive("axum");
}

#[test]
fn acks_both_ways_and_broadcast_acks() {
    drive("acks");
}

#[test]
fn binary_payloads_both_ways() {
    drive("binary");
}

#[test]
fn auth_middleware_refuses_and_accepts() {
    drive("auth");
}
