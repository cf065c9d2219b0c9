//! `WebSocket<S>`: a connection state machine driven over any async byte stream.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use duplex_ws_proto::{CloseFrame, Config, Connection, Message, PreparedMessage, Role, State};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Sleep;

use crate::error::Error;
use crate::outbox::Outbox;
use crate::wake::{Side, WriteWaker};

/// Smallest read: enough for many small frames per system call.
const READ_CHUNK: usize = 8 << 10;
/// Largest single reservation for a frame still arriving; beyond it the buffer grows
/// as bytes come, so a declared length alone cannot make us allocate much.
const MAX_RESERVE: usize = 1 << 20;

/// A WebSocket connection over a byte stream `S` (a `TcpStream`, a TLS stream,
/// hyper's `Upgraded`, ...), after the opening handshake.
///
/// Messages are received with [`recv`](WebSocket::recv) (or as a `Stream`) and sent
/// with [`send`](WebSocket::send) (or as a `Sink`). Outgoing bytes are queued and
/// written in batches: [`feed`](WebSocket::feed) queues without waiting for the
/// write, and a pending `recv` writes whatever is queued before it waits, so an
/// echo loop of `recv` + `feed` sends one batch per read. Reading pauses while more
/// than `write_buffer_high_water` bytes are queued, so a peer that stops reading
/// cannot make us buffer its pongs without bound.
///
/// While waiting for data with nothing buffered, the connection holds no buffers.
#[derive(Debug)]
pub struct WebSocket<S> {
    io: S,
    conn: Connection,
    read_buf: BytesMut,
    outbox: Outbox,
    protocol: Option<String>,
    close_timer: Option<Pin<Box<Sleep>>>,
    write_waker: WriteWaker,
    failure: Option<Error>,
    eof: bool,
    transport_done: bool,
    ended: bool,
}

impl<S> WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Wraps a stream on which the handshake is already done, in `role`.
    pub fn from_raw(io: S, role: Role, config: Config) -> Self {
        Self::from_connection(io, Connection::new(role, config), BytesMut::new())
    }

    /// Wraps a stream with a prepared protocol state and the bytes that arrived after
    /// the handshake (they belong to the first frames).
    pub fn from_connection(io: S, conn: Connection, leftover: BytesMut) -> Self {
        WebSocket {
            io,
            conn,
            read_buf: leftover,
            outbox: Outbox::default(),
            protocol: None,
            close_timer: None,
            write_waker: WriteWaker::default(),
            failure: None,
            eof: false,
            transport_done: false,
            ended: false,
        }
    }

    /// Records the subprotocol agreed in the handshake.
    pub fn with_protocol(mut self, protocol: Option<String>) -> Self {
        self.protocol = protocol;
        self
    }

    /// The subprotocol agreed in the handshake, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Receives the next message; `None` once the connection is closed.
    ///
    /// Pings are answered automatically (unless `auto_pong` is off) and still
    /// returned. The peer's close frame is returned, and its echo is sent; the next
    /// call returns `None` after the close handshake. A protocol violation returns an
    /// error after the matching close frame has been sent.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Sends a message and waits until it is written to the transport.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        self.feed(message).await?;
        self.flush().await
    }

    /// Queues a message; waits only while the queue is over its high-water mark.
    /// Queued bytes are written by the next `send`, `flush` or pending `recv`.
    pub async fn feed(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        poll_fn(|cx| self.poll_ready(cx)).await?;
        self.start_send(&message.into())
    }

    /// Queues a message framed once for many connections (see [`PreparedMessage`]).
    pub async fn feed_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        poll_fn(|cx| self.poll_ready(cx)).await?;
        self.start_send_prepared(message)
    }

    /// Writes everything queued and flushes the transport.
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_flush_all(cx)).await
    }

    /// Closes gracefully: sends a close frame (code 1000 unless given), then reads
    /// until the peer's close frame arrives (discarding data still in flight) or
    /// `close_timeout` passes, and closes the transport.
    pub async fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), Error> {
        let frame = frame.unwrap_or_else(|| CloseFrame::new(1000, ""));
        if self.conn.state() == State::Open {
            self.conn
                .send(&Message::Close(Some(frame)), self.outbox.buf())?;
        }
        while let Some(item) = self.recv().await {
            item?;
        }
        Ok(())
    }

    /// The close-handshake state.
    pub fn state(&self) -> State {
        self.conn.state()
    }

    /// The protocol state machine (settings, role, compression).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The underlying stream, mutably. Reading or writing it directly corrupts the
    /// connection.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// Bytes queued for writing.
    pub fn queued_bytes(&self) -> usize {
        self.outbox.len()
    }

    /// Polls for the next message (the body of [`recv`](WebSocket::recv)).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        loop {
            if self.over_high_water() {
                match self.poll_write_buf(cx, Side::Receiver) {
                    Poll::Ready(Err(error)) => return self.end_with(Some(error.into())),
                    // Backpressure: with this much unsent, reading more would only queue
                    // more replies.
                    Poll::Pending => return self.pending_or_timeout(cx),
                    Poll::Ready(Ok(())) => {}
                }
            }
            match self.conn.read(&mut self.read_buf, self.outbox.buf()) {
                Ok(Some(message)) => return Poll::Ready(Some(Ok(message))),
                Ok(None) => {}
                Err(error) => self.failure = Some(error.into()),
            }
            if self.conn.state().is_terminated() {
                ready!(self.poll_finish(cx));
                let failure = self.failure.take();
                return self.end_with(failure);
            }
            if self.eof {
                return self.end_with(Some(Error::AbnormalClosure));
            }
            // About to wait for input: send what is queued first, as one batch for
            // everything decoded since the last wait.
            if let Poll::Ready(Err(error)) = self.poll_write_buf(cx, Side::Receiver) {
                return self.end_with(Some(error.into()));
            }
            let missing = self
                .conn
                .missing_frame_bytes(self.read_buf.len())
                .unwrap_or(0);
            self.read_buf
                .reserve(missing.clamp(READ_CHUNK, MAX_RESERVE));
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.read_buf) {
                Poll::Ready(Ok(0)) => self.eof = true,
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(error)) => return self.end_with(Some(error.into())),
                Poll::Pending => {
                    self.release_idle_buffers();
                    return self.pending_or_timeout(cx);
                }
            }
        }
    }

    /// Ready when a message may be queued: the queue is under its high-water mark.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if !self.conn.state().can_send() {
            return Poll::Ready(Err(Error::Closed));
        }
        while self.over_high_water() {
            ready!(self.poll_write_buf(cx, Side::Sender))?;
        }
        Poll::Ready(Ok(()))
    }

    /// Writes everything queued and flushes the transport.
    pub fn poll_flush_all(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready!(self.poll_write_buf(cx, Side::Sender))?;
        let waker = self.write_waker.register(Side::Sender, cx.waker());
        let mut cx = Context::from_waker(waker);
        Pin::new(&mut self.io)
            .poll_flush(&mut cx)
            .map_err(Error::from)
    }

    /// Queues a message without waiting (the `Sink::start_send` step).
    pub fn start_send(&mut self, message: &Message) -> Result<(), Error> {
        let shared = self
            .conn
            .send_shared(message, self.outbox.buf())
            .map_err(closed_or)?;
        if let Some(payload) = shared {
            self.outbox.push_shared(payload);
        }
        Ok(())
    }

    /// Queues a pre-framed message without waiting.
    pub fn start_send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        let shared = self
            .conn
            .send_prepared(message, self.outbox.buf())
            .map_err(closed_or)?;
        if let Some(frame) = shared {
            self.outbox.push_shared(frame);
        }
        Ok(())
    }

    fn over_high_water(&self) -> bool {
        self.outbox.len() >= self.conn.config().write_buffer_high_water
    }

    fn poll_write_buf(&mut self, cx: &mut Context<'_>, side: Side) -> Poll<io::Result<()>> {
        if self.outbox.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let waker = self.write_waker.register(side, cx.waker());
        self.outbox
            .poll_write(Pin::new(&mut self.io), &mut Context::from_waker(waker))
    }

    /// After the close handshake or a failure: send what is queued (the close frame),
    /// then end the transport. RFC 6455 §7.1.1: the server closes the TCP connection
    /// first; a client waits for that, within `close_timeout`.
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.timer(cx).is_ready() {
            return Poll::Ready(());
        }
        match self.poll_write_buf(cx, Side::Receiver) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(_)) => return Poll::Ready(()),
            Poll::Ready(Ok(())) => {}
        }
        let wait_for_server =
            self.conn.role() == Role::Client && self.conn.state() == State::Closed;
        while wait_for_server && !self.eof {
            self.read_buf.clear();
            self.read_buf.reserve(READ_CHUNK);
            match ready!(tokio_util::io::poll_read_buf(
                Pin::new(&mut self.io),
                cx,
                &mut self.read_buf
            )) {
                Ok(0) | Err(_) => self.eof = true,
                Ok(_) => {}
            }
        }
        if !self.transport_done {
            // The peer may already be gone; a failed shutdown changes nothing for us.
            let waker = self.write_waker.register(Side::Receiver, cx.waker());
            let _ = ready!(Pin::new(&mut self.io).poll_shutdown(&mut Context::from_waker(waker)));
            self.transport_done = true;
        }
        Poll::Ready(())
    }

    /// While closing, every wait is bounded by `close_timeout`.
    fn pending_or_timeout(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        if self.conn.state() == State::Open {
            return Poll::Pending;
        }
        match self.timer(cx) {
            Poll::Ready(()) => self.end_with(Some(Error::CloseTimeout)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn timer(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let timeout = self.conn.config().close_timeout;
        self.close_timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)))
            .as_mut()
            .poll(cx)
    }

    fn end_with(&mut self, error: Option<Error>) -> Poll<Option<Result<Message, Error>>> {
        self.ended = true;
        self.close_timer = None;
        self.read_buf = BytesMut::new();
        self.outbox.clear();
        Poll::Ready(error.map(Err))
    }

    fn release_idle_buffers(&mut self) {
        if self.read_buf.is_empty() {
            self.read_buf = BytesMut::new();
        }
        self.outbox.release_if_empty();
    }
}

/// Sending on a closing connection is `Error::Closed`; other refusals keep their cause.
fn closed_or(error: duplex_ws_proto::Error) -> Error {
    match error {
        duplex_ws_proto::Error::Closed => Error::Closed,
        other => Error::Protocol(other),
    }
}

impl<S> futures_core::Stream for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx)
    }
}

impl<S> futures_sink::Sink<Message> for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        self.get_mut().start_send(&message)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_flush_all(cx)
    }

    /// Sends a close frame (1000) if none was sent yet and flushes; the close
    /// handshake completes on the receiving side, which ends when the echo arrives.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.conn.state() == State::Open {
            this.conn.send(
                &Message::Close(Some(CloseFrame::new(1000, ""))),
                this.outbox.buf(),
            )?;
        }
        this.poll_flush_all(cx)
    }
}
