//! Frames in: arbitrary bytes, delivered in arbitrary pieces, into
//! `Connection::read` in either role, with or without permessage-deflate.
//!
//! Input layout: `[flags, split1, split2, split3, bytes...]`. `flags` bit 0 picks
//! the role (set: server, which expects masked frames), bit 1 enables the deflate
//! codec, bits 2–3 the peer's no-context-takeover and a 9-bit window. The bytes are
//! fed in pieces whose lengths cycle through `split1..3` (0 = all the rest).
//!
//! Limits are small so the fuzzer reaches the 1009 (too big) paths.
#![no_main]

use bytes::BytesMut;
use duplex_ws_proto::deflate::{DeflateCodec, DeflateConfig, DeflateParams};
use duplex_ws_proto::{Config, Connection, Message, Role, State};
use libfuzzer_sys::fuzz_target;

const MAX_FRAME: usize = 256;
const MAX_MESSAGE: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&[flags, s1, s2, s3], bytes)) = data.split_first_chunk::<4>() else {
        return;
    };
    let role = if flags & 1 == 1 {
        Role::Server
    } else {
        Role::Client
    };
    let config = Config::default()
        .max_frame_size(MAX_FRAME)
        .max_message_size(MAX_MESSAGE);
    let mut conn = Connection::new(role, config);
    if flags & 2 != 0 {
        let mut params = DeflateParams::default();
        // Only the peer's side matters to inflating: vary that one.
        let peer_no_context = flags & 4 != 0;
        let peer_bits = if flags & 8 != 0 { 9 } else { 15 };
        match role {
            Role::Server => {
                params.client_no_context_takeover = peer_no_context;
                params.client_max_window_bits = peer_bits;
            }
            Role::Client => {
                params.server_no_context_takeover = peer_no_context;
                params.server_max_window_bits = peer_bits;
            }
        }
        conn = conn.with_deflate(DeflateCodec::new(params, role, &DeflateConfig::default()));
    }

    let splits = [s1, s2, s3];
    let mut input = BytesMut::new();
    let mut out = BytesMut::new();
    let mut rest = bytes;
    let mut piece = 0;
    let mut failed = false;
    while !rest.is_empty() {
        let len = match splits[piece % splits.len()] as usize {
            0 => rest.len(),
            n => n.min(rest.len()),
        };
        piece += 1;
        let (chunk, tail) = rest.split_at(len);
        rest = tail;
        input.extend_from_slice(chunk);
        let _ = conn.missing_frame_bytes(input.len());
        loop {
            let state_before = conn.state();
            let out_before = out.len();
            match conn.read(&mut input, &mut out) {
                Ok(Some(message)) => {
                    assert!(!failed, "a message after the connection failed");
                    check_message(&message);
                }
                Ok(None) => break,
                Err(_) => {
                    assert!(!failed, "an error after the connection failed");
                    assert_eq!(conn.state(), State::Failed);
                    // While open, failing queues the close frame with the error's code.
                    if state_before == State::Open {
                        assert!(out.len() > out_before, "failed without queuing a close");
                    }
                    failed = true;
                    break;
                }
            }
        }
        // Pongs and close echoes would pile up otherwise; a driver writes them out.
        out.clear();
    }
    if conn.state().is_terminated() {
        // Closed or failed: input is ignored from now on.
        input.extend_from_slice(bytes);
        assert!(matches!(conn.read(&mut input, &mut out), Ok(None)));
        assert!(out.is_empty(), "wrote after the connection ended");
    }
});

fn check_message(message: &Message) {
    match message {
        Message::Text(_) | Message::Binary(_) => assert!(message.len() <= MAX_MESSAGE),
        // RFC 6455 §5.5: control frames carry at most 125 payload bytes.
        Message::Ping(data) | Message::Pong(data) => assert!(data.len() <= 125),
        Message::Close(_) => {}
    }
}
