//! Reading frames and assembling messages, enforcing RFC 6455 §5 as bytes arrive.
//!
//! Payload bytes are unmasked in place and text is UTF-8-checked as soon as they are
//! buffered, before the frame is complete, so an invalid byte fails the connection
//! at once (not at the end of a long frame). A single-frame uncompressed message is
//! handed out without a copy (`split_to(..).freeze()`).

use bytes::{Buf, BytesMut};

use crate::close::CloseFrame;
use crate::config::Config;
use crate::deflate::DeflateCodec;
use crate::error::Error;
use crate::frame::{FrameHeader, OpCode};
use crate::mask::apply_mask;
use crate::message::Message;
use crate::role::Role;
use crate::utf8::{Utf8Bytes, Utf8Validator};

/// The data message being received across frames.
#[derive(Debug, Clone, Copy)]
struct Partial {
    text: bool,
    compressed: bool,
}

/// A frame whose header is decoded and whose payload is still arriving.
#[derive(Debug, Clone, Copy)]
struct InFrame {
    header: FrameHeader,
    len: usize,
    /// Payload bytes already unmasked and validated in place.
    scanned: usize,
}

#[derive(Debug, Default)]
pub(super) struct Reader {
    frame: Option<InFrame>,
    message: Option<Partial>,
    /// Payload of the message so far (inflated, when compressed).
    assembly: BytesMut,
    utf8: Utf8Validator,
}

impl Reader {
    pub(super) fn missing(&self, buffered: usize) -> Option<usize> {
        self.frame.map(|f| f.len.saturating_sub(buffered))
    }

    pub(super) fn read(
        &mut self,
        input: &mut BytesMut,
        role: Role,
        config: &Config,
        mut deflate: Option<&mut DeflateCodec>,
    ) -> Result<Option<Message>, Error> {
        loop {
            let mut frame = match self.frame.take() {
                Some(frame) => frame,
                None => {
                    let Some((header, header_len)) = FrameHeader::decode(input)? else {
                        return Ok(None);
                    };
                    let len = self.check_header(&header, role, config, deflate.is_some())?;
                    input.advance(header_len);
                    InFrame {
                        header,
                        len,
                        scanned: 0,
                    }
                }
            };
            let available = input.len().min(frame.len);
            if frame.scanned < available {
                let fresh = &mut input[frame.scanned..available];
                if let Some(key) = frame.header.mask {
                    apply_mask(fresh, key, frame.scanned);
                }
                if self.is_plain_text(&frame.header) {
                    self.utf8.feed(fresh)?;
                }
                frame.scanned = available;
            }
            if available < frame.len {
                self.frame = Some(frame);
                return Ok(None);
            }
            let payload = input.split_to(frame.len);
            if let Some(message) =
                self.complete_frame(frame.header, payload, config, deflate.as_deref_mut())?
            {
                return Ok(Some(message));
            }
        }
    }

    /// Applies the header rules before any payload is buffered; returns the payload length.
    fn check_header(
        &mut self,
        header: &FrameHeader,
        role: Role,
        config: &Config,
        deflate: bool,
    ) -> Result<usize, Error> {
        // RFC 6455 §5.2: RSV bits MUST be 0 unless an extension defines them. RFC 7692
        // §6: RSV1 marks the first frame of a compressed message, never a control
        // frame or a continuation.
        if header.rsv2 || header.rsv3 {
            return Err(Error::ReservedBits);
        }
        if header.rsv1 && !(deflate && matches!(header.opcode, OpCode::Text | OpCode::Binary)) {
            return Err(Error::ReservedBits);
        }
        // RFC 6455 §5.1: a server MUST close on an unmasked frame; a client MUST
        // close on a masked one.
        match (role, header.mask.is_some()) {
            (Role::Server, false) => return Err(Error::UnmaskedFrame),
            (Role::Client, true) => return Err(Error::MaskedFrame),
            _ => {}
        }
        if header.opcode.is_control() {
            // RFC 6455 §5.5: control frames MUST have a payload of 125 bytes or
            // less and MUST NOT be fragmented. They may arrive between fragments.
            if header.payload_len > 125 {
                return Err(Error::ControlFrameTooLong);
            }
            if !header.fin {
                return Err(Error::FragmentedControlFrame);
            }
            return Ok(header.payload_len as usize);
        }
        if header.payload_len > config.max_frame_size as u64 {
            return Err(Error::FrameTooLarge {
                size: header.payload_len,
                max: config.max_frame_size,
            });
        }
        let len = header.payload_len as usize;
        let partial = match (header.opcode, self.message) {
            (OpCode::Continuation, Some(partial)) => partial,
            (OpCode::Continuation, None) => return Err(Error::UnexpectedContinuation),
            // RFC 6455 §5.4: fragments of one message MUST NOT be interleaved with
            // another data message.
            (_, Some(_)) => return Err(Error::ExpectedContinuation),
            (opcode, None) => {
                let partial = Partial {
                    text: opcode == OpCode::Text,
                    compressed: header.rsv1,
                };
                self.message = Some(partial);
                self.utf8 = Utf8Validator::new();
                partial
            }
        };
        // Compressed messages are measured after inflation, by the codec.
        if !partial.compressed && self.assembly.len() + len > config.max_message_size {
            return Err(Error::MessageTooLarge {
                max: config.max_message_size,
            });
        }
        Ok(len)
    }

    /// Whether this frame's payload is UTF-8 text that can be checked as it arrives.
    fn is_plain_text(&self, header: &FrameHeader) -> bool {
        !header.opcode.is_control()
            && matches!(
                self.message,
                Some(Partial {
                    text: true,
                    compressed: false
                })
            )
    }

    fn complete_frame(
        &mut self,
        header: FrameHeader,
        payload: BytesMut,
        config: &Config,
        deflate: Option<&mut DeflateCodec>,
    ) -> Result<Option<Message>, Error> {
        let payload = payload.freeze();
        match header.opcode {
            OpCode::Ping => return Ok(Some(Message::Ping(payload))),
            OpCode::Pong => return Ok(Some(Message::Pong(payload))),
            OpCode::Close => {
                return CloseFrame::parse(&payload).map(|frame| Some(Message::Close(frame)));
            }
            _ => {}
        }
        let Some(partial) = self.message else {
            return Err(Error::UnexpectedContinuation);
        };
        if partial.compressed {
            let Some(codec) = deflate else {
                return Err(Error::ReservedBits);
            };
            let before = self.assembly.len();
            codec.decompress(
                &payload,
                header.fin,
                &mut self.assembly,
                config.max_message_size,
            )?;
            if partial.text {
                self.utf8.feed(&self.assembly[before..])?;
            }
        } else if header.fin && self.assembly.is_empty() {
            // A whole message in one frame: hand out the received bytes as they are.
            self.message = None;
            return Ok(Some(if partial.text {
                self.utf8.finish()?;
                Message::Text(Utf8Bytes::from_validated(payload))
            } else {
                Message::Binary(payload)
            }));
        } else {
            self.assembly.extend_from_slice(&payload);
        }
        if !header.fin {
            return Ok(None);
        }
        self.message = None;
        // Taking the buffer leaves nothing allocated behind between messages.
        let data = std::mem::take(&mut self.assembly).freeze();
        Ok(Some(if partial.text {
            self.utf8.finish()?;
            Message::Text(Utf8Bytes::from_validated(data))
        } else {
            Message::Binary(data)
        }))
    }
}
