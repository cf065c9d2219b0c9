//! Encoding outgoing messages as frames: masking for clients, fragmentation, RSV1.

use bytes::BytesMut;

use crate::close::CloseFrame;
use crate::error::Error;
use crate::frame::{FrameHeader, OpCode};
use crate::mask::apply_mask;
use crate::role::Role;

/// Appends one frame. Clients mask with a fresh random key per frame
/// (RFC 6455 §5.3: the key MUST be unpredictable); servers never mask.
pub(super) fn frame(
    role: Role,
    opcode: OpCode,
    rsv1: bool,
    fin: bool,
    payload: &[u8],
    out: &mut BytesMut,
) {
    let mask = match role {
        Role::Client => Some(rand::random::<[u8; 4]>()),
        Role::Server => None,
    };
    let header = FrameHeader {
        fin,
        rsv1,
        rsv2: false,
        rsv3: false,
        opcode,
        mask,
        payload_len: payload.len() as u64,
    };
    out.reserve(header.encoded_len() + payload.len());
    header.encode(out);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key, 0);
    }
}

/// Appends the header of an unmasked, unfragmented, uncompressed data frame whose
/// payload the caller sends itself, right after (a server's zero-copy path).
pub(super) fn server_data_header(text: bool, len: usize, out: &mut BytesMut) {
    let header = FrameHeader {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: if text { OpCode::Text } else { OpCode::Binary },
        mask: None,
        payload_len: len as u64,
    };
    header.encode(out);
}

/// Appends a data message, split into frames of at most `fragment` payload bytes.
/// RFC 7692 §6.1: only the first frame of a compressed message carries RSV1.
pub(super) fn data(
    role: Role,
    text: bool,
    compressed: bool,
    payload: &[u8],
    fragment: Option<usize>,
    out: &mut BytesMut,
) {
    let first = if text { OpCode::Text } else { OpCode::Binary };
    let size = fragment.unwrap_or(usize::MAX).max(1);
    if payload.len() <= size {
        frame(role, first, compressed, true, payload, out);
        return;
    }
    let mut chunks = payload.chunks(size).peekable();
    let mut opcode = first;
    let mut rsv1 = compressed;
    while let Some(chunk) = chunks.next() {
        frame(role, opcode, rsv1, chunks.peek().is_none(), chunk, out);
        opcode = OpCode::Continuation;
        rsv1 = false;
    }
}

/// Appends a ping or pong; RFC 6455 §5.5: control payloads are at most 125 bytes.
pub(super) fn control(
    role: Role,
    opcode: OpCode,
    payload: &[u8],
    out: &mut BytesMut,
) -> Result<(), Error> {
    if payload.len() > 125 {
        return Err(Error::ControlPayloadTooLong);
    }
    frame(role, opcode, false, true, payload, out);
    Ok(())
}

/// Appends a close frame, empty when there is no status code.
pub(super) fn close(role: Role, close: Option<&CloseFrame>, out: &mut BytesMut) {
    let mut payload = BytesMut::new();
    if let Some(close) = close {
        close.encode(&mut payload);
    }
    frame(role, OpCode::Close, false, true, &payload, out);
}
