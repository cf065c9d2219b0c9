//! What the load generator tests share: running `duplex bench` and starting a Node peer.

use std::process::Stdio;
use std::time::Duration;

use duplex_testkit::peers::{self, listening_port};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Starts the Node program `script` of interop/ (needing the npm `packages`) with `args`
/// after `--port 0 --quiet`; returns it (killed when dropped) and `http://127.0.0.1:<port><path>`.
pub async fn node_server(
    packages: &[&str],
    script: &str,
    args: &[&str],
    path: &str,
) -> (Child, String) {
    let node = peers::node(packages);
    let mut command = Command::from(peers::command(&node, script));
    let mut child = command
        .args(["--port", "0", "--quiet"])
        .args(args)
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let first = first_line(&mut child).await;
    let port = listening_port(&first)
        .unwrap_or_else(|| panic!("expected LISTENING <port>, got {first:?}"));
    (child, format!("http://127.0.0.1:{port}{path}"))
}

/// The first line `child` prints on its piped stdout: where a server says it listens.
pub async fn first_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("piped");
    let mut first = String::new();
    tokio::time::timeout(
        Duration::from_secs(20),
        BufReader::new(stdout).read_line(&mut first),
    )
    .await
    .expect("the server announces itself in time")
    .expect("readable");
    first
}

/// Runs `duplex bench <args>` (stdin closed, 60 s at most) to its end.
pub async fn run_bench<I>(args: I) -> std::process::Output
where
    I: IntoIterator,
    I::Item: AsRef<std::ffi::OsStr>,
{
    let output = Command::new(env!("CARGO_BIN_EXE_duplex"))
        .arg("bench")
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("the load generator finishes in time")
        .expect("the load generator runs")
}

/// Runs `duplex bench <args> --url <url> --json`; returns (success, last JSON line, stderr).
pub async fn bench(url: &str, args: &[&str]) -> (bool, serde_json::Value, String) {
    let url_and_json = ["--url", url, "--json"];
    let output = run_bench(args.iter().chain(&url_and_json)).await;
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
