//! [`Driver`]: the task of one session — the loop of the machine's module docs, with hyper
//! for polling, duplex-ws for the WebSocket and tokio for the deadline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use duplex_engineio_proto::client::{Action, ClientSession, Event};
use duplex_ws::{MaybeTlsStream, WebSocket};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::dial::Dialer;
use super::endpoint::Endpoint;
use super::handle::{ClientEvent, Shared};
use super::http::{HttpConn, RequestError};
use super::open::connect_websocket;
use super::{ClientConfig, ConnectError, Transport};
use crate::Message;

/// How long the end of a session may take: the last POST (the `1` of a forced close), the
/// GET under way (which the server answers once it has read the `1`), and the WebSocket
/// close handshakes.
const FINISH_TIMEOUT: Duration = Duration::from_secs(5);

type Socket = WebSocket<MaybeTlsStream>;

/// Most application messages taken in one pass, so a flood cannot starve the reads.
const BATCH: usize = 1024;

/// One thing that happened, taken out of the `select!` so the handlers may borrow freely.
enum Input {
    Polled(HttpConn, Result<Bytes, RequestError>),
    Posted(HttpConn, Result<(), RequestError>),
    WsConnected(Result<Socket, ConnectError>),
    Ws(Option<Result<duplex_ws::Message, duplex_ws::Error>>),
    Send(Option<Message>),
    Close,
    Deadline,
}

/// One session's machine and the connections that carry it.
pub(crate) struct Driver {
    pub(crate) session: ClientSession,
    pub(crate) endpoint: Endpoint,
    pub(crate) dialer: Dialer,
    config: ClientConfig,
    /// The GET connection, `None` while `get` owns it.
    pub(crate) get_conn: Option<HttpConn>,
    get: Option<BoxFuture<'static, (HttpConn, Result<Bytes, RequestError>)>>,
    /// The POST connection, `None` while `post` owns it.
    post_conn: Option<HttpConn>,
    post: Option<BoxFuture<'static, (HttpConn, Result<(), RequestError>)>>,
    pub(crate) ws: Option<Socket>,
    ws_connecting: Option<BoxFuture<'static, Result<Socket, ConnectError>>>,
    /// WebSockets being closed (a failed probe, the end of the session).
    ws_closing: Vec<JoinHandle<()>>,
    /// [`Action::PausePolling`] came; `polling_paused` is due once no GET is under way.
    pause_requested: bool,
}

impl Driver {
    /// A driver whose session has not made its handshake yet.
    pub(crate) fn new(endpoint: Endpoint, dialer: Dialer, config: &ClientConfig) -> Driver {
        let mut driver = Driver {
            session: ClientSession::new(config.session_options()),
            endpoint,
            dialer,
            config: config.clone(),
            get_conn: None,
            get: None,
            post_conn: None,
            post: None,
            ws: None,
            ws_connecting: None,
            ws_closing: Vec::new(),
            pause_requested: false,
        };
        driver.get_conn = Some(driver.new_conn());
        driver.post_conn = Some(driver.new_conn());
        driver
    }

    /// The GET connection, for the handshake (which gives it back in `get_conn`).
    pub(crate) fn take_get_conn(&mut self) -> HttpConn {
        self.get_conn.take().unwrap_or_else(|| self.new_conn())
    }

    fn new_conn(&self) -> HttpConn {
        HttpConn::new(
            self.endpoint.clone(),
            self.dialer.clone(),
            self.config.headers.clone(),
            self.config.max_response_size,
        )
    }

    /// Runs the open session until it closes: `messages` and `shared.close` from the
    /// application, `events` to it.
    pub(crate) async fn run(
        mut self,
        mut messages: mpsc::UnboundedReceiver<Message>,
        shared: Arc<Shared>,
        events: mpsc::UnboundedSender<ClientEvent>,
    ) {
        // Not `messages.is_closed()`: a closed channel may still hold messages to send.
        let mut messages_done = false;
        // One timer for the session. Every packet moves the deadline later, so the timer is
        // only moved when the deadline comes earlier; when it fires early the session finds
        // nothing due and it is armed again for the real deadline.
        let timer = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(timer);
        let mut armed: Option<Instant> = None;
        loop {
            while let Some(action) = self.session.poll_action() {
                self.start(action);
            }
            while let Some(event) = self.session.poll_event() {
                let event = match event {
                    Event::Open => continue,
                    Event::Message(message) => ClientEvent::Message(message),
                    Event::Upgrade => {
                        shared.set_transport(Transport::WebSocket);
                        ClientEvent::Upgrade
                    }
                    Event::UpgradeError => ClientEvent::UpgradeError,
                    Event::Close(reason) => ClientEvent::Close(reason),
                };
                // An application that dropped its `Events` still sends; the session goes on.
                let _ = events.send(event);
            }
            if self.session.is_closed() {
                break;
            }
            if self.session.wants_poll() && self.get.is_none() {
                self.start_get();
            }
            if self.pause_requested && self.get.is_none() {
                self.pause_requested = false;
                self.session.polling_paused();
                continue;
            }
            match self.session.next_deadline() {
                Some(deadline) if armed.is_none_or(|at| deadline < at) => {
                    timer.as_mut().reset(deadline.into());
                    armed = Some(deadline);
                }
                Some(_) => {}
                None => armed = None,
            }
            let input = tokio::select! {
                (conn, result) = pending_unless(&mut self.get) => Input::Polled(conn, result),
                (conn, result) = pending_unless(&mut self.post) => Input::Posted(conn, result),
                result = pending_unless(&mut self.ws_connecting) => Input::WsConnected(result),
                message = recv_ws(&mut self.ws) => Input::Ws(message),
                message = messages.recv(), if !messages_done => Input::Send(message),
                () = shared.close.notified() => Input::Close,
                () = &mut timer, if armed.is_some() => {
                    armed = None;
                    Input::Deadline
                }
            };
            messages_done |= matches!(input, Input::Send(None));
            self.handle(input, &mut messages);
        }
        self.finish().await;
    }

    fn handle(&mut self, input: Input, messages: &mut mpsc::UnboundedReceiver<Message>) {
        let now = Instant::now();
        match input {
            Input::Polled(conn, result) => {
                self.get = None;
                self.get_conn = Some(conn);
                match result {
                    Ok(body) => {
                        if let Err(error) = self.session.handle_poll_body(body, now) {
                            tracing::debug!(%error, "bad polling payload");
                        }
                    }
                    Err(error) => self.request_failed("GET", &error),
                }
            }
            Input::Posted(conn, result) => {
                self.post = None;
                self.post_conn = Some(conn);
                match result {
                    Ok(()) => self.session.post_done(),
                    Err(error) => self.request_failed("POST", &error),
                }
            }
            Input::WsConnected(result) => {
                self.ws_connecting = None;
                match result {
                    Ok(socket) => {
                        self.ws = Some(socket);
                        self.session.ws_opened();
                    }
                    Err(error) => {
                        tracing::debug!(%error, "WebSocket connection failed");
                        self.session.ws_error();
                    }
                }
            }
            Input::Ws(Some(Ok(message))) => {
                if let Err(error) = self.session.handle_ws_message(message, now) {
                    tracing::debug!(%error, "bad WebSocket packet");
                }
            }
            Input::Ws(Some(Err(error))) => {
                tracing::debug!(%error, "WebSocket failed");
                self.ws = None;
                self.session.ws_error();
            }
            Input::Ws(None) => {
                self.ws = None;
                self.session.ws_closed();
            }
            Input::Send(Some(message)) => {
                // Everything queued meanwhile goes too, so a burst leaves in one write (one
                // POST) rather than one per message.
                self.queue(message);
                for _ in 0..BATCH {
                    match messages.try_recv() {
                        Ok(message) => self.queue(message),
                        Err(_) => break,
                    }
                }
            }
            // Every `Client` is gone: nobody can send or close any more.
            Input::Send(None) => self.session.close(),
            Input::Close => {
                // Messages sent before `close()` go first, as its docs promise.
                while let Ok(message) = messages.try_recv() {
                    self.queue(message);
                }
                self.session.close();
            }
            Input::Deadline => self.session.handle_timeout(now),
        }
    }

    fn queue(&mut self, message: Message) {
        if self.session.send(message).is_err() {
            tracing::debug!("message dropped: the session is closing");
        }
    }

    fn request_failed(&mut self, method: &str, error: &RequestError) {
        tracing::debug!(?error, "polling {method} failed");
        self.session.poll_failed();
    }

    fn start(&mut self, action: Action) {
        match action {
            Action::Post(body) => {
                let target = self.endpoint.polling_target(self.session.sid());
                let mut conn = self.post_conn.take().unwrap_or_else(|| self.new_conn());
                self.post = Some(
                    async move {
                        let result = conn.post(&target, body).await;
                        (conn, result)
                    }
                    .boxed(),
                );
            }
            Action::SendWs(message) => {
                // Queued only: the pending `recv` writes it before it waits.
                let sent = self.ws.as_mut().map(|ws| ws.start_send(&message));
                if let Some(Err(error)) = sent {
                    tracing::debug!(%error, "WebSocket send failed");
                    self.session.ws_error();
                }
            }
            Action::OpenWebSocket => {
                let endpoint = self.endpoint.clone();
                let dialer = self.dialer.clone();
                let config = self.config.clone();
                let sid = self.session.sid().map(str::to_owned);
                self.ws_connecting =
                    Some(
                        async move {
                            connect_websocket(&endpoint, &dialer, &config, sid.as_deref()).await
                        }
                        .boxed(),
                    );
            }
            Action::PausePolling => self.pause_requested = true,
            Action::CloseWebSocket => {
                self.ws_connecting = None;
                if let Some(mut socket) = self.ws.take() {
                    self.ws_closing.push(tokio::spawn(async move {
                        let _ = tokio::time::timeout(FINISH_TIMEOUT, socket.close(None)).await;
                    }));
                }
            }
        }
    }

    fn start_get(&mut self) {
        let target = self.endpoint.polling_target(self.session.sid());
        let mut conn = self.take_get_conn();
        self.get = Some(
            async move {
                let result = conn.get(&target).await;
                (conn, result)
            }
            .boxed(),
        );
    }

    /// Lets what the end of the session started finish: the `1` POST, the WebSocket close
    /// handshakes, and lets the GET under way be answered; all within [`FINISH_TIMEOUT`].
    async fn finish(mut self) {
        // The GET is not dropped: a server sees a long-poll abandoned mid-way as a transport
        // error (engine.io: "poll connection closed prematurely"), while after our `1` it
        // answers the GET itself, as engine.io-client lets it.
        let get = self.get.take();
        let post = self.post.take();
        let closing = std::mem::take(&mut self.ws_closing);
        let work = async move {
            if let Some(post) = post {
                let _ = post.await;
            }
            if let Some(get) = get {
                let _ = get.await;
            }
            for handle in closing {
                let _ = handle.await;
            }
        };
        let _ = tokio::time::timeout(FINISH_TIMEOUT, work).await;
    }
}

/// The output of `future` if there is one under way; never otherwise.
async fn pending_unless<T>(future: &mut Option<BoxFuture<'static, T>>) -> T {
    match future {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

/// The next WebSocket message if a WebSocket is open; never otherwise.
async fn recv_ws(ws: &mut Option<Socket>) -> Option<Result<duplex_ws::Message, duplex_ws::Error>> {
    match ws {
        Some(ws) => ws.recv().await,
        None => std::future::pending().await,
    }
}
