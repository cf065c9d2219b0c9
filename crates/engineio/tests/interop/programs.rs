//! The Engine.IO peer programs of `interop/` (contract: interop/README.md, "Engine.IO"): where
//! they are and running one to its JSON verdict. Children are spawned with `kill_on_drop`, so
//! a failing test kills exactly the processes it started.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use tokio::process::Command;

use super::within;

const SETUP_HINT: &str =
    "run scripts/setup (it installs interop/node_modules, interop/.venv and chromium)";

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

/// `DUPLEX_NODE`, or `node` on the PATH; the Engine.IO packages must be installed.
pub fn node() -> PathBuf {
    let modules = interop_dir().join("node_modules");
    for package in ["engine.io-client", "engine.io-client-v3", "playwright-core"] {
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

/// `DUPLEX_PY`, or `<repo>/interop/.venv/bin/python` (with python-engineio and requests).
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

/// What a peer program reported: its JSON verdict line and its stderr.
#[derive(Debug)]
pub struct Report {
    /// How the program was run, for failure messages.
    pub what: String,
    /// The JSON result line.
    pub json: Value,
    /// Diagnostics, for failure messages.
    pub stderr: String,
}

impl Report {
    /// The checks that did not pass (plus the run's `error`, if it broke off).
    pub fn failures(&self) -> Vec<String> {
        let mut failed: Vec<String> = self.json["checks"]
            .as_array()
            .map(|checks| {
                checks
                    .iter()
                    .filter(|c| c["ok"] != true)
                    .map(|c| format!("{}: {}", c["name"], c["detail"]))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(error) = self.json.get("error") {
            failed.push(format!("error: {error}"));
        }
        if self.json["checks"].as_array().is_none_or(Vec::is_empty) {
            failed.push("no checks ran".into());
        }
        failed
    }

    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.failures().is_empty() && self.json["ok"] == true
    }

    /// One paragraph for a failure message: the command, what failed, the whole report.
    pub fn explain(&self) -> String {
        format!(
            "{}\n  failed: {:?}\n  report: {}\n  stderr: {}",
            self.what,
            self.failures(),
            self.json,
            self.stderr.trim()
        )
    }

    /// The session id the client got, if it connected.
    pub fn sid(&self) -> Option<&str> {
        self.json["sid"].as_str()
    }

    /// The client's close reason (`close.reason`), if the scenario ended the session.
    pub fn close_reason(&self) -> Option<&str> {
        self.json["close"]["reason"].as_str()
    }
}

/// Runs `script` (in interop/) with `program` and `args` from the repository root and parses
/// its one JSON line.
pub async fn run(program: &Path, script: &str, args: &[String]) -> Report {
    let script_path = interop_dir().join(script);
    assert!(
        script_path.is_file(),
        "{} is missing: {SETUP_HINT}",
        script_path.display()
    );
    let what = format!("{script} {}", args.join(" "));
    let mut command = Command::new(program);
    command
        .arg(&script_path)
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}: {SETUP_HINT}"));
    let output = within(&what, child.wait_with_output())
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
    Report { what, json, stderr }
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
        &python(),
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
