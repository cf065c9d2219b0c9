//! The examples do what their docs say, as the official `socket.io-client` 4.8.4 sees it:
//! each example binary (built by `cargo test` beside this test) is started on a free port and
//! `interop/sio_examples.mjs` drives it, once over WebSocket and once over long-polling, each
//! run against a fresh process so that one run's sockets cannot leak into the next.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long an example may take to print `LISTENING <port>`.
const STARTUP: Duration = Duration::from_secs(10);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn interop_dir() -> PathBuf {
    std::env::var_os("DUPLEX_INTEROP").map_or_else(|| repo_root().join("interop"), PathBuf::from)
}

/// The example binary cargo built beside this test (`target/<profile>/examples/`).
///
/// Only an unfiltered `cargo test` builds the examples: with `--test examples` alone the binary
/// may be missing, or older than its sources, and then testing it would test old code.
fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let binary = profile_dir.join("examples").join(name);
    let hint =
        "run `cargo build -p duplex-socketio --examples` (or an unfiltered `cargo test`) first";
    let built =
        modified(&binary).unwrap_or_else(|| panic!("{} is missing: {hint}", binary.display()));
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![crate_dir.join(format!("examples/{name}.rs"))];
    sources.extend(
        std::fs::read_dir(crate_dir.join("src"))
            .expect("the crate's src/")
            .filter_map(|entry| Some(entry.ok()?.path())),
    );
    if let Some(newer) = sources
        .iter()
        .find(|s| modified(s).is_some_and(|m| m > built))
    {
        panic!(
            "{} is older than {}: {hint}",
            binary.display(),
            newer.display()
        );
    }
    binary
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

/// A running example, killed when dropped (also when the test fails).
struct Example {
    child: Child,
    port: u16,
}

impl Example {
    fn start(name: &str) -> Example {
        let child = Command::new(example_binary(name))
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
        example.port = line
            .strip_prefix("LISTENING ")
            .and_then(|port| port.trim().parse().ok())
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
    let node = std::env::var_os("DUPLEX_NODE").unwrap_or_else(|| "node".into());
    for transport in ["websocket", "polling"] {
        let example = Example::start(name);
        let output = Command::new(&node)
            .current_dir(repo_root())
            .arg(interop_dir().join("sio_examples.mjs"))
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
