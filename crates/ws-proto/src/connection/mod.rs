//! The connection after the handshake: frames in, messages out, and back.
//!
//! ```text
//!                 send Close                    recv Close
//!   +------+  ----------------->  +-----------+ -----------> +--------+
//!   | Open |                      | CloseSent |              | Closed |
//!   +------+  --------------------------------------------->  +--------+
//!      |         recv Close (our echo is queued at once)
//!      | protocol error (a Close with its code is queued)
//!      v
//!   +--------+
//!   | Failed |
//!   +--------+
//! ```
//!
//! In `Closed` and `Failed` nothing more is read or sent; the driver flushes what is
//! queued and closes the transport (a server at once, a client after the server
//! has closed or `close_timeout` has passed, RFC 6455 §7.1.1).

mod reader;
mod writer;

use bytes::{Bytes, BytesMut};

use crate::close::CloseFrame;
use crate::config::Config;
use crate::deflate::DeflateCodec;
use crate::error::Error;
use crate::message::Message;
use crate::prepared::PreparedMessage;
use crate::role::Role;

use reader::Reader;

/// Payloads from this size on are worth a vectored write instead of a copy into
/// the output buffer (see [`Connection::send_shared`]).
pub const SHARED_PAYLOAD_MIN: usize = 16 << 10;

/// Where the close handshake stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// We sent a close frame and wait for the peer's; incoming messages are still delivered.
    CloseSent,
    /// Both close frames have been sent: the close handshake is complete.
    Closed,
    /// The connection was failed after a protocol violation or an exceeded limit.
    Failed,
}

impl State {
    /// Whether incoming frames are still read.
    pub fn can_read(self) -> bool {
        matches!(self, State::Open | State::CloseSent)
    }

    /// Whether data and ping/pong frames may still be sent.
    pub fn can_send(self) -> bool {
        self == State::Open
    }

    /// Whether the connection is over (closed cleanly or failed).
    pub fn is_terminated(self) -> bool {
        matches!(self, State::Closed | State::Failed)
    }
}

/// One WebSocket connection's protocol state, in one role.
///
/// Bytes read from the transport are appended to a buffer that [`Connection::read`]
/// consumes; everything to send (messages and automatic replies such as pongs and
/// the close echo) is appended to an output buffer that the driver writes out.
#[derive(Debug)]
pub struct Connection {
    role: Role,
    config: Config,
    state: State,
    reader: Reader,
    /// Boxed: most connections never compress, and an idle connection should not
    /// carry the codec's few hundred bytes inline.
    deflate: Option<Box<DeflateCodec>>,
    /// Reused scratch space for compressing outgoing messages.
    scratch: BytesMut,
}

impl Connection {
    /// A connection in `role` with the given limits, without compression.
    pub fn new(role: Role, config: Config) -> Self {
        Connection {
            role,
            config,
            state: State::Open,
            reader: Reader::default(),
            deflate: None,
            scratch: BytesMut::new(),
        }
    }

    /// Enables permessage-deflate with the codec built from the negotiated parameters.
    pub fn with_deflate(mut self, codec: DeflateCodec) -> Self {
        self.deflate = Some(Box::new(codec));
        self
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The close-handshake state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether permessage-deflate was negotiated.
    pub fn is_compressed(&self) -> bool {
        self.deflate.is_some()
    }

    /// Bytes still missing to complete the frame being received, if one is under way:
    /// a driver can reserve that much once instead of growing its buffer step by step.
    pub fn missing_frame_bytes(&self, buffered: usize) -> Option<usize> {
        self.reader.missing(buffered)
    }

    /// Consumes frames from `input` until a message is complete (`Ok(Some)`) or more
    /// bytes are needed (`Ok(None)`). Automatic replies go to `out`.
    ///
    /// On a violation the connection is failed: a close frame with the matching code
    /// is appended to `out` and the error is returned; after that, and after the close
    /// handshake, this returns `Ok(None)` and ignores the input.
    pub fn read(
        &mut self,
        input: &mut BytesMut,
        out: &mut BytesMut,
    ) -> Result<Option<Message>, Error> {
        if !self.state.can_read() {
            return Ok(None);
        }
        match self
            .reader
            .read(input, self.role, &self.config, self.deflate.as_deref_mut())
        {
            Ok(Some(message)) => Ok(Some(self.on_message(message, out))),
            Ok(None) => Ok(None),
            Err(error) => {
                self.fail(&error, out);
                Err(error)
            }
        }
    }

    /// Encodes `message` into `out`: a data message (compressed and fragmented as
    /// configured), a ping, a pong, or our close frame, which starts the close handshake.
    pub fn send(&mut self, message: &Message, out: &mut BytesMut) -> Result<(), Error> {
        match message {
            Message::Close(frame) => self.send_close(frame.as_ref(), out),
            _ if !self.state.can_send() => Err(Error::Closed),
            Message::Text(text) => self.send_data(true, text.as_bytes(), out),
            Message::Binary(data) => self.send_data(false, data, out),
            Message::Ping(data) => {
                writer::control(self.role, crate::frame::OpCode::Ping, data, out)
            }
            Message::Pong(data) => {
                writer::control(self.role, crate::frame::OpCode::Pong, data, out)
            }
        }
    }

    /// Like [`send`](Self::send), without copying a large payload: when a server
    /// sends a data message of at least [`SHARED_PAYLOAD_MIN`] bytes that goes out
    /// as it is (no compression, no fragmentation; servers never mask), only the
    /// frame header is appended to `out` and the payload is returned, to be written
    /// right after everything in `out` (a vectored write). Otherwise this is `send`
    /// and returns `None`.
    pub fn send_shared(
        &mut self,
        message: &Message,
        out: &mut BytesMut,
    ) -> Result<Option<Bytes>, Error> {
        let (text, payload) = match message {
            Message::Text(text) => (true, text.as_bytes()),
            Message::Binary(data) => (false, data),
            _ => return self.send(message, out).map(|()| None),
        };
        let len = payload.len();
        let as_is = self.role == Role::Server
            && self.state.can_send()
            && len >= SHARED_PAYLOAD_MIN
            && self.config.fragment_size.is_none_or(|size| len <= size)
            && !self
                .deflate
                .as_ref()
                .is_some_and(|codec| codec.should_compress(len));
        if !as_is {
            return self.send(message, out).map(|()| None);
        }
        writer::server_data_header(text, len, out);
        Ok(Some(payload.clone()))
    }

    /// Sends a message encoded once for many connections. A server shares the
    /// frame: a large one (at least [`SHARED_PAYLOAD_MIN`] bytes) is returned to be
    /// written by reference right after `out`, a small one is copied into `out`. A
    /// client must mask, so it encodes the payload itself and returns `None`.
    pub fn send_prepared(
        &mut self,
        prepared: &PreparedMessage,
        out: &mut BytesMut,
    ) -> Result<Option<Bytes>, Error> {
        if !self.state.can_send() {
            return Err(Error::Closed);
        }
        match self.role {
            Role::Server if prepared.frame().len() >= SHARED_PAYLOAD_MIN => {
                Ok(Some(prepared.frame().clone()))
            }
            Role::Server => {
                out.extend_from_slice(prepared.frame());
                Ok(None)
            }
            Role::Client => self.send(prepared.message(), out).map(|()| None),
        }
    }

    fn send_data(&mut self, text: bool, payload: &[u8], out: &mut BytesMut) -> Result<(), Error> {
        let fragment = self.config.fragment_size;
        match self.deflate.as_mut() {
            Some(codec) if codec.should_compress(payload.len()) => {
                self.scratch.clear();
                codec.compress(payload, &mut self.scratch)?;
                writer::data(self.role, text, true, &self.scratch, fragment, out);
                // Large one-off messages must not pin a large scratch buffer for good.
                if self.scratch.capacity() > 64 << 10 {
                    self.scratch = BytesMut::new();
                }
            }
            _ => writer::data(self.role, text, false, payload, fragment, out),
        }
        Ok(())
    }

    fn send_close(&mut self, frame: Option<&CloseFrame>, out: &mut BytesMut) -> Result<(), Error> {
        if let Some(frame) = frame {
            // RFC 6455 §7.4: only codes defined for use on the wire may be sent.
            if !frame.code.is_allowed_on_wire() {
                return Err(Error::InvalidCloseCode(frame.code.0));
            }
        }
        if self.state != State::Open {
            // Closing twice is harmless: the handshake is already under way or done.
            return Ok(());
        }
        writer::close(self.role, frame, out);
        self.state = State::CloseSent;
        Ok(())
    }

    fn on_message(&mut self, message: Message, out: &mut BytesMut) -> Message {
        match &message {
            Message::Ping(data) if self.config.auto_pong && self.state == State::Open => {
                // RFC 6455 §5.5.2: a Pong frame MUST be sent in response, with the
                // same application data, unless a Close frame was already sent.
                let _ = writer::control(self.role, crate::frame::OpCode::Pong, data, out);
            }
            Message::Close(frame) => {
                if self.state == State::Open {
                    // RFC 6455 §5.5.1: the endpoint MUST send a Close frame in
                    // response; echoing the received status code is customary, and
                    // Node `ws` and Python `websockets` echo the reason as well.
                    writer::close(self.role, frame.as_ref(), out);
                }
                self.state = State::Closed;
            }
            _ => {}
        }
        message
    }

    fn fail(&mut self, error: &Error, out: &mut BytesMut) {
        if self.state == State::Open {
            // RFC 6455 §7.1.7: to fail the connection, send a Close frame with the
            // status code of the problem (when one may still be sent), then close.
            let mut reason = error.to_string();
            reason.truncate(floor_char_boundary(&reason, 123));
            writer::close(
                self.role,
                Some(&CloseFrame::new(error.close_code(), reason)),
                out,
            );
        }
        self.state = State::Failed;
    }
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests;
