//! What the integration tests share: an in-process server, a handler that records every
//! callback, and (in `client`) a raw Engine.IO client.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

mod client;

pub use client::*;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use duplex_engineio::{CloseReason, Config, EngineIo, Handler, Message, Sid, Socket};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The longest any single step of a test may take before the test fails.
pub const STEP: Duration = Duration::from_secs(5);

/// Awaits `future`, failing the test if it takes longer than `limit`.
pub async fn within<F: Future>(limit: Duration, what: &str, future: F) -> F::Output {
    match tokio::time::timeout(limit, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out after {limit:?}: {what}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The handler

/// One handler callback.
#[derive(Debug, Clone)]
pub enum Event {
    /// `on_open`, with the session itself so the test can send or close.
    Open(Arc<Socket>),
    /// `on_message`.
    Message(Sid, Message),
    /// `on_close`.
    Close(Sid, CloseReason),
}

type OnOpen = Box<dyn Fn(&Arc<Socket>) + Send + Sync>;

/// Records every callback into a channel; optionally echoes messages and runs a hook on open.
pub struct Recorder {
    events: mpsc::UnboundedSender<Event>,
    echo: bool,
    on_open: Option<OnOpen>,
}

impl Recorder {
    /// A recorder that only records.
    pub fn new() -> (Recorder, Events) {
        let (tx, rx) = mpsc::unbounded_channel();
        let recorder = Recorder {
            events: tx,
            echo: false,
            on_open: None,
        };
        (recorder, Events { rx })
    }

    /// A recorder that also sends every message straight back.
    pub fn echo() -> (Recorder, Events) {
        let (mut recorder, events) = Recorder::new();
        recorder.echo = true;
        (recorder, events)
    }

    /// Runs `hook` in `on_open`, after the event is recorded.
    pub fn on_open(mut self, hook: impl Fn(&Arc<Socket>) + Send + Sync + 'static) -> Self {
        self.on_open = Some(Box::new(hook));
        self
    }
}

impl Handler for Recorder {
    fn on_open(&self, socket: &Arc<Socket>) {
        let _ = self.events.send(Event::Open(socket.clone()));
        if let Some(hook) = &self.on_open {
            hook(socket);
        }
    }

    fn on_message(&self, socket: &Arc<Socket>, message: Message) {
        let _ = self
            .events
            .send(Event::Message(socket.id(), message.clone()));
        if self.echo {
            socket.send(message).expect("echo queued");
        }
    }

    fn on_close(&self, socket: &Arc<Socket>, reason: CloseReason) {
        let _ = self.events.send(Event::Close(socket.id(), reason));
    }
}

/// The receiving end of a [`Recorder`].
pub struct Events {
    rx: mpsc::UnboundedReceiver<Event>,
}

impl Events {
    /// The next callback, within [`STEP`].
    pub async fn next(&mut self) -> Event {
        within(STEP, "the next handler event", self.rx.recv())
            .await
            .expect("the server dropped its handler")
    }

    /// The next callback, which must be an open.
    pub async fn open(&mut self) -> Arc<Socket> {
        match self.next().await {
            Event::Open(socket) => socket,
            other => panic!("expected on_open, got {other:?}"),
        }
    }

    /// The next callback, which must be a message of session `sid`.
    pub async fn message(&mut self, sid: Sid) -> Message {
        match self.next().await {
            Event::Message(from, message) if from == sid => message,
            other => panic!("expected a message from {sid}, got {other:?}"),
        }
    }

    /// The next callback, which must be the close of session `sid`; returns its reason.
    pub async fn close(&mut self, sid: Sid) -> CloseReason {
        match self.next().await {
            Event::Close(from, reason) if from == sid => reason,
            other => panic!("expected the close of {sid}, got {other:?}"),
        }
    }

    /// Collects `n` close callbacks (opens and messages are skipped) as sid → reason.
    pub async fn closes(&mut self, n: usize) -> HashMap<Sid, CloseReason> {
        let mut reasons = HashMap::new();
        while reasons.len() < n {
            if let Event::Close(sid, reason) = self.next().await {
                assert!(reasons.insert(sid, reason).is_none(), "{sid} closed twice");
            }
        }
        reasons
    }

    /// A callback that is already waiting, if any.
    pub fn try_next(&mut self) -> Option<Event> {
        self.rx.try_recv().ok()
    }

    /// Fails if any callback arrives within `quiet`.
    pub async fn assert_quiet(&mut self, quiet: Duration) {
        if let Ok(Some(event)) = tokio::time::timeout(quiet, self.rx.recv()).await {
            panic!("expected no handler event, got {event:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server

/// An Engine.IO server on 127.0.0.1 port 0, run by `serve_with_shutdown`.
pub struct TestServer<H> {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The server itself.
    pub engine: EngineIo<H>,
    signal: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl<H: Handler> TestServer<H> {
    /// Starts serving `engine`.
    pub async fn start(engine: EngineIo<H>) -> TestServer<H> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (signal, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(duplex_engineio::serve_with_shutdown(
            listener,
            engine.clone(),
            async move {
                let _ = stop.await;
            },
        ));
        TestServer {
            addr,
            engine,
            signal: Some(signal),
            task: Some(task),
        }
    }

    /// Signals the shutdown and waits (bounded) for the serve future to complete.
    pub async fn stop(mut self) {
        self.signal.take().map(|s| s.send(()));
        let task = self.task.take().unwrap();
        within(
            Duration::from_secs(10),
            "serve_with_shutdown to return",
            task,
        )
        .await
        .expect("the serve task panicked")
        .expect("serve_with_shutdown failed");
    }
}

/// Starts a server with `config` and a recording (non-echoing) handler.
pub async fn recording(config: Config) -> (TestServer<Recorder>, Events) {
    let (recorder, events) = Recorder::new();
    (
        TestServer::start(EngineIo::new(config, recorder)).await,
        events,
    )
}

/// Starts a server with `config` and a recording handler that echoes every message.
pub async fn echoing(config: Config) -> (TestServer<Recorder>, Events) {
    let (recorder, events) = Recorder::echo();
    (
        TestServer::start(EngineIo::new(config, recorder)).await,
        events,
    )
}
