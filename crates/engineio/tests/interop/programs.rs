//! The Engine.IO peer programs of `interop/` (contract: interop/README.md, "Engine.IO"; found
//! by duplex-testkit): running one to its JSON verdict. Children are spawned with `kill_on_drop`, so
//! a failing test kills exactly the processes it started.

use std::path::{Path, PathBuf};

use duplex_testkit::peers;
pub use duplex_testkit::verdict::Report;
use tokio::process::Command;

use super::within;

/// `DUPLEX_NODE`, or `node` on the PATH; the Engine.IO packages must be installed.
pub fn node() -> PathBuf {
    peers::node(&["engine.io-client", "engine.io-client-v3", "playwright-core"])
}

/// Runs `script` (in interop/) with `program` and `args` from the repository root and parses
/// its one JSON line.
pub async fn run(program: &Path, script: &str, args: &[String]) -> Report {
    let what = format!("{script} {}", args.join(" "));
    let mut command = Command::from(peers::command(program, script));
    command.args(args).kill_on_drop(true);
    let output = within(&what, command.output()).await;
    Report::from_output(&what, output)
}

/// `eio_client.mjs` (engine.io-client 6, or 3 with `eio3`) running `scenario` in `mode`.
pub async fn node_client(url: &str, mode: &str, scenario: &str, eio3: bool) -> Report {
    let mut args = client_args(url, mode, scenario);
    if eio3 {
        args.push("--eio3".into());
    }
    run(&node(), "eio_client.mjs", &args).await
}

/// `py_eio_client.py` (python-engineio) running `scenario` in `mode`.
pub async fn python_client(url: &str, mode: &str, scenario: &str) -> Report {
    run(
        &peers::python(),
        "py_eio_client.py",
        &client_args(url, mode, scenario),
    )
    .await
}

fn client_args(url: &str, mode: &str, scenario: &str) -> Vec<String> {
    [
        "--url",
        url,
        "--transports",
        mode,
        "--scenario",
        scenario,
        "--max-payload",
        "1000000",
        "--timeout",
        "60",
    ]
    .map(String::from)
    .to_vec()
}

/// Collects the failing runs of a matrix and fails the test once with all of them.
#[derive(Default)]
pub struct Verdicts {
    failures: Vec<String>,
    runs: usize,
}

impl Verdicts {
    /// Records a run; `extra` is a further problem the test found (e.g. the server's side).
    pub fn record(&mut self, report: &Report, extra: Option<String>) {
        self.runs += 1;
        match (report.ok(), extra) {
            (true, None) => eprintln!("PASS {}", report.what),
            (_, extra) => {
                let mut text = report.explain();
                if let Some(extra) = extra {
                    text = format!("{text}\n  also: {extra}");
                }
                eprintln!("FAIL {text}");
                self.failures.push(text);
            }
        }
    }

    /// Fails the test if any run failed, listing every one.
    pub fn assert_all_passed(self) {
        assert!(
            self.failures.is_empty(),
            "{} of {} runs failed:\n{}",
            self.failures.len(),
            self.runs,
            self.failures.join("\n\n")
        );
    }
}
