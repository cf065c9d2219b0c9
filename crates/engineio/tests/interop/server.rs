//! Our server under test, in-process on 127.0.0.1:0: it echoes every message, closes the
//! session on the text `close-me` (the peers' server-close scenario), and remembers why each
//! session ended so tests can check the server's side too.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use duplex_engineio::{CloseReason, Config, EngineIo, Handler, Message, Refusal, Socket};
use duplex_testkit::verdict::Report;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// Echo, `close-me`, and a record of close reasons by session id.
#[derive(Default)]
pub struct TestHandler {
    closes: Mutex<HashMap<String, CloseReason>>,
    closed: Notify,
}

impl Handler for TestHandler {
    fn on_message(&self, socket: &Arc<Socket>, message: Message) {
        if matches!(&message, Message::Text(text) if text.as_str() == "close-me") {
            socket.close();
        } else {
            let _ = socket.send(message);
        }
    }

    fn on_close(&self, socket: &Arc<Socket>, reason: CloseReason) {
        self.closes
            .lock()
            .expect("close log")
            .insert(socket.id().to_string(), reason);
        self.closed.notify_waiters();
    }
}

/// The options every peer test starts from: the peers' heartbeat settings (300/200 ms, so
/// heartbeat expiry takes half a second) and the default 1 MB payload limit.
pub fn test_config() -> Config {
    Config::default()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_http_buffer_size(1_000_000)
}

/// The ping interval of the heartbeat-expiry runs: the client's own timer (interval + timeout
/// after a ping) must lose the race to our close (timeout after the ping) by a margin that
/// holds on a loaded CI machine; with 300 ms the margin was 300 ms and once was not enough.
const HEARTBEAT_EXPIRY_INTERVAL: Duration = Duration::from_millis(1000);

/// [`test_config`] for a peer client's `scenario` (interop/README.md, "Engine.IO"): the
/// heartbeat-expiry scenario gets [`HEARTBEAT_EXPIRY_INTERVAL`].
pub fn scenario_config(scenario: &str) -> Config {
    let config = test_config();
    if scenario == "heartbeat-expiry" {
        config.ping_interval(HEARTBEAT_EXPIRY_INTERVAL)
    } else {
        config
    }
}

/// `allow_request` as `eio_echo_server.mjs --forbid` does it: a handshake carrying an
/// `x-forbid` header is refused (HTTP 403, code 4, "Forbidden").
pub fn forbid_x_forbid(config: Config) -> Config {
    config.allow_request(|req| async move {
        if req.headers().contains_key("x-forbid") {
            Err(Refusal::new("Forbidden"))
        } else {
            Ok(())
        }
    })
}

/// A running server; stopped when dropped.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The engine, for its sessions.
    pub engine: EngineIo<TestHandler>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// Serves `config` on a free loopback port.
    pub async fn start(config: Config) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        TestServer::start_on(listener, config)
    }

    /// Serves `config` on `listener` (when the test needs the port before the config).
    pub fn start_on(listener: tokio::net::TcpListener, config: Config) -> TestServer {
        let addr = listener.local_addr().expect("local addr");
        let engine = EngineIo::new(config, TestHandler::default());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(duplex_engineio::serve_with_shutdown(
            listener,
            engine.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        TestServer {
            addr,
            engine,
            stop: Some(stop),
            task,
        }
    }

    /// The URL the peers take (`--url`): scheme, host and port, no path.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Why the session `sid` ended, waiting up to 5 s for it to end; `None` if it did not.
    pub async fn close_reason(&self, sid: &str) -> Option<CloseReason> {
        let handler = self.engine.handler();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let notified = handler.closed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(reason) = handler.closes.lock().expect("close log").get(sid) {
                return Some(*reason);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// What is wrong with how this server saw the session of a client's `report` end, for
    /// `Verdicts::record`: `None` if it ended with `expected`, nothing is expected, or the
    /// client never got a session.
    pub async fn wrong_close_reason(
        &self,
        report: &Report,
        expected: Option<CloseReason>,
    ) -> Option<String> {
        let (expected, sid) = (expected?, report.sid()?);
        let got = self.close_reason(sid).await;
        (got != Some(expected))
            .then(|| format!("our server closed {sid} with {got:?}, expected {expected:?}"))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}
