//! The conformance table: one test per RFC 6455 rule, fed as raw bytes.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::SHARED_PAYLOAD_MIN;
use super::*;
use crate::close::CloseCode;
use crate::frame::{FrameHeader, OpCode};
use crate::mask::apply_mask;

/// A frame as a client puts it on the wire (masked), with free control of every bit.
fn raw(fin: bool, rsv: u8, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    let header = FrameHeader {
        fin,
        rsv1: rsv & 4 != 0,
        rsv2: rsv & 2 != 0,
        rsv3: rsv & 1 != 0,
        opcode: OpCode::Text,
        mask,
        payload_len: payload.len() as u64,
    };
    header.encode(&mut out);
    out[0] = (out[0] & 0xF0) | opcode;
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[start..], key, 0);
    }
    out.to_vec()
}

const KEY: Option<[u8; 4]> = Some([0x12, 0x34, 0x56, 0x78]);

fn client(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    raw(fin, 0, opcode, KEY, payload)
}

/// Feeds bytes to a server connection; returns the messages, the error if any,
/// and the frames the server queued.
fn serve(config: Config, bytes: &[u8]) -> (Vec<Message>, Option<Error>, Vec<Message>) {
    let mut conn = Connection::new(Role::Server, config);
    let mut input = BytesMut::from(bytes);
    let mut out = BytesMut::new();
    let mut messages = Vec::new();
    let error = loop {
        match conn.read(&mut input, &mut out) {
            Ok(Some(message)) => messages.push(message),
            Ok(None) => break None,
            Err(error) => break Some(error),
        }
    };
    (messages, error, decode_server_frames(&out))
}

/// Reads what a server sent, as a client would.
fn decode_server_frames(bytes: &[u8]) -> Vec<Message> {
    let mut conn = Connection::new(Role::Client, Config::default());
    let mut input = BytesMut::from(bytes);
    let mut sink = BytesMut::new();
    let mut messages = Vec::new();
    while let Ok(Some(message)) = conn.read(&mut input, &mut sink) {
        messages.push(message);
    }
    messages
}

fn close_code(replies: &[Message]) -> Option<u16> {
    replies.iter().find_map(|m| match m {
        Message::Close(Some(frame)) => Some(frame.code.0),
        _ => None,
    })
}

fn fails_with(bytes: &[u8], code: u16) {
    let (_, error, replies) = serve(Config::default(), bytes);
    let error = error.expect("the connection must fail");
    assert_eq!(error.close_code().0, code, "{error}");
    assert_eq!(
        close_code(&replies),
        Some(code),
        "close frame sent for {error}"
    );
}

#[test]
fn single_frame_text_and_binary() {
    let mut bytes = client(true, 1, "héllo".as_bytes());
    bytes.extend(client(true, 2, &[0, 1, 2]));
    bytes.extend(client(true, 1, b""));
    let (messages, error, _) = serve(Config::default(), &bytes);
    assert_eq!(error, None);
    assert_eq!(
        messages,
        vec![
            Message::text("héllo"),
            Message::binary(vec![0, 1, 2]),
            Message::text("")
        ]
    );
}

#[test]
fn fragments_with_a_ping_between_them() {
    let mut bytes = client(false, 1, b"frag");
    bytes.extend(client(true, 9, b"ping!"));
    bytes.extend(client(false, 0, b"men"));
    bytes.extend(client(true, 0, b"ted"));
    let (messages, error, replies) = serve(Config::default(), &bytes);
    assert_eq!(error, None);
    assert_eq!(
        messages,
        vec![
            Message::Ping(Bytes::from_static(b"ping!")),
            Message::text("fragmented")
        ]
    );
    assert_eq!(replies, vec![Message::Pong(Bytes::from_static(b"ping!"))]);
}

#[test]
fn auto_pong_can_be_turned_off() {
    let (messages, _, replies) = serve(Config::default().auto_pong(false), &client(true, 9, b"x"));
    assert_eq!(messages.len(), 1);
    assert!(replies.is_empty());
}

#[test]
fn lengths_in_all_three_forms() {
    for len in [0usize, 125, 126, 65535, 65536, 200_000] {
        let payload = vec![7u8; len];
        let (messages, error, _) = serve(Config::default(), &client(true, 2, &payload));
        assert_eq!(error, None);
        assert_eq!(messages, vec![Message::binary(payload)]);
    }
}

#[test]
fn reserved_opcodes_fail_with_1002() {
    for opcode in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        fails_with(&client(true, opcode, b""), 1002);
    }
}

#[test]
fn reserved_bits_fail_with_1002() {
    for rsv in 1..8 {
        fails_with(&raw(true, rsv, 1, KEY, b"x"), 1002);
    }
}

#[test]
fn unmasked_client_frame_fails_with_1002() {
    fails_with(&raw(true, 0, 1, None, b"hi"), 1002);
}

#[test]
fn masked_server_frame_fails_a_client() {
    let mut conn = Connection::new(Role::Client, Config::default());
    let mut input = BytesMut::from(&client(true, 1, b"hi")[..]);
    let mut out = BytesMut::new();
    assert_eq!(conn.read(&mut input, &mut out), Err(Error::MaskedFrame));
    assert_eq!(conn.state(), State::Failed);
    assert!(!out.is_empty(), "the client sends a close frame");
}

#[test]
fn oversized_or_fragmented_control_frames_fail() {
    fails_with(&client(true, 9, &[0; 126]), 1002);
    fails_with(&client(false, 9, b""), 1002);
    fails_with(&client(false, 8, b""), 1002);
    // 125 bytes is the largest allowed.
    let (_, error, _) = serve(Config::default(), &client(true, 9, &[0; 125]));
    assert_eq!(error, None);
}

#[test]
fn continuation_rules() {
    fails_with(&client(true, 0, b"orphan"), 1002);
    let mut bytes = client(false, 1, b"a");
    bytes.extend(client(true, 2, b"b"));
    fails_with(&bytes, 1002);
}

#[test]
fn close_codes_per_rfc_7_4() {
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999,
    ] {
        let (messages, error, replies) =
            serve(Config::default(), &client(true, 8, &code.to_be_bytes()));
        assert_eq!(error, None, "code {code}");
        assert_eq!(
            messages,
            vec![Message::Close(Some(CloseFrame::new(code, "")))]
        );
        assert_eq!(close_code(&replies), Some(code), "echo of {code}");
    }
    for code in [0u16, 999, 1004, 1005, 1006, 1012, 1015, 2999, 5000, 65535] {
        fails_with(&client(true, 8, &code.to_be_bytes()), 1002);
    }
}

#[test]
fn close_payload_rules() {
    fails_with(&client(true, 8, &[3]), 1002);
    let mut bad_reason = 1000u16.to_be_bytes().to_vec();
    bad_reason.extend([0xCE, 0xBA, 0xE1, 0xBD]);
    fails_with(&client(true, 8, &bad_reason), 1007);
    // An empty close is answered with an empty close.
    let (messages, _, replies) = serve(Config::default(), &client(true, 8, b""));
    assert_eq!(messages, vec![Message::Close(None)]);
    assert_eq!(replies, vec![Message::Close(None)]);
}

#[test]
fn close_between_fragments_is_answered_with_its_code() {
    let mut bytes = client(false, 1, b"half");
    bytes.extend(client(true, 8, &1000u16.to_be_bytes()));
    let (_, error, replies) = serve(Config::default(), &bytes);
    assert_eq!(error, None);
    assert_eq!(close_code(&replies), Some(1000));
}

#[test]
fn invalid_utf8_fails_before_the_frame_is_complete() {
    // A 1000-byte text frame whose 6th byte is invalid: only the first 10 bytes arrive.
    let mut payload = b"hello".to_vec();
    payload.push(0xFF);
    payload.resize(1000, b'a');
    let frame = client(true, 1, &payload);
    let (_, error, replies) = serve(Config::default(), &frame[..16]);
    assert_eq!(error, Some(Error::InvalidUtf8));
    assert_eq!(close_code(&replies), Some(1007));
}

#[test]
fn invalid_utf8_in_a_later_fragment_fails_with_1007() {
    let mut bytes = client(false, 1, "κόσμε".as_bytes());
    bytes.extend(client(false, 0, &[0xF4, 0x90, 0x80, 0x80]));
    fails_with(&bytes, 1007);
    // A code point cut across fragments is fine.
    let euro = "€".as_bytes();
    let mut bytes = client(false, 1, &euro[..1]);
    bytes.extend(client(true, 0, &euro[1..]));
    let (messages, error, _) = serve(Config::default(), &bytes);
    assert_eq!(error, None);
    assert_eq!(messages, vec![Message::text("€")]);
    // A message that ends mid code point is invalid.
    fails_with(&client(true, 1, &euro[..2]), 1007);
}

#[test]
fn limits_fail_with_1009() {
    let config = Config::default().max_frame_size(100).max_message_size(150);
    let (_, error, replies) = serve(config.clone(), &client(true, 2, &[0; 101]));
    assert!(matches!(
        error,
        Some(Error::FrameTooLarge {
            size: 101,
            max: 100
        })
    ));
    assert_eq!(close_code(&replies), Some(1009));
    let mut bytes = client(false, 2, &[0; 100]);
    bytes.extend(client(true, 0, &[0; 51]));
    let (_, error, replies) = serve(config, &bytes);
    assert_eq!(error, Some(Error::MessageTooLarge { max: 150 }));
    assert_eq!(close_code(&replies), Some(1009));
}

#[test]
fn too_large_is_refused_from_the_header_alone() {
    // Only the header of a 1 GiB frame has arrived: the limit applies before any payload.
    let mut header = BytesMut::new();
    FrameHeader {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: OpCode::Binary,
        mask: KEY,
        payload_len: 1 << 30,
    }
    .encode(&mut header);
    let (_, error, _) = serve(Config::default(), &header);
    assert!(matches!(error, Some(Error::FrameTooLarge { .. })));
}

#[test]
fn close_handshake_started_by_us() {
    let mut conn = Connection::new(Role::Server, Config::default());
    let mut out = BytesMut::new();
    conn.send(
        &Message::Close(Some(CloseFrame::new(CloseCode::NORMAL, "bye"))),
        &mut out,
    )
    .unwrap();
    assert_eq!(conn.state(), State::CloseSent);
    assert_eq!(
        conn.send(&Message::text("late"), &mut out),
        Err(Error::Closed)
    );
    // Data still arriving before the peer's close is delivered, then the close ends it.
    let mut input = BytesMut::from(&client(true, 1, b"in flight")[..]);
    input.extend_from_slice(&client(true, 8, &1000u16.to_be_bytes()));
    let sent = out.len();
    assert_eq!(
        conn.read(&mut input, &mut out),
        Ok(Some(Message::text("in flight")))
    );
    assert!(matches!(
        conn.read(&mut input, &mut out),
        Ok(Some(Message::Close(Some(_))))
    ));
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(out.len(), sent, "no second close frame");
}

#[test]
fn sending_a_reserved_close_code_is_refused() {
    let mut conn = Connection::new(Role::Server, Config::default());
    let mut out = BytesMut::new();
    let frame = CloseFrame::new(1005, "");
    assert_eq!(
        conn.send(&Message::Close(Some(frame)), &mut out),
        Err(Error::InvalidCloseCode(1005))
    );
    assert_eq!(conn.state(), State::Open);
}

#[test]
fn nothing_is_read_after_a_failure() {
    let mut bytes = client(true, 3, b"");
    bytes.extend(client(true, 1, b"after"));
    let mut conn = Connection::new(Role::Server, Config::default());
    let mut input = BytesMut::from(&bytes[..]);
    let mut out = BytesMut::new();
    assert!(conn.read(&mut input, &mut out).is_err());
    assert_eq!(conn.read(&mut input, &mut out), Ok(None));
}

#[test]
fn auto_fragmentation_of_outgoing_messages() {
    let mut conn = Connection::new(Role::Client, Config::default().fragment_size(Some(4)));
    let mut out = BytesMut::new();
    conn.send(&Message::text("abcdefghij"), &mut out).unwrap();
    let (messages, error, _) = serve(Config::default(), &out);
    assert_eq!(error, None);
    assert_eq!(messages, vec![Message::text("abcdefghij")]);
    // Three frames: 4 + 4 + 2 payload bytes, each with a 6-byte masked header.
    assert_eq!(out.len(), 3 * 6 + 10);
}

#[test]
fn prepared_messages_are_the_same_bytes_as_a_send() {
    let prepared = PreparedMessage::text("broadcast");
    let mut conn = Connection::new(Role::Server, Config::default());
    let mut direct = BytesMut::new();
    conn.send(&Message::text("broadcast"), &mut direct).unwrap();
    let mut shared = BytesMut::new();
    conn.send_prepared(&prepared, &mut shared).unwrap();
    assert_eq!(direct, shared);
}

fn arb_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        "\\PC{0,300}".prop_map(Message::text),
        proptest::collection::vec(any::<u8>(), 0..70_000).prop_map(Message::binary),
        proptest::collection::vec(any::<u8>(), 0..126).prop_map(|d| Message::Ping(d.into())),
        proptest::collection::vec(any::<u8>(), 0..126).prop_map(|d| Message::Pong(d.into())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any message sequence sent by a client is read back by a server under any
    /// split of the byte stream into reads.
    #[test]
    fn round_trip_under_any_split(
        messages in proptest::collection::vec(arb_message(), 1..6),
        fragment in proptest::option::of(1usize..200),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let mut sender = Connection::new(Role::Client, Config::default().fragment_size(fragment));
        let mut wire = BytesMut::new();
        for message in &messages {
            sender.send(message, &mut wire).unwrap();
        }
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
        points.push(wire.len());
        points.sort_unstable();
        let mut receiver = Connection::new(Role::Server, Config::default());
        let mut input = BytesMut::new();
        let mut out = BytesMut::new();
        let mut received = Vec::new();
        let mut start = 0;
        for point in points {
            input.extend_from_slice(&wire[start..point]);
            start = point;
            while let Some(message) = receiver.read(&mut input, &mut out).unwrap() {
                received.push(message);
            }
        }
        prop_assert_eq!(received, messages);
    }

    /// No input makes the reader panic, in either role.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for role in [Role::Server, Role::Client] {
            let mut conn = Connection::new(role, Config::default().max_frame_size(1 << 16));
            let mut input = BytesMut::from(&bytes[..]);
            let mut out = BytesMut::new();
            while let Ok(Some(_)) = conn.read(&mut input, &mut out) {}
        }
    }
}

#[test]
fn large_server_payloads_are_shared_not_copied() {
    let payload = Bytes::from(vec![5u8; SHARED_PAYLOAD_MIN]);
    let mut conn = Connection::new(Role::Server, Config::default());
    let mut out = BytesMut::new();
    let shared = conn
        .send_shared(&Message::Binary(payload.clone()), &mut out)
        .unwrap();
    assert_eq!(
        shared.as_ref().map(|b| b.as_ptr()),
        Some(payload.as_ptr()),
        "same bytes, no copy"
    );
    let mut wire = out.to_vec();
    wire.extend_from_slice(&payload);
    let mut direct = BytesMut::new();
    conn.send(&Message::Binary(payload), &mut direct).unwrap();
    assert_eq!(
        wire,
        direct.to_vec(),
        "header + payload is the frame `send` writes"
    );
    // Small payloads, clients (which mask) and fragmented sends are written as usual.
    let small = Message::binary(vec![1u8; 10]);
    assert_eq!(conn.send_shared(&small, &mut out), Ok(None));
    let mut client = Connection::new(Role::Client, Config::default());
    let big = Message::binary(vec![1u8; SHARED_PAYLOAD_MIN]);
    assert_eq!(client.send_shared(&big, &mut out), Ok(None));
    let mut fragmenting =
        Connection::new(Role::Server, Config::default().fragment_size(Some(1000)));
    assert_eq!(fragmenting.send_shared(&big, &mut out), Ok(None));
}

#[test]
fn large_prepared_frames_are_shared_by_servers() {
    let prepared = PreparedMessage::binary(vec![3u8; SHARED_PAYLOAD_MIN]);
    let mut conn = Connection::new(Role::Server, Config::default());
    let mut out = BytesMut::new();
    let shared = conn.send_prepared(&prepared, &mut out).unwrap();
    assert_eq!(
        shared.as_ref().map(|b| b.as_ptr()),
        Some(prepared.frame().as_ptr())
    );
    assert!(out.is_empty(), "nothing copied");
    let mut client = Connection::new(Role::Client, Config::default());
    assert_eq!(client.send_prepared(&prepared, &mut out), Ok(None));
    let (messages, error, _) = serve(Config::default(), &out);
    assert_eq!(error, None);
    assert_eq!(messages, vec![prepared.message().clone()]);
}
