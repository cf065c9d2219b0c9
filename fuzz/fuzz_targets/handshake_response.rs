//! A client reading the server's answer: head parsing and RFC 6455 §4.1 checks
//! (accept value, subprotocol, extensions including permessage-deflate).
#![no_main]

use duplex_ws_proto::deflate::DeflateConfig;
use duplex_ws_proto::handshake::{ClientRequest, accept_key, parse_response};
use libfuzzer_sys::fuzz_target;

const MAX_HEAD_LEN: usize = 2048;

/// Replaced by the accept value our random key calls for, so that inputs reach
/// the checks after it.
const ACCEPT_PLACEHOLDER: &[u8] = b"{accept}";

fuzz_target!(|data: &[u8]| {
    let Ok(client) = ClientRequest::new("ws://fuzz.example/chat")
        .and_then(|c| c.protocols(["chat", "superchat"]))
        .map(|c| c.deflate(Some(DeflateConfig::default())))
    else {
        return;
    };
    let accept = accept_key(client.key().as_bytes());
    let data = replace(data, ACCEPT_PLACEHOLDER, accept.as_bytes());
    if let Ok(Some((response, len))) = parse_response(&data, MAX_HEAD_LEN) {
        assert!(len <= data.len());
        if let Err(error) = client.verify_response(&response) {
            let body = &data[len..];
            let _ = error.with_body(body).to_string();
        }
    }
});

fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + to.len());
    let mut rest = data;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}
