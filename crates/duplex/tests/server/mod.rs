//! Starting `duplex` for the tests of `duplex serve` (serve.rs, site.rs).

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

const WAIT: Duration = Duration::from_secs(10);

/// `duplex serve` on a free port with `args`, killed when dropped; and its port.
pub async fn serve<A: AsRef<std::ffi::OsStr>>(args: &[A]) -> (tokio::process::Child, u16) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_duplex"));
    command.args(["serve", "--addr", "127.0.0.1:0"]).args(args);
    launch(command).await
}

/// Runs `command` (killed when dropped) until it prints `LISTENING <port>`; and the port.
pub async fn launch(mut command: tokio::process::Command) -> (tokio::process::Child, u16) {
    let mut server = command
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let line = tokio::time::timeout(WAIT, BufReader::new(stdout).lines().next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let port: u16 = line.strip_prefix("LISTENING ").unwrap().parse().unwrap();
    (server, port)
}
