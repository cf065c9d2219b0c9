//! Our browser client (`web/socketio/`) and the official `socket.io-client` 4.8.4 bundle, each
//! in headless Chromium, through the scenarios of `interop/web_client_check.mjs` (contract in
//! interop/README.md) against Node's socket.io (`interop/sio_server.mjs`) and against ours (the
//! `contract_server` example): what passes with the official client and Node's server is the
//! behaviour both of ours must show.
//!
//! The harness owns the server (`--server`), so the `restart` scenario runs too. Only one
//! Chromium runs at a time ([`ONE_BROWSER`]): on a shared 2-core machine several at once turn
//! the scenarios' timing checks (ack timeouts, reconnection delays) into a lottery.

use std::path::Path;
use std::process::Output;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use duplex_testkit::examples::example_binary;
use duplex_testkit::peers;
use duplex_testkit::verdict::Report;

/// Longer than a whole run can take: ~1 s of browser start plus 0.2–1.6 s per scenario, each
/// bounded by the harness's own 30 s; past it the harness is stopped (it then stops the server
/// and the browser itself).
const RUN_LIMIT: Duration = Duration::from_secs(240);

/// Held while a browser runs.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

#[derive(Clone, Copy, Debug)]
enum Server {
    Node,
    Ours,
}

/// `program args...` as one `sh -c` command line (`--server` takes a string).
fn shell_line(program: &Path, args: &[&str]) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    std::iter::once(quote(&program.to_string_lossy()))
        .chain(args.iter().map(|a| quote(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn server_command(server: Server) -> String {
    match server {
        Server::Node => {
            let node = peers::node(&["socket.io"]);
            let script = peers::interop_dir().join("sio_server.mjs");
            shell_line(&node, &[&script.to_string_lossy(), "--quiet"])
        }
        Server::Ours => {
            let binary = example_binary(
                env!("CARGO_PKG_NAME"),
                env!("CARGO_MANIFEST_DIR"),
                "contract_server",
            );
            shell_line(&binary, &["--quiet"])
        }
    }
}

/// Runs web_client_check.mjs with `client` against `server` (plus `extra` flags) and fails
/// the test, naming each failed scenario and check, unless every scenario passed.
fn check(client: &str, server: Server, extra: &[&str]) {
    let chromium = peers::chromium();
    let node = peers::node(&["playwright-core", "socket.io-client"]);
    let what = format!("web_client_check --client {client} against {server:?} {extra:?}");
    let _browser = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let output = peers::output_within(
        peers::command(&node, "web_client_check.mjs")
            .args(["--client", client, "--server", &server_command(server)])
            .args(extra)
            .arg("--executable")
            .arg(chromium),
        RUN_LIMIT,
    );
    let output = output.unwrap_or_else(|e| panic!("cannot run {what}: {e}: {}", peers::SETUP_HINT));
    eprintln!("{what}: {:.1} s", started.elapsed().as_secs_f64());
    assert_all_passed(&what, &output);
}

/// The scenario lines and the summary line of one run: every scenario passed, the summary
/// agrees, and it counted as many scenarios as there are lines.
fn assert_all_passed(what: &str, output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reports: Vec<Report> = stdout
        .lines()
        .map(|line| Report::from_line(what, line, &stderr))
        .collect();
    let (summaries, scenarios): (Vec<&Report>, Vec<&Report>) =
        reports.iter().partition(|r| r.json["summary"] == true);
    let failed: Vec<String> = scenarios
        .iter()
        .filter(|r| !r.ok())
        .map(|r| {
            format!(
                "scenario {}: {:?}\n    events: {}",
                r.json["scenario"],
                r.failures(),
                r.json["events"]
            )
        })
        .collect();
    let summary = summaries.first().map(|s| &s.json);
    assert!(
        failed.is_empty()
            && summaries.len() == 1
            && summary.is_some_and(|s| s["ok"] == true)
            && summary.is_some_and(|s| s["scenarios"] == scenarios.len())
            && !scenarios.is_empty()
            && output.status.success(),
        "{what} ({}):\n  {}\n  summary: {summary:?}\n  stderr: {}",
        output.status,
        failed.join("\n  "),
        stderr.trim()
    );
}

#[test]
fn our_browser_client_passes_against_node_socket_io() {
    check("ours", Server::Node, &[]);
}

#[test]
fn our_browser_client_passes_against_our_server() {
    check("ours", Server::Ours, &[]);
}

#[test]
fn the_official_client_passes_against_node_socket_io() {
    check("official", Server::Node, &[]);
}

#[test]
fn the_official_client_passes_against_our_server() {
    check("official", Server::Ours, &[]);
}

#[test]
fn both_clients_recover_their_state_with_either_server() {
    for server in [Server::Node, Server::Ours] {
        for client in ["ours", "official"] {
            check(client, server, &["--recovery"]);
        }
    }
}
