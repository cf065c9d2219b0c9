//! The peer programs of `interop/` (contract: interop/README.md) and the runtimes that run them:
//! each overridable by the environment `scripts/test` sets (`DUPLEX_INTEROP`, `DUPLEX_NODE`,
//! `DUPLEX_PY`, `DUPLEX_CHROMIUM`), with the layout `scripts/setup` installs as the default.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

/// How long a program asked to stop (SIGTERM) by [`output_within`] has to close what it started
/// before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Runs `command` (stdout and stderr piped, as [`command`] sets them) for at most `limit`, for
/// programs that start browsers or servers of their own: one still running then is asked to
/// stop (SIGTERM, so it can close them) and killed [`STOP_GRACE`] later, and its stderr ends
/// with a line saying so. Output still unread a few seconds after the program ended (a
/// process it started holds the pipe open) is left behind, with a line saying that too.
pub fn output_within(command: &mut Command, limit: Duration) -> std::io::Result<Output> {
    let mut child = command.spawn()?;
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let deadline = Instant::now() + limit;
    let mut notes = String::new();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            notes.push_str(&format!(
                "\n[testkit] still running after {} s: stopped",
                limit.as_secs()
            ));
            break stop(&mut child)?;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut collect = |pipe: Option<mpsc::Receiver<Vec<u8>>>, name: &str| {
        pipe.map_or_else(Vec::new, |pipe| {
            pipe.recv_timeout(Duration::from_secs(5))
                .unwrap_or_else(|_| {
                    notes.push_str(&format!(
                        "\n[testkit] {name} still open after the program ended (a process it \
                     started is still running?)"
                    ));
                    Vec::new()
                })
        })
    };
    let stdout = collect(stdout, "stdout");
    let mut stderr = collect(stderr, "stderr");
    stderr.extend_from_slice(notes.as_bytes());
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Everything `pipe` gives until it closes, read on a thread of its own so that neither pipe
/// fills up and blocks the program.
fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    rx
}

/// SIGTERM to `child` (ours, by its PID), then SIGKILL if it has not ended within
/// [`STOP_GRACE`].
fn stop(child: &mut Child) -> std::io::Result<ExitStatus> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill()?;
    child.wait()
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
    fn output_within_collects_a_quick_programs_output() {
        let output = output_within(
            Command::new("sh")
                .args(["-c", "echo out; echo err >&2; exit 3"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(output.status.code(), Some(3));
        assert_eq!(output.stdout, b"out\n");
        assert_eq!(output.stderr, b"err\n");
    }

    #[test]
    fn output_within_stops_a_program_that_overruns() {
        let started = Instant::now();
        // The trap shows the program was asked (SIGTERM) before it would be killed.
        let output = output_within(
            Command::new("sh")
                .args([
                    "-c",
                    "trap 'echo asked; exit 0' TERM; echo started; while :; do sleep 0.05; done",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
            Duration::from_millis(300),
        )
        .unwrap();
        assert!(started.elapsed() < STOP_GRACE, "{:?}", started.elapsed());
        assert_eq!(String::from_utf8_lossy(&output.stdout), "started\nasked\n");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("still running after 0 s: stopped"),
            "{output:?}"
        );
    }

    #[test]
    fn the_repository_root_holds_the_workspace_and_the_peers() {
        assert!(repo_root().join("Cargo.toml").is_file());
        assert!(repo_root().join("interop/README.md").is_file());
    }
}
