//! Proptest strategies for packets, shared by the codec tests.

use proptest::prelude::*;

use crate::message::Message;
use crate::packet::Packet;

/// Text of any Unicode scalar values, with astral ones (surrogate pairs in UTF-16) and the
/// characters the payload framings use (`:`, digits, `b`, `\x1e`) made frequent.
pub(crate) fn text() -> impl Strategy<Value = String> + Clone {
    let c = prop_oneof![
        3 => any::<char>(),
        2 => proptest::char::range('\u{10000}', '\u{10FFFF}'),
        1 => proptest::sample::select(vec![':', '0', '4', 'b', '\u{1e}', '\u{ff}', '€']),
    ];
    proptest::collection::vec(c, 0..24).prop_map(|cs| cs.into_iter().collect())
}

/// Any packet, its text data drawn from `text`.
pub(crate) fn packet(text: impl Strategy<Value = String> + Clone) -> impl Strategy<Value = Packet> {
    prop_oneof![
        text.clone().prop_map(|s| Packet::Message(Message::text(s))),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| Packet::Message(Message::binary(b))),
        text.clone().prop_map(|s| Packet::Open(s.into())),
        text.clone().prop_map(|s| Packet::Ping(s.into())),
        text.prop_map(|s| Packet::Pong(s.into())),
        Just(Packet::Close),
        Just(Packet::Upgrade),
        Just(Packet::Noop),
    ]
}

/// Text without the v4 record separator, which no v4 packet can carry.
pub(crate) fn v4_text() -> impl Strategy<Value = String> + Clone {
    text().prop_map(|s| s.replace('\u{1e}', ""))
}

/// The packet's text form as the reference builds it: the type digit and the text.
pub(crate) fn digit_and_text(packet: &Packet) -> (u8, &str) {
    let digit = packet.packet_type().digit();
    match packet {
        Packet::Open(t) | Packet::Ping(t) | Packet::Pong(t) | Packet::Message(Message::Text(t)) => {
            (digit, t.as_str())
        }
        _ => (digit, ""),
    }
}
