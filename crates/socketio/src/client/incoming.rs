//! [`Incoming`]: an event from the server, as an event handler receives it.

use bytes::Bytes;
use duplex_socketio_proto::{Packet, args};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Socket;
use crate::error::SendError;
use crate::handler::RawArgs;

/// One event from the server: its name, its arguments (decoded on demand into any serde
/// type, binary attachments included) and, when the server asked for one, the means to
/// acknowledge it.
#[derive(Debug)]
pub struct Incoming {
    pub(crate) socket: Socket,
    pub(crate) name: String,
    pub(crate) packet: Packet,
}

impl Incoming {
    /// The event's name.
    pub fn event(&self) -> &str {
        &self.name
    }

    /// The arguments as `T`: one argument as itself, several (or none) as a tuple or a
    /// `Vec`. With connection state recovery on, the server appends its offset (a string) to
    /// broadcasts, as an extra last argument (as socket.io-client shows it too).
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        args::decode_event_args(self.data(), &self.packet.attachments)
    }

    /// The arguments as raw JSON with their attachments, to pass on unchanged.
    pub fn raw_args(&self) -> RawArgs {
        RawArgs::new(
            args::raw_args(self.data(), 1).unwrap_or_default(),
            self.packet.attachments.clone(),
        )
    }

    /// The arguments as values, one each.
    pub fn values(&self) -> Result<Vec<crate::Value>, serde_json::Error> {
        args::decode_each(self.data(), 1, &self.packet.attachments)
    }

    /// The binary attachments, in placeholder order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.packet.attachments
    }

    /// The socket the event arrived on.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Whether the server awaits an acknowledgement (`emitWithAck` there).
    pub fn wants_ack(&self) -> bool {
        self.packet.id.is_some()
    }

    /// Acknowledges the event with `args` (a tuple spreads into several arguments). Does
    /// nothing when the server asked for no ack; fails if the socket is no longer connected.
    pub fn ack<T: Serialize + ?Sized>(self, args: &T) -> Result<(), SendError> {
        let Some(id) = self.packet.id else {
            return Ok(());
        };
        let (data, attachments) = args::encode_ack(args)?;
        self.socket.send_ack(id, data, attachments)
    }

    /// Acknowledges the event with arguments received earlier, unchanged.
    pub fn ack_raw(self, args: &RawArgs) -> Result<(), SendError> {
        let Some(id) = self.packet.id else {
            return Ok(());
        };
        let data = args::with_raw_args(None, args.json());
        self.socket.send_ack(id, data, args.attachments().to_vec())
    }

    fn data(&self) -> &str {
        self.packet.data.as_deref().unwrap_or("[]")
    }
}
