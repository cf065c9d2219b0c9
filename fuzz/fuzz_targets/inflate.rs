//! Compressed payloads in: arbitrary bytes and `fin` flags into
//! `DeflateCodec::decompress`, which must never produce more than its `max_len`.
//!
//! Input layout: `[flags, max_len_lo, max_len_hi, frames...]`, each frame
//! `[header, payload...]` where the header's low 7 bits are the payload length and
//! bit 7 is `fin`. `flags` bit 0 picks the role, bit 1 no-context-takeover of the
//! peer, bit 2 a 9-bit peer window. `max_len` is 1..=4096.
#![no_main]

use bytes::BytesMut;
use duplex_ws_proto::deflate::{DeflateCodec, DeflateConfig, DeflateParams};
use duplex_ws_proto::{Error, Role};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[flags, lo, hi], mut rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let max_len = usize::from(u16::from_le_bytes([lo, hi]) % 4096) + 1;
    let no_context = flags & 2 != 0;
    let bits = if flags & 4 != 0 { 9 } else { 15 };
    let params = DeflateParams {
        server_no_context_takeover: no_context,
        client_no_context_takeover: no_context,
        server_max_window_bits: bits,
        client_max_window_bits: bits,
    };
    let role = if flags & 1 == 1 {
        Role::Server
    } else {
        Role::Client
    };
    let mut codec = DeflateCodec::new(params, role, &DeflateConfig::default());
    let mut out = BytesMut::new();
    while let Some((&header, tail)) = rest.split_first() {
        let len = usize::from(header & 0x7f).min(tail.len());
        let fin = header & 0x80 != 0;
        let (payload, tail) = tail.split_at(len);
        rest = tail;
        match codec.decompress(payload, fin, &mut out, max_len) {
            Ok(()) => assert!(out.len() <= max_len, "{} > {max_len}", out.len()),
            Err(Error::MessageTooLarge { max }) => {
                assert_eq!(max, max_len);
                // The codec must not be used after an error.
                return;
            }
            Err(Error::InvalidCompressedData(_)) => return,
            Err(other) => panic!("unexpected error from inflate: {other:?}"),
        }
        if fin {
            out.clear();
        }
    }
});
