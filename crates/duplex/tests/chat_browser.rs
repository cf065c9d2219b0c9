//! The demo chat of `duplex serve` in headless Chromium (`interop/chat_browser.mjs`, contract in
//! interop/README.md): two pages log in, chat, join a room, see presence and typing, send an
//! image; this test then kills the server (SIGKILL, a crash) and starts it again on the same
//! port, and both pages must reconnect and keep chatting. Three variants: the page as served
//! (polling, then the WebSocket upgrade), WebSocket blocked in the browser (long-polling only),
//! and the official socket.io-client bundle in place of ours.
//!
//! Screenshots of both pages after each step, and the server's log, are written under
//! `target/browser-screenshots/<variant>/` for a person to look at.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use duplex_testkit::peers::{self, listening_port};
use duplex_testkit::verdict::Report;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// Longer than a run can take (≈10 s; each wait in the script is bounded by 15–30 s): past it
/// the script is stopped.
const RUN_LIMIT: Duration = Duration::from_secs(240);

/// How long `duplex serve` may take to print `LISTENING <port>`.
const STARTUP: Duration = Duration::from_secs(15);

/// How long the script has to close its browser when asked to stop, before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Held while a browser runs: two at once on a shared 2-core machine make every wait a lottery.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `<target>/browser-screenshots/<variant>`, emptied.
fn screenshots(variant: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target>/tmp");
    let dir = target.join("browser-screenshots").join(variant);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the screenshot directory can be made");
    dir
}

/// `duplex serve` on 127.0.0.1 (killed when dropped), its log appended to `log`.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Started on `port` (0: any); `Err` says why it did not start listening.
    async fn start(port: u16, log: &Path) -> Result<Server, String> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("server log {}: {e}", log.display()))?;
        let mut child = Command::new(env!("CARGO_BIN_EXE_duplex"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("duplex serve does not start: {e}"))?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let first = tokio::time::timeout(STARTUP, lines.next_line()).await;
        let port = match first {
            Ok(Ok(Some(line))) => listening_port(&line).ok_or(format!("first line {line:?}"))?,
            other => return Err(format!("no LISTENING line: {other:?}")),
        };
        // Later lines (if any) are drained, so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server { child, port })
    }

    /// Started again on its port: a few tries, in case the port is not free again at once.
    async fn restart(port: u16, log: &Path) -> Result<Server, String> {
        let mut last = String::new();
        for _ in 0..10 {
            match Server::start(port, log).await {
                Ok(server) => return Ok(server),
                Err(e) => last = e,
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(last)
    }
}

/// The Node script, asked to stop (SIGTERM: it closes its browser) and then killed if it is
/// still running when dropped, also when the test fails.
struct Script(Child);

impl Drop for Script {
    fn drop(&mut self) {
        let Some(pid) = self.0.id() else { return };
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
            let deadline = std::time::Instant::now() + STOP_GRACE;
            while std::time::Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.0.start_kill();
    }
}

/// Runs the scenario in `variant` and fails the test unless every step passed.
async fn chat(variant: &str) {
    let chromium = peers::chromium();
    let node = peers::node(&["playwright-core", "socket.io-client"]);
    let _browser = ONE_BROWSER.lock().await;
    let dir = screenshots(variant);
    let log = dir.join("server.log");
    let mut server = Some(Server::start(0, &log).await.expect("duplex serve starts"));
    let port = server.as_ref().map_or(0, |s| s.port);
    let mut child = Command::from(peers::command(&node, "chat_browser.mjs"))
        .args(["--url", &format!("http://127.0.0.1:{port}")])
        .args(["--variant", variant])
        .arg("--screenshots")
        .arg(&dir)
        .arg("--executable")
        .arg(chromium)
        .stdin(Stdio::piped())
        .spawn()
        .expect("node runs chat_browser.mjs");
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stderr.take().expect("piped");
    let collected = stderr.clone();
    tokio::spawn(async move {
        let mut buf = [0; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buf).await {
            let text = String::from_utf8_lossy(&buf[..n]);
            collected.lock().unwrap().push_str(&text);
        }
    });
    let mut script = Script(child);
    let what = format!("chat_browser.mjs --variant {variant}");
    let dialogue = async {
        let mut stdout: Lines<BufReader<ChildStdout>> = stdout;
        while let Some(line) = stdout.next_line().await.expect("stdout readable") {
            let json: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("{what} printed {line:?}, not JSON ({e})"));
            let answer = match json["control"].as_str() {
                Some("kill-server") => {
                    if let Some(mut s) = server.take() {
                        s.child.kill().await.expect("the server is killed");
                    }
                    "killed".to_owned()
                }
                Some("start-server") => match Server::restart(port, &log).await {
                    Ok(s) => {
                        server = Some(s);
                        "started".to_owned()
                    }
                    Err(e) => format!("not started: {e}"),
                },
                Some(other) => format!("unknown request {other}"),
                None if json.get("checks").is_some() => return Some(line),
                None => {
                    eprintln!("{what}: {line}");
                    continue;
                }
            };
            // A script that died meanwhile ends stdout next: the failure then shows its stderr.
            let _ = stdin.write_all(format!("{answer}\n").as_bytes()).await;
        }
        None
    };
    let verdict = tokio::time::timeout(RUN_LIMIT, dialogue).await;
    // After its verdict the script closes the browser and exits by itself.
    let _ = tokio::time::timeout(STOP_GRACE, script.0.wait()).await;
    drop(script);
    drop(server);
    let stderr = stderr.lock().unwrap().clone();
    let verdict = match verdict {
        Ok(Some(line)) => Report::from_line(&what, &line, &stderr),
        Ok(None) => panic!("{what} ended without a verdict; stderr: {stderr}"),
        Err(_) => panic!(
            "{what} still running after {} s; stderr: {stderr}",
            RUN_LIMIT.as_secs()
        ),
    };
    assert!(
        verdict.failures().is_empty(),
        "{}\n  screenshots and the server log: {}",
        verdict.explain(),
        dir.display()
    );
}

#[tokio::test]
async fn two_pages_chat_and_survive_a_server_restart() {
    chat("default").await;
}

#[tokio::test]
async fn with_websocket_blocked_the_pages_chat_over_long_polling() {
    chat("polling").await;
}

#[tokio::test]
async fn the_page_works_with_the_official_socket_io_client() {
    chat("official").await;
}
