//! Which wire format a server speaks: socket.io's default (text packets, binary attachments as
//! extra messages) or, with feature `msgpack`, socket.io-msgpack-parser's.

use duplex_engineio_proto::Message;

use crate::packet::Packet;

/// A packet format. Every client of a server must use the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Parser {
    /// socket.io-parser: `2["event",...]` text messages, attachments as binary messages.
    #[default]
    Default,
    /// socket.io-msgpack-parser: one MessagePack binary message per packet.
    #[cfg(feature = "msgpack")]
    MsgPack,
}

impl Parser {
    /// The Engine.IO messages that carry `packet`.
    pub fn encode(self, packet: &Packet) -> Vec<Message> {
        match self {
            Parser::Default => packet.encode(),
            #[cfg(feature = "msgpack")]
            Parser::MsgPack => vec![Message::Binary(crate::msgpack::encode(packet))],
        }
    }
}
