//! Receiving and sending halves of one socket, usable from different tasks.

use std::pin::Pin;
use std::task::{Context, Poll};

use duplex_ws_proto::{Message, PreparedMessage};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::Error;
use crate::socket::WebSocket;

/// What the sending half accepts: a message, or one framed once for many sockets.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// A message to encode for this connection.
    Message(Message),
    /// A pre-framed message shared with other connections.
    Prepared(PreparedMessage),
}

impl From<Message> for Outgoing {
    fn from(message: Message) -> Self {
        Outgoing::Message(message)
    }
}

impl From<PreparedMessage> for Outgoing {
    fn from(message: PreparedMessage) -> Self {
        Outgoing::Prepared(message)
    }
}

impl<S> futures_sink::Sink<Outgoing> for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Outgoing) -> Result<(), Error> {
        let this = self.get_mut();
        match item {
            Outgoing::Message(message) => this.start_send(&message),
            Outgoing::Prepared(prepared) => this.start_send_prepared(&prepared),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_flush_all(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        futures_sink::Sink::<Message>::poll_close(self, cx)
    }
}

impl<S> WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Splits the socket into a receiving and a sending half, which may live in
    /// different tasks. Automatic replies queued by the receiver are written by
    /// whichever half writes next.
    pub fn split(self) -> (WsSender<S>, WsReceiver<S>) {
        let (sink, stream) = StreamExt::split::<Outgoing>(self);
        (WsSender { sink }, WsReceiver { stream })
    }
}

/// The receiving half of a split [`WebSocket`].
#[derive(Debug)]
pub struct WsReceiver<S> {
    stream: SplitStream<WebSocket<S>>,
}

impl<S> WsReceiver<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Receives the next message; `None` once the connection is closed.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        self.stream.next().await
    }

    /// Puts the halves back together.
    pub fn reunite(
        self,
        sender: WsSender<S>,
    ) -> Result<WebSocket<S>, (WsSender<S>, WsReceiver<S>)> {
        self.stream
            .reunite(sender.sink)
            .map_err(|e| (WsSender { sink: e.0 }, WsReceiver { stream: e.1 }))
    }
}

impl<S> futures_core::Stream for WsReceiver<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.poll_next_unpin(cx)
    }
}

/// The sending half of a split [`WebSocket`].
#[derive(Debug)]
pub struct WsSender<S> {
    sink: SplitSink<WebSocket<S>, Outgoing>,
}

impl<S> WsSender<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Sends a message (or a prepared one) and waits until it is written.
    pub async fn send(&mut self, item: impl Into<Outgoing>) -> Result<(), Error> {
        self.sink.send(item.into()).await
    }

    /// Queues a message; waits only while the queue is over its high-water mark.
    pub async fn feed(&mut self, item: impl Into<Outgoing>) -> Result<(), Error> {
        self.sink.feed(item.into()).await
    }

    /// Writes everything queued.
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.sink.flush().await
    }

    /// Sends a close frame (1000) and flushes; the receiving half ends when the
    /// peer's close frame arrives.
    pub async fn close(&mut self) -> Result<(), Error> {
        self.sink.close().await
    }
}

impl<S> futures_sink::Sink<Outgoing> for WsSender<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.sink.poll_ready_unpin(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Outgoing) -> Result<(), Error> {
        self.sink.start_send_unpin(item)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.sink.poll_flush_unpin(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.sink.poll_close_unpin(cx)
    }
}
