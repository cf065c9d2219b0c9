//! Data messages encoded once and sent to many connections (broadcast).

use bytes::{Bytes, BytesMut};

use crate::frame::{FrameHeader, OpCode};
use crate::message::Message;
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
        let text = text.into();
        let frame = server_frame(OpCode::Text, text.as_bytes());
        PreparedMessage {
            message: Message::Text(text),
            frame,
        }
    }

    /// A binary message framed once.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        let data = data.into();
        let frame = server_frame(OpCode::Binary, &data);
        PreparedMessage {
            message: Message::Binary(data),
            frame,
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

/// One unfragmented, unmasked, uncompressed frame, as a server sends it.
fn server_frame(opcode: OpCode, payload: &[u8]) -> Bytes {
    let header = FrameHeader {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode,
        mask: None,
        payload_len: payload.len() as u64,
    };
    let mut out = BytesMut::with_capacity(header.encoded_len() + payload.len());
    header.encode(&mut out);
    out.extend_from_slice(payload);
    out.freeze()
}
