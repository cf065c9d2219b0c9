//! Polling bodies in: arbitrary bytes into the v4 and v3 payload decoders.
//!
//! Input layout: `[flags, body...]`. `flags` bit 0 picks the protocol (set: v4), bits 1–2
//! the v3 entry point (0: `decode`, which tells the forms apart by the first byte; 1: the text
//! form; 2: the binary form, as a server dispatching on `Content-Type` calls them).
//!
//! Checks: no panic; the packets fit in the body (no more than one per two bytes, binary data
//! no longer than the body); and what decodes re-encodes (servers answer v3 in the text form)
//! into a body that decodes to the same packets.
#![no_main]

use bytes::{Bytes, BytesMut};
use duplex_engineio_proto::payload::{self, v3};
use duplex_engineio_proto::{Message, Packet, Protocol};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let body = Bytes::copy_from_slice(body);
    let protocol = if flags & 1 == 1 {
        Protocol::V4
    } else {
        Protocol::V3
    };
    let decoded = match (protocol, (flags >> 1) & 3) {
        (Protocol::V4, _) | (Protocol::V3, 0 | 3) => payload::decode(body.clone(), protocol),
        (Protocol::V3, 1) => v3::decode_text_form(body.clone()),
        (Protocol::V3, _) => v3::decode_binary_form(body.clone()),
    };
    let Ok(packets) = decoded else {
        return;
    };
    assert!(packets.len() <= body.len() / 2 + 1, "more packets than the body can hold");
    let binary: usize = packets
        .iter()
        .map(|p| match p {
            Packet::Message(Message::Binary(b)) => b.len(),
            _ => 0,
        })
        .sum();
    assert!(binary <= body.len(), "more binary data than body");

    let mut again = BytesMut::new();
    payload::encode(&packets, protocol, &mut again);
    let again = payload::decode(again.freeze(), protocol);
    assert_eq!(again.as_ref(), Ok(&packets), "re-encoded packets decode differently");
});
