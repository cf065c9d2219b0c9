//! The per-connection decoder: text packets, and binary packets whose attachments arrive as
//! the next binary messages.

use duplex_engineio_proto::Message;

use crate::error::Error;
use crate::json::{self, PlaceholderError};
use crate::packet::Packet;
use crate::parser::Parser;

/// Most attachments a packet may announce by default (socket.io-parser's `maxAttachments`).
pub const DEFAULT_MAX_ATTACHMENTS: usize = 10;

/// Turns a connection's Engine.IO messages into Socket.IO packets.
#[derive(Debug)]
pub struct Decoder {
    parser: Parser,
    max_attachments: usize,
    partial: Option<(Packet, usize)>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DEFAULT_MAX_ATTACHMENTS)
    }
}

impl Decoder {
    /// A decoder accepting up to `max_attachments` attachments per packet.
    pub fn new(max_attachments: usize) -> Decoder {
        Decoder::with_parser(Parser::Default, max_attachments)
    }

    /// A decoder for `parser`'s format.
    pub fn with_parser(parser: Parser, max_attachments: usize) -> Decoder {
        Decoder {
            parser,
            max_attachments,
            partial: None,
        }
    }

    /// The format this decoder reads.
    pub fn parser(&self) -> Parser {
        self.parser
    }

    /// Whether a binary packet is waiting for attachments.
    pub fn is_awaiting_attachments(&self) -> bool {
        self.partial.is_some()
    }

    /// Feeds one message: a complete packet, `None` while attachments are awaited, or an
    /// error (after which the connection should be closed with `parse error`).
    pub fn decode(&mut self, message: Message) -> Result<Option<Packet>, Error> {
        #[cfg(feature = "msgpack")]
        if self.parser == Parser::MsgPack {
            return match message {
                Message::Binary(data) => crate::msgpack::decode(&data).map(Some),
                Message::Text(_) => Err(Error::UnexpectedText),
            };
        }
        match message {
            Message::Text(text) => {
                if self.partial.is_some() {
                    return Err(Error::UnexpectedText);
                }
                let (packet, attachments) = Packet::decode_text(text, self.max_attachments)?;
                if attachments == 0 {
                    return Ok(Some(packet));
                }
                self.partial = Some((packet, attachments));
                Ok(None)
            }
            Message::Binary(data) => {
                let (packet, expected) = self.partial.as_mut().ok_or(Error::UnexpectedBinary)?;
                packet.attachments.push(data);
                if packet.attachments.len() < *expected {
                    return Ok(None);
                }
                let (packet, expected) = self.partial.take().ok_or(Error::UnexpectedBinary)?;
                let data = packet.data.as_deref().unwrap_or("");
                match json::check_placeholders(data, expected) {
                    Ok(_) => Ok(Some(packet)),
                    Err(PlaceholderError::NotJson) => Err(Error::InvalidPayload),
                    Err(PlaceholderError::OutOfRange) => Err(Error::MissingAttachment),
                }
            }
        }
    }
}
