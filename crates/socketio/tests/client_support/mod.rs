//! What the client tests run against: the real servers (Node's socket.io running
//! `interop/sio_server.mjs`, and ours running the `contract_server` example, both following
//! interop/README.md's "Socket.IO server contract") and a TCP relay that can cut or stall
//! the connections between the client and a server.

#![allow(dead_code)] // each test file uses part of it

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use duplex_socketio::client::Transport;
use duplex_testkit::examples::example_binary;
use duplex_testkit::peers::{self, listening_port};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::broadcast;

/// Which server implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Node,
    Ours,
    /// python-socketio (`interop/py_sio_server.py`): events, acks both ways, `/custom`,
    /// server disconnects — no middleware, rooms or recovery.
    Python,
}

/// The servers that follow the whole contract.
pub const KINDS: [Kind; 2] = [Kind::Node, Kind::Ours];

/// Every server, for the scenarios the Python one covers too.
pub const ALL_KINDS: [Kind; 3] = [Kind::Node, Kind::Ours, Kind::Python];

/// The client's transport modes.
pub const MODES: [&[Transport]; 3] = [
    &[Transport::Polling],
    &[Transport::WebSocket],
    &[Transport::Polling, Transport::WebSocket],
];

/// A running contract server, killed when dropped.
pub struct Server {
    pub kind: Kind,
    pub port: u16,
    args: Vec<String>,
    child: Option<Child>,
}

impl Server {
    /// Starts a server of `kind` on `port` (0: any) with extra contract-server flags.
    pub async fn start(kind: Kind, port: u16, args: &[&str]) -> Server {
        let mut server = Server {
            kind,
            port,
            args: args.iter().map(|s| s.to_string()).collect(),
            child: None,
        };
        server.spawn().await;
        server
    }

    async fn spawn(&mut self) {
        let mut command: Command = match self.kind {
            Kind::Node => peers::command(&peers::node(&["socket.io"]), "sio_server.mjs").into(),
            Kind::Python => peers::command(&peers::python(), "py_sio_server.py").into(),
            Kind::Ours => {
                let binary = example_binary(
                    env!("CARGO_PKG_NAME"),
                    env!("CARGO_MANIFEST_DIR"),
                    "contract_server",
                );
                let mut command = Command::new(binary);
                command.stdout(Stdio::piped()).stderr(Stdio::null());
                command
            }
        };
        command
            .args(["--port", &self.port.to_string(), "--quiet"])
            .args(&self.args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("the server starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(15), lines.next_line())
            .await
            .expect("the server prints its port in time")
            .expect("stdout readable")
            .expect("a first line");
        self.port = listening_port(&line).unwrap_or_else(|| panic!("unexpected line {line:?}"));
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.child = Some(child);
    }

    pub fn url(&self, nsp: &str) -> String {
        format!("http://127.0.0.1:{}{nsp}", self.port)
    }

    /// Kills the server process (no goodbye to any client).
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts it again on the same port.
    pub async fn restart(&mut self) {
        self.kill().await;
        self.spawn().await;
    }
}

/// What a [`Relay`] does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Link {
    /// Forward both ways.
    Pass = 0,
    /// Accept connections but forward nothing either way (a server that never answers, or
    /// one gone silent).
    Stall = 1,
}

/// A TCP relay in front of a server: tests cut its connections (a lost network) or stall
/// it, while the server itself keeps running.
pub struct Relay {
    pub port: u16,
    mode: Arc<AtomicU8>,
    cut: broadcast::Sender<()>,
    pub accepted: Arc<AtomicUsize>,
}

impl Relay {
    pub async fn start(target: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mode = Arc::new(AtomicU8::new(Link::Pass as u8));
        let (cut, _) = broadcast::channel(4);
        let accepted = Arc::new(AtomicUsize::new(0));
        let relay = Relay {
            port,
            mode: mode.clone(),
            cut: cut.clone(),
            accepted: accepted.clone(),
        };
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let mode = mode.clone();
                let mut cut = cut.subscribe();
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(("127.0.0.1", target)).await else {
                        return;
                    };
                    let _ = inbound.set_nodelay(true);
                    let _ = outbound.set_nodelay(true);
                    tokio::select! {
                        () = pump(inbound, outbound, mode) => {}
                        _ = cut.recv() => {}
                    }
                });
            }
        });
        relay
    }

    pub fn url(&self, nsp: &str) -> String {
        format!("http://127.0.0.1:{}{nsp}", self.port)
    }

    pub fn set(&self, link: Link) {
        self.mode.store(link as u8, Ordering::SeqCst);
    }

    /// Closes every connection through the relay now; new ones are accepted as before.
    pub fn cut(&self) {
        let _ = self.cut.send(());
    }
}

/// Copies both ways while the mode is `Pass`; holds everything while it is `Stall`.
async fn pump(inbound: TcpStream, outbound: TcpStream, mode: Arc<AtomicU8>) {
    let (mut in_read, mut in_write) = inbound.into_split();
    let (mut out_read, mut out_write) = outbound.into_split();
    let up = copy(&mut in_read, &mut out_write, mode.clone());
    let down = copy(&mut out_read, &mut in_write, mode);
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

async fn copy(
    from: &mut (impl tokio::io::AsyncRead + Unpin),
    to: &mut (impl tokio::io::AsyncWrite + Unpin),
    mode: Arc<AtomicU8>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Stalled: the bytes wait here (the peer sees silence) until the link passes again.
        while mode.load(Ordering::SeqCst) == Link::Stall as u8 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
