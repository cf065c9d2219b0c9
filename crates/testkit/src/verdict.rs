//! The verdict a peer client prints: one JSON line on stdout,
//! `{"ok", "checks": [{"name", "ok", "detail"?}], "error"?, ...}` (interop/README.md), read
//! into a [`Report`] that can explain itself in a failure message.

use std::process::Output;

use serde_json::Value;

use crate::peers::SETUP_HINT;

/// What a peer client reported: its JSON verdict line and its stderr.
#[derive(Debug)]
pub struct Report {
    /// How the program was run, for failure messages.
    pub what: String,
    /// The JSON verdict line.
    pub json: Value,
    /// Diagnostics, for failure messages.
    pub stderr: String,
}

impl Report {
    /// Reads the verdict of the run `what` from its first stdout line; fails the test if the
    /// program did not start or printed no JSON.
    pub fn from_output(what: &str, output: std::io::Result<Output>) -> Report {
        let output = output.unwrap_or_else(|e| panic!("cannot run {what}: {e}: {SETUP_HINT}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let line = stdout.lines().next().unwrap_or_else(|| {
            panic!(
                "{what} printed nothing ({}); stderr: {stderr}",
                output.status
            )
        });
        Report::from_line(what, line, &stderr)
    }

    /// Reads one verdict line of the run `what`, for programs that print several (one per
    /// scenario); fails the test if `line` is not JSON.
    pub fn from_line(what: &str, line: &str, stderr: &str) -> Report {
        let json = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!("{what} printed {line:?}, not JSON ({e}); stderr: {stderr}")
        });
        Report {
            what: what.to_owned(),
            json,
            stderr: stderr.to_owned(),
        }
    }

    /// The checks that did not pass, the run's `error` if it broke off, and "no checks ran"
    /// if the list is empty.
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

    /// Whether every check passed and the peer's own verdict (`ok`) agrees.
    pub fn ok(&self) -> bool {
        self.failures().is_empty() && self.json["ok"] == true
    }

    /// Fails the test unless checks ran and every one passed (whatever the peer's `ok` says).
    pub fn assert_ok(&self) {
        assert!(
            self.failures().is_empty(),
            "peer client failed: {}",
            self.explain()
        );
    }

    /// Whether the peer ran a check of this name and it passed.
    pub fn passed(&self, name: &str) -> bool {
        self.json["checks"]
            .as_array()
            .is_some_and(|checks| checks.iter().any(|c| c["name"] == name && c["ok"] == true))
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

    /// The full `Sec-WebSocket-Extensions` response header a WebSocket peer saw (`""` if none).
    pub fn extensions(&self) -> &str {
        self.json["extensions"].as_str().unwrap_or_default()
    }

    /// The session id an Engine.IO peer client got, if it connected.
    pub fn sid(&self) -> Option<&str> {
        self.json["sid"].as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(line: &str) -> Report {
        let output = std::process::Command::new("echo").arg(line).output();
        Report::from_output("echo", output)
    }

    #[test]
    fn a_run_whose_checks_all_pass_is_ok() {
        let report = report(r#"{"ok":true,"checks":[{"name":"a","ok":true}],"sid":"x"}"#);
        assert!(report.ok());
        assert!(report.passed("a"));
        assert!(!report.passed("b"));
        assert_eq!(report.sid(), Some("x"));
        assert_eq!(report.extensions(), "");
        report.assert_ok();
    }

    #[test]
    fn failed_checks_errors_and_empty_runs_are_failures() {
        let failed = report(r#"{"ok":false,"checks":[{"name":"a","ok":false,"detail":"d"}]}"#);
        assert_eq!(failed.failures(), ["\"a\": \"d\""]);
        assert!(!failed.passed("a"));
        let broke = report(r#"{"ok":false,"checks":[],"error":"boom"}"#);
        assert_eq!(broke.failures(), ["error: \"boom\"", "no checks ran"]);
        assert!(!broke.ok());
    }

    #[test]
    fn a_line_of_several_reads_like_a_first_line() {
        let line = r#"{"ok":false,"scenario":"x","checks":[{"name":"a","ok":false}]}"#;
        let report = Report::from_line("several", line, "why");
        assert_eq!(report.json["scenario"], "x");
        assert_eq!(report.failures(), ["\"a\": null"]);
        assert!(report.explain().contains("stderr: why"));
    }

    #[test]
    #[should_panic(expected = "not JSON")]
    fn a_line_that_is_not_json_fails_the_test() {
        Report::from_line("several", "LISTENING 1", "");
    }

    #[test]
    fn the_peers_own_verdict_counts_for_ok_only() {
        let report = report(r#"{"ok":false,"checks":[{"name":"a","ok":true}]}"#);
        assert!(report.failures().is_empty());
        assert!(!report.ok());
    }
}
