//! The WebSocket load generators' reports (`--json FILE`, `--plot FILE`) against `duplex
//! echo` and Node's `ws`, and `duplex bench plot` merging them into one plot: every figure
//! present and consistent. Needs `scripts/setup` (Node).

use std::path::Path;
use std::process::Stdio;

use tokio::process::{Child, Command};

mod common;
use common::{bench, first_line, node_server, run_bench};

/// `duplex echo` on a free port; the child (killed when dropped) and its `ws://` URL.
async fn echo_server() -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_duplex"))
        .args(["echo", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("duplex echo starts");
    let first = first_line(&mut child).await;
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("expected `listening on ws://...`, got {first:?}"));
    (child, format!("{url}/"))
}

/// Runs `duplex bench <args>` writing its JSON to a file in `dir`; returns the JSON.
async fn run_to_file(dir: &Path, name: &str, args: &[&str]) -> serde_json::Value {
    let json = dir.join(format!("{name}.json"));
    let plot = dir.join(format!("{name}.svg"));
    let (json_flag, plot_flag) = (json.to_string_lossy(), plot.to_string_lossy());
    let files = ["--json", &json_flag, "--plot", &plot_flag];
    let output = run_bench(args.iter().chain(&files)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The table goes to stdout when the JSON goes to a file.
    assert!(
        stdout.contains("latency ms") && stdout.contains("p99.9"),
        "{stdout}"
    );
    let svg = std::fs::read_to_string(&plot).expect("the plot is written");
    assert!(
        svg.starts_with("<svg") && svg.contains("<polyline"),
        "{svg}"
    );
    let text = std::fs::read_to_string(&json).expect("the JSON is written");
    serde_json::from_str(&text).expect("valid JSON")
}

/// The figures every report has, consistent with each other; returns the operations counted.
fn sane(json: &serde_json::Value, scenario: &str, unit: &str) -> u64 {
    assert_eq!(json["scenario"], scenario, "{json}");
    assert_eq!(json["errors"], 0, "{json}");
    let throughput = &json["throughput"];
    assert_eq!(throughput["unit"], unit, "{json}");
    let count = throughput["count"].as_u64().expect("count");
    let seconds = throughput["seconds"].as_f64().expect("seconds");
    assert!(count > 0 && seconds > 0.0, "{json}");
    let rate = throughput["per_sec"].as_f64().expect("rate");
    assert!(
        (rate - count as f64 / seconds).abs() < 1e-6 * rate,
        "{json}"
    );
    let latency = &json["latency_us"];
    let at = |key: &str| {
        latency[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {json}"))
    };
    assert!(at("count") > 0, "{json}");
    let ordered = [
        at("min"),
        at("p50"),
        at("p90"),
        at("p99"),
        at("p999"),
        at("max"),
    ];
    assert!(ordered.windows(2).all(|w| w[0] <= w[1]), "{json}");
    assert!(at("max") < 60_000_000, "{json}");
    let curve = latency["curve"].as_array().expect("curve");
    assert!(curve.len() > 50, "{json}");
    if cfg!(target_os = "linux") {
        assert!(json["cpu_seconds"]["user"].as_f64().is_some(), "{json}");
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_commands_report_and_plot() {
    let (_server, url) = echo_server().await;
    let dir = std::env::temp_dir().join(format!("duplex-bench-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");

    let args = [
        "ws-echo",
        "--url",
        &url,
        "--connections",
        "2",
        "--duration",
        "0.5",
    ];
    let echo = run_to_file(
        &dir,
        "ws-echo",
        &[&args[..], &["--label", "duplex"]].concat(),
    )
    .await;
    let messages = sane(&echo, "ws-echo", "messages");
    assert_eq!(echo["messages"], messages, "{echo}");
    assert_eq!(echo["label"], "duplex", "{echo}");
    assert_eq!(echo["latency_us"]["count"], messages, "{echo}");

    // 127.0.0.2: loopback answers the whole 127/8 on Linux.
    let args = [
        "connect-rate",
        "--url",
        &url,
        "--count",
        "20",
        "--concurrency",
        "4",
        "--source-addrs",
        "127.0.0.1,127.0.0.2",
    ];
    let rate = run_to_file(&dir, "connect-rate", &args).await;
    assert_eq!(sane(&rate, "connect-rate", "connections"), 20, "{rate}");
    assert_eq!(rate["latency_us"]["count"], 20, "{rate}");

    let args = [
        "ws-idle",
        "--url",
        &url,
        "--connections",
        "5",
        "--hold",
        "0.1",
        "--sources",
        "127.0.0.2",
    ];
    let idle = run_to_file(&dir, "ws-idle", &args).await;
    assert_eq!(sane(&idle, "ws-idle", "connections"), 5, "{idle}");
    assert_eq!(idle["alive_after_hold"], 5, "{idle}");

    // `--json` alone: one line on stdout, the last, as the benches/ scripts read it.
    let args = [
        "ws-echo",
        "--connections",
        "1",
        "--duration",
        "0.6",
        "--progress",
    ];
    let (ok, json, stderr) = bench(&url, &args).await;
    assert!(ok, "{stderr}");
    sane(&json, "ws-echo", "messages");
    assert!(
        stderr.contains("latency ms"),
        "the table goes to stderr: {stderr}"
    );
    // `--progress` draws the bar on stderr though it is not a terminal.
    assert!(stderr.contains("\rws-echo [="), "{stderr}");

    let (_node, node_url) = node_server(&["ws"], "ws_echo_server.mjs", &[], "/").await;
    let node_url = node_url.replace("http://", "ws://");
    let args = [
        "ws-echo",
        "--url",
        &node_url,
        "--connections",
        "2",
        "--duration",
        "0.5",
    ];
    let node = run_to_file(&dir, "node", &[&args[..], &["--label", "Node ws"]].concat()).await;
    sane(&node, "ws-echo", "messages");

    let merged = dir.join("merged.svg");
    let status = Command::new(env!("CARGO_BIN_EXE_duplex"))
        .args(["bench", "plot", "--title", "two runs", "--out"])
        .arg(&merged)
        .arg(dir.join("ws-echo.json"))
        .arg(dir.join("node.json"))
        .status()
        .await
        .expect("duplex bench plot runs");
    assert!(status.success());
    let svg = std::fs::read_to_string(&merged).expect("the merged plot");
    assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
    assert!(svg.contains(">two runs</text>"), "{svg}");
    assert!(
        svg.contains(">duplex: p50") && svg.contains(">Node ws: p50"),
        "{svg}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
