//! Single packets in: arbitrary bytes as a WebSocket text or binary frame, or a record of a
//! polling payload, for v3 and v4; the data of open packets into `OpenPacket::from_json`.
//!
//! Input layout: `[flags, bytes...]`. `flags` bit 0 picks the protocol (set: v4).
//!
//! Checks: no panic; every packet that decodes goes out as a WebSocket frame, in the binary
//! and in the base64 (`b64=1`) form, and comes back the same; an open packet that parses
//! serialises to JSON that parses to the same value.
#![no_main]

use bytes::Bytes;
use duplex_engineio_proto::{OpenPacket, Packet, Protocol, Utf8Bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, bytes)) = data.split_first() else {
        return;
    };
    let protocol = if flags & 1 == 1 {
        Protocol::V4
    } else {
        Protocol::V3
    };
    let bytes = Bytes::copy_from_slice(bytes);
    let mut decoded = vec![Packet::decode_binary(bytes.clone(), protocol)];
    if let Ok(text) = Utf8Bytes::try_from(bytes) {
        decoded.push(Packet::decode_text(text.clone(), true));
        decoded.push(Packet::decode_text(text.clone(), false));
        decoded.push(Packet::decode_ws_text(text, protocol));
    }
    for packet in decoded.into_iter().flatten() {
        for message in [
            packet.to_ws_message(protocol),
            packet.to_ws_message_base64(protocol),
        ] {
            let back = match message {
                duplex_ws_proto::Message::Text(t) => Packet::decode_ws_text(t, protocol),
                duplex_ws_proto::Message::Binary(b) => Packet::decode_binary(b, protocol),
                other => panic!("a packet became a control frame: {other:?}"),
            };
            assert_eq!(back.as_ref(), Ok(&packet));
        }
        if let Packet::Open(json) = &packet {
            if let Ok(open) = OpenPacket::from_json(json) {
                assert_eq!(OpenPacket::from_json(&open.to_json()), Ok(open));
            }
        }
    }
});
