//! What the application holds: [`Client`] to send and close, [`Events`] to hear the session.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::sync::{Notify, mpsc};

use super::{CloseReason, SendError, Transport};
use crate::Message;

/// What the application hears from the session after [`connect`](super::connect) returned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// A message from the server.
    Message(Message),
    /// The session now runs over the WebSocket.
    Upgrade,
    /// The WebSocket probe failed; the session stays on polling.
    UpgradeError,
    /// The session ended; nothing follows.
    Close(CloseReason),
}

/// What the [`Client`] handles and the connection's task share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) sid: String,
    pub(crate) transport: Mutex<Transport>,
    /// Woken by [`Client::close`]; a permit waits if the task is busy.
    pub(crate) close: Notify,
}

impl Shared {
    pub(crate) fn set_transport(&self, transport: Transport) {
        if let Ok(mut current) = self.transport.lock() {
            *current = transport;
        }
    }
}

/// A handle on one Engine.IO session, cheap to clone. Dropping every clone closes the
/// session as [`close`](Client::close) does.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) messages: mpsc::UnboundedSender<Message>,
    pub(crate) shared: Arc<Shared>,
}

impl Client {
    /// Queues a message for the server without waiting. Messages leave in the order they were
    /// queued, over whichever transport carries the session then. The queue has no bound: a
    /// sender faster than the network grows it.
    ///
    /// Fails (giving the message back) once the session's task has ended; a message queued
    /// while a close is under way is dropped.
    pub fn send(&self, message: impl Into<Message>) -> Result<(), SendError> {
        self.messages
            .send(message.into())
            .map_err(|error| SendError(error.0))
    }

    /// Closes the session once the messages already queued have gone, as engine.io-client's
    /// `close()`; [`Events`] then yields [`ClientEvent::Close`] with `forced close`.
    pub fn close(&self) {
        self.shared.close.notify_one();
    }

    /// The session id the server gave.
    pub fn sid(&self) -> &str {
        &self.shared.sid
    }

    /// The transport carrying the session: polling until an upgrade completes.
    pub fn transport(&self) -> Transport {
        self.shared
            .transport
            .lock()
            .map_or(Transport::Polling, |transport| *transport)
    }

    /// Whether the session's task has ended.
    pub fn is_closed(&self) -> bool {
        self.messages.is_closed()
    }
}

/// The events of one session, in order; also a [`Stream`](futures_util::Stream). Nothing is
/// dropped while it is not read: the buffer has no bound.
#[derive(Debug)]
pub struct Events {
    pub(crate) rx: mpsc::UnboundedReceiver<ClientEvent>,
}

impl Events {
    /// The next event; `None` after [`ClientEvent::Close`] (or if the session's task died).
    pub async fn recv(&mut self) -> Option<ClientEvent> {
        self.rx.recv().await
    }
}

impl futures_util::Stream for Events {
    type Item = ClientEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ClientEvent>> {
        self.rx.poll_recv(cx)
    }
}
