//! Messages encoded once for many sessions: a broadcast costs one encoding, and WebSocket
//! sessions share the same frame bytes.

use std::sync::Arc;

use duplex_engineio_proto::{Message, Packet, Protocol};

/// A message prepared for many sessions ([`Socket::send_prepared`](crate::Socket::send_prepared)).
/// Cloning is cheap (shared).
#[derive(Debug, Clone)]
pub struct PreparedMessage {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    message: Message,
    /// The v4 WebSocket frame. v3 frames binary messages differently (a type byte first), so
    /// v3 sessions get binary messages framed for them; text frames are the same.
    frame: duplex_ws::PreparedMessage,
}

impl PreparedMessage {
    /// Prepares `message`.
    pub fn new(message: impl Into<Message>) -> PreparedMessage {
        let message = message.into();
        let frame = match Packet::Message(message.clone()).to_ws_message(Protocol::V4) {
            duplex_ws::Message::Text(text) => duplex_ws::PreparedMessage::text(text),
            other => duplex_ws::PreparedMessage::binary(other.into_data()),
        };
        PreparedMessage {
            inner: Arc::new(Inner { message, frame }),
        }
    }

    /// The message.
    pub fn message(&self) -> &Message {
        &self.inner.message
    }

    /// The length of the WebSocket message carrying it (text gets the packet type first).
    pub(crate) fn ws_payload_len(&self) -> usize {
        match &self.inner.message {
            Message::Text(text) => text.len() + 1,
            Message::Binary(data) => data.len(),
        }
    }

    /// The shared frame, when it fits the session: text frames fit every session, the
    /// binary frame only v4 sessions that take binary frames.
    pub(crate) fn frame_for(
        &self,
        protocol: Protocol,
        binary: bool,
    ) -> Option<&duplex_ws::PreparedMessage> {
        match (&self.inner.message, protocol, binary) {
            (Message::Text(_), _, _) | (Message::Binary(_), Protocol::V4, true) => {
                Some(&self.inner.frame)
            }
            (Message::Binary(_), _, _) => None,
        }
    }
}

/// What a session's queue holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outgoing {
    Packet(Packet),
    Prepared(PreparedMessage),
}

impl Outgoing {
    /// The packet, for transports that encode per session (polling).
    pub(crate) fn into_packet(self) -> Packet {
        match self {
            Outgoing::Packet(packet) => packet,
            Outgoing::Prepared(prepared) => Packet::Message(prepared.message().clone()),
        }
    }
}

impl PartialEq for PreparedMessage {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for PreparedMessage {}
