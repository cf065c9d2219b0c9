//! The body of one polling POST, cut from the queue of packets to send.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::packet::Packet;
use crate::payload;
use crate::protocol::Protocol;

/// Takes the packets of one POST off the front of `queue` and encodes them as a v4 payload.
///
/// As engine.io-client does, a body holds as many packets as fit in `max_payload` bytes (the
/// server refuses a larger body), but at least one: a packet too large on its own is sent
/// alone and left to the server to refuse. `0` means the server set no limit. Unlike
/// engine.io-client, which estimates base64 as 1.33 bytes per byte, the sizes are exact.
pub(super) fn take_post(queue: &mut VecDeque<Packet>, max_payload: u64) -> Bytes {
    let limit = usize::try_from(max_payload).unwrap_or(usize::MAX);
    let mut count = 0;
    let mut len = 0usize;
    for packet in queue.iter() {
        // Every packet after the first costs its separator too.
        let next = len + usize::from(count > 0) + packet.text_len();
        if count > 0 && limit != 0 && next > limit {
            break;
        }
        len = next;
        count += 1;
    }
    let packets: Vec<Packet> = queue.drain(..count).collect();
    let mut body = BytesMut::with_capacity(len);
    payload::encode(&packets, Protocol::V4, &mut body);
    body.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use crate::strategies;
    use proptest::prelude::*;

    fn queue(texts: &[&str]) -> VecDeque<Packet> {
        texts
            .iter()
            .map(|t| Packet::Message(Message::text(*t)))
            .collect()
    }

    #[test]
    fn splits_at_the_limit() {
        // "4aaa" is 4 bytes; two with the separator are 9.
        let mut q = queue(&["aaa", "aaa", "aaa"]);
        assert_eq!(take_post(&mut q, 9), Bytes::from_static(b"4aaa\x1e4aaa"));
        assert_eq!(take_post(&mut q, 9), Bytes::from_static(b"4aaa"));
        assert!(q.is_empty());
        let mut q = queue(&["aaa", "aaa"]);
        assert_eq!(take_post(&mut q, 8), Bytes::from_static(b"4aaa"));
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn a_packet_over_the_limit_goes_alone_and_zero_means_no_limit() {
        let mut q = queue(&["too long", "x"]);
        assert_eq!(take_post(&mut q, 3), Bytes::from_static(b"4too long"));
        assert_eq!(take_post(&mut q, 3), Bytes::from_static(b"4x"));
        let mut q = queue(&["a", "b", "c"]);
        assert_eq!(take_post(&mut q, 0), Bytes::from_static(b"4a\x1e4b\x1e4c"));
    }

    #[test]
    fn binary_counts_its_base64() {
        // The reference vector "text, binary and a ping" without its ping.
        let mut q: VecDeque<Packet> = [
            Packet::Message(Message::text("hello")),
            Packet::Message(Message::binary(vec![1, 2, 3, 4])),
        ]
        .into();
        assert_eq!(take_post(&mut q.clone(), 15), Bytes::from_static(b"4hello"));
        assert_eq!(
            take_post(&mut q, 16),
            Bytes::from_static(b"4hello\x1ebAQIDBA==")
        );
    }

    proptest! {
        /// Bodies concatenated give back the queue, in order; each fits unless it is one
        /// packet, and none could have taken the next packet too.
        #[test]
        fn bodies_cover_the_queue_within_the_limit(
            packets in proptest::collection::vec(strategies::packet(strategies::v4_text()), 0..12),
            limit in 0u64..60,
        ) {
            let mut q: VecDeque<Packet> = packets.iter().cloned().collect();
            let mut decoded = Vec::new();
            while !q.is_empty() {
                let body = take_post(&mut q, limit);
                let got = payload::decode(body.clone(), Protocol::V4).unwrap();
                prop_assert!(!got.is_empty());
                if limit != 0 {
                    prop_assert!(got.len() == 1 || body.len() as u64 <= limit);
                    if let Some(next) = q.front() {
                        prop_assert!((body.len() + 1 + next.text_len()) as u64 > limit);
                    }
                }
                decoded.extend(got);
            }
            prop_assert_eq!(decoded, packets);
        }
    }
}
