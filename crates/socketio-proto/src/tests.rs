//! Packet vectors as socket.io-parser 4.2 writes and reads them.

use bytes::Bytes;
use proptest::prelude::*;

use crate::*;

fn decode_one(text: &str) -> Result<Packet, Error> {
    let mut d = Decoder::default();
    d.decode(Message::text(text))
        .map(|p| p.expect("a complete packet"))
}

#[test]
fn reference_vectors_round_trip() {
    // (wire text, type, nsp, id, data)
    type Vector = (
        &'static str,
        PacketType,
        &'static str,
        Option<u64>,
        Option<&'static str>,
    );
    let vectors: &[Vector] = &[
        ("0", PacketType::Connect, "/", None, None),
        (
            r#"0{"token":"123"}"#,
            PacketType::Connect,
            "/",
            None,
            Some(r#"{"token":"123"}"#),
        ),
        (
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
            PacketType::Connect,
            "/admin",
            None,
            Some(r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#),
        ),
        ("1/admin,", PacketType::Disconnect, "/admin", None, None),
        (
            r#"2["hello",1]"#,
            PacketType::Event,
            "/",
            None,
            Some(r#"["hello",1]"#),
        ),
        (
            r#"2/admin,456["project:delete",123]"#,
            PacketType::Event,
            "/admin",
            Some(456),
            Some(r#"["project:delete",123]"#),
        ),
        (
            r#"3/admin,456[]"#,
            PacketType::Ack,
            "/admin",
            Some(456),
            Some("[]"),
        ),
        (
            r#"4{"message":"Not authorized"}"#,
            PacketType::ConnectError,
            "/",
            None,
            Some(r#"{"message":"Not authorized"}"#),
        ),
        (
            r#"4/random,{"message":"Invalid namespace"}"#,
            PacketType::ConnectError,
            "/random",
            None,
            Some(r#"{"message":"Invalid namespace"}"#),
        ),
        (
            r#"2[1,"x"]"#,
            PacketType::Event,
            "/",
            None,
            Some(r#"[1,"x"]"#),
        ),
    ];
    for &(wire, kind, nsp, id, data) in vectors {
        let p = decode_one(wire).unwrap_or_else(|e| panic!("{wire}: {e}"));
        assert_eq!(
            (p.kind, p.nsp.as_str(), p.id, p.data.as_deref()),
            (kind, nsp, id, data),
            "{wire}"
        );
        assert_eq!(p.encode_text(), wire, "re-encoding {wire}");
    }
}

#[test]
fn binary_event_and_ack() {
    let mut d = Decoder::default();
    let head = r#"52-["message",{"_placeholder":true,"num":0},{"nested":[{"_placeholder":true,"num":1}]}]"#;
    assert_eq!(d.decode(Message::text(head)).unwrap(), None);
    assert!(d.is_awaiting_attachments());
    assert_eq!(d.decode(Message::binary(vec![1])).unwrap(), None);
    let p = d.decode(Message::binary(vec![2, 3])).unwrap().unwrap();
    assert_eq!(p.kind, PacketType::Event);
    assert_eq!(
        p.attachments,
        [Bytes::from_static(&[1]), Bytes::from_static(&[2, 3])]
    );
    assert_eq!(p.wire_type(), PacketType::BinaryEvent);
    let encoded = p.encode();
    assert_eq!(encoded[0], Message::text(head));
    assert_eq!(
        encoded[1..],
        [Message::binary(vec![1]), Message::binary(vec![2, 3])]
    );

    let ack = r#"61-/admin,789[{"_placeholder":true,"num":0}]"#;
    assert_eq!(d.decode(Message::text(ack)).unwrap(), None);
    let p = d.decode(Message::binary(vec![9])).unwrap().unwrap();
    assert_eq!(
        (p.kind, p.id, p.nsp.as_str()),
        (PacketType::Ack, Some(789), "/admin")
    );
    assert_eq!(p.encode_text(), ack);
}

#[test]
fn malformed_packets_are_refused() {
    let cases: &[(&str, Error)] = &[
        ("", Error::EmptyPacket),
        ("7", Error::UnknownType(b'7')),
        ("4abc", Error::InvalidPayload),
        ("2{}", Error::InvalidPayload),
        ("2abc[\"x\"]", Error::InvalidPayload),
        ("2[]", Error::InvalidPayload),
        ("2", Error::InvalidPayload),
        (r#"2["connect"]"#, Error::ReservedEventName),
        (r#"2[{"a":1}]"#, Error::InvalidPayload),
        ("0[]", Error::InvalidPayload),
        ("1{}", Error::InvalidPayload),
        ("3{}", Error::InvalidPayload),
        (r#"2["a"] trailing"#, Error::InvalidPayload),
        ("5-[\"a\"]", Error::IllegalAttachments),
        ("50-[\"a\"]", Error::IllegalAttachments),
        ("52[\"a\"]", Error::IllegalAttachments),
        ("511-[\"a\"]", Error::TooManyAttachments(11)),
        ("299999999999999999999[\"a\"]", Error::AckIdOutOfRange),
    ];
    for (wire, error) in cases {
        assert_eq!(decode_one(wire).as_ref().err(), Some(error), "{wire}");
    }
}

#[test]
fn attachments_out_of_order_or_missing() {
    let mut d = Decoder::default();
    assert_eq!(
        d.decode(Message::binary(vec![1])),
        Err(Error::UnexpectedBinary)
    );
    d.decode(Message::text(r#"51-["a",{"_placeholder":true,"num":1}]"#))
        .unwrap();
    assert_eq!(
        d.decode(Message::binary(vec![1])),
        Err(Error::MissingAttachment)
    );
    let mut d = Decoder::default();
    d.decode(Message::text(r#"51-["a",{"_placeholder":true,"num":0}]"#))
        .unwrap();
    assert_eq!(
        d.decode(Message::text("2[\"b\"]")),
        Err(Error::UnexpectedText)
    );
}

#[test]
fn namespace_without_comma_runs_to_the_end() {
    let p = decode_one("1/chat").unwrap();
    assert_eq!(
        (p.kind, p.nsp.as_str(), p.data),
        (PacketType::Disconnect, "/chat", None)
    );
}

proptest! {
    #[test]
    fn decode_never_panics(s in ".{0,64}") {
        let _ = Decoder::default().decode(Message::text(s.as_str()));
    }

    #[test]
    fn event_round_trip(nsp in "(/[a-z]{1,8})?", id in proptest::option::of(any::<u64>()), name in "[a-z]{1,8}", arg in ".{0,20}") {
        let data = serde_json::to_string(&(name.as_str(), arg.as_str())).unwrap();
        let nsp = if nsp.is_empty() { "/".to_string() } else { nsp };
        let mut packet = Packet::event(&nsp, Utf8Bytes::from(data));
        packet.id = id;
        let back = decode_one(&packet.encode_text()).unwrap();
        prop_assert_eq!(back, packet);
    }
}
