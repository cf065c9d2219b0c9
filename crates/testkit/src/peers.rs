//! The peer programs of `interop/` (contract: interop/README.md) and the runtimes that run them:
//! each overridable by the environment `scripts/test` sets (`DUPLEX_INTEROP`, `DUPLEX_NODE`,
//! `DUPLEX_PY`, `DUPLEX_CHROMIUM`), with the layout `scripts/setup` installs as the default.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What to do when a peer or its runtime is missing; every failure here ends with it.
pub const SETUP_HINT: &str =
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

/// `DUPLEX_NODE`, or `node` on the PATH; fails the test unless each of `packages` is installed
/// in `interop/node_modules`.
pub fn node(packages: &[&str]) -> PathBuf {
    let modules = interop_dir().join("node_modules");
    for package in packages {
        assert_exists(&modules.join(package));
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

/// `DUPLEX_PY`, or `<repo>/interop/.venv/bin/python` (the venv of interop/requirements.txt).
pub fn python() -> PathBuf {
    let python = std::env::var_os("DUPLEX_PY")
        .map(PathBuf::from)
        .unwrap_or_else(|| interop_dir().join(".venv/bin/python"));
    assert_exists(&python);
    python
}

/// `DUPLEX_CHROMIUM`, or `/usr/bin/chromium`.
pub fn chromium() -> PathBuf {
    let chromium = std::env::var_os("DUPLEX_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert_exists(&chromium);
    chromium
}

/// `script` (a file name in `interop/`) run by `program` from the repository root, with
/// stdin closed and stdout and stderr captured; the caller adds the arguments.
///
/// Async tests turn it into a `tokio::process::Command` (`From`) and set `kill_on_drop`, so
/// a failing test kills exactly the processes it started.
pub fn command(program: &Path, script: &str) -> Command {
    let script = interop_dir().join(script);
    assert_exists(&script);
    let mut command = Command::new(program);
    command
        .arg(script)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The port in a server's first line, `LISTENING <port>` (interop/README.md), or `None` when
/// the line is anything else.
pub fn listening_port(line: &str) -> Option<u16> {
    line.strip_prefix("LISTENING ")?.trim().parse().ok()
}

fn assert_exists(path: &Path) {
    assert!(path.exists(), "{} is missing: {SETUP_HINT}", path.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_port_reads_the_servers_first_line() {
        assert_eq!(listening_port("LISTENING 40123"), Some(40123));
        assert_eq!(listening_port("LISTENING 8080\r"), Some(8080));
        assert_eq!(listening_port("LISTENING"), None);
        assert_eq!(listening_port("LISTENING 70000"), None);
        assert_eq!(listening_port("listening 80"), None);
        assert_eq!(listening_port("{\"event\":\"closed\"}"), None);
    }

    #[test]
    fn the_repository_root_holds_the_workspace_and_the_peers() {
        assert!(repo_root().join("Cargo.toml").is_file());
        assert!(repo_root().join("interop/README.md").is_file());
    }
}
