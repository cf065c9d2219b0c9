//! A server reading an upgrade request: head parsing, RFC 6455 §4.2.1 checks,
//! subprotocol selection, permessage-deflate negotiation, and writing the answer.
#![no_main]

use duplex_ws_proto::deflate::DeflateConfig;
use duplex_ws_proto::handshake::{Rejection, ServerHandshake, parse_request, write_response};
use libfuzzer_sys::fuzz_target;

/// Small enough that the fuzzer reaches the limit often.
const MAX_HEAD_LEN: usize = 2048;

fuzz_target!(|data: &[u8]| {
    let server = ServerHandshake::new()
        .deflate(Some(DeflateConfig::default()))
        .select_protocol(|offered| offered.first().map(|p| p.to_string()));
    let mut out = Vec::new();
    match parse_request(data, MAX_HEAD_LEN) {
        // Incomplete is only allowed while the limit is not reached.
        Ok(None) => {
            assert!(data.len() < MAX_HEAD_LEN);
            return;
        }
        Ok(Some((request, len))) => {
            assert!(len <= data.len() && len <= MAX_HEAD_LEN);
            match server.accept(&request) {
                Ok(accepted) => write_response(&accepted.response, &mut out),
                Err(rejection) => rejection.write(&mut out),
            }
        }
        Err(error) => Rejection::from(error).write(&mut out),
    }
    assert!(out.starts_with(b"HTTP/1.1 "));
});
