//! Data messages encoded once and sent to many connections (broadcast).

use bytes::{Bytes, BytesMut};

use crate::connection::Connection;
use crate::message::Message;
use crate::role::Role;
use crate::utf8::Utf8Bytes;

/// A data message framed once, as a server sends it (unmasked, uncompressed), so a
/// broadcast costs one encoding however many sockets it goes to. Cloning is cheap.
///
/// Uncompressed frames are valid on every connection, compressed or not: RFC 7692
/// lets any message go without RSV1, and such messages do not enter the peer's
/// inflation window, so they cannot disturb context takeover.
#[derive(Debug, Clone)]
pub struct PreparedMessage {
    message: Message,
    frame: Bytes,
}

impl PreparedMessage {
    /// A text message framed once.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::frame_once(Message::Text(text.into()))
    }

    /// A binary message framed once.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::frame_once(Message::Binary(data.into()))
    }

    fn frame_once(message: Message) -> Self {
        let mut out = BytesMut::new();
        let mut connection = Connection::new(Role::Server, crate::Config::default());
        // An open server connection without compression encodes any data message.
        let _ = connection.send(&message, &mut out);
        PreparedMessage {
            message,
            frame: out.freeze(),
        }
    }

    /// The message.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The complete server frame.
    pub fn frame(&self) -> &Bytes {
        &self.frame
    }
}
