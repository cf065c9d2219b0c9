use super::*;
use crate::{Packet, PacketType, Utf8Bytes};

fn event(json: &str) -> Packet {
    Packet::event("/", Utf8Bytes::from(json.to_owned()))
}

fn connect_answer(sid: &str, pid: Option<&str>) -> Packet {
    let data = match pid {
        Some(pid) => format!(r#"{{"sid":"{sid}","pid":"{pid}"}}"#),
        None => format!(r#"{{"sid":"{sid}"}}"#),
    };
    Packet::connect("/", Some(Utf8Bytes::from(data)))
}

fn ack(id: u64) -> Packet {
    Packet::ack("/", id, Utf8Bytes::from_static("[1]"))
}

fn connected(socket: &mut ClientSocket<&'static str>, pid: Option<&str>) -> Received<&'static str> {
    socket.connect(None);
    socket.receive(connect_answer("s1", pid))
}

#[test]
fn emits_while_disconnected_are_buffered_in_order_and_flushed_on_connect() {
    let mut socket = ClientSocket::<&str>::new("/", 2, None);
    assert_eq!(socket.emit(event(r#"["a"]"#), false), Ok(Emit::Buffered));
    assert_eq!(socket.emit(event(r#"["v"]"#), true), Ok(Emit::Dropped));
    assert_eq!(socket.emit(event(r#"["b"]"#), false), Ok(Emit::Buffered));
    assert!(socket.emit(event(r#"["c"]"#), false).is_err(), "bounded");
    let Received::Connected {
        sid,
        flush,
        recovered,
        queued,
        ..
    } = connected(&mut socket, None)
    else {
        panic!("not connected");
    };
    assert_eq!(sid, "s1");
    assert!(!recovered);
    assert_eq!(queued, None);
    let names: Vec<_> = flush.iter().map(|p| p.event_name().unwrap()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(
        socket.emit(event(r#"["d"]"#), false),
        Ok(Emit::Send(event(r#"["d"]"#)))
    );
}

#[test]
fn acks_of_sent_packets_fail_on_close_buffered_ones_wait() {
    let mut socket = ClientSocket::new("/", 8, None);
    connected(&mut socket, None);
    let sent = socket.register_ack("sent");
    socket.emit(event(r#"["x"]"#).with_id(sent), false).unwrap();
    assert_eq!(socket.on_close(), ["sent"]);
    let buffered = socket.register_ack("buffered");
    assert_eq!(
        socket.emit(event(r#"["y"]"#).with_id(buffered), false),
        Ok(Emit::Buffered)
    );
    assert!(socket.on_close().is_empty());
    connected(&mut socket, None);
    match socket.receive(ack(buffered)) {
        Received::Ack { answer, next, .. } => {
            assert_eq!(answer, "buffered");
            assert_eq!(next, None);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(socket.receive(ack(buffered)), Received::Ignored));
}

#[test]
fn a_forgotten_ack_ignores_its_late_answer() {
    let mut socket = ClientSocket::new("/", 8, None);
    connected(&mut socket, None);
    let id = socket.register_ack("a");
    assert_eq!(socket.forget_ack(id), Some("a"));
    assert!(matches!(socket.receive(ack(id)), Received::Ignored));
}

#[test]
fn recovery_sends_pid_and_the_last_offset_and_reports_recovered() {
    let mut socket = ClientSocket::<()>::new("/chat", 8, None);
    let first = socket.connect(Some(serde_json::json!({"token": "t"})));
    assert_eq!(first.encode_text(), r#"0/chat,{"token":"t"}"#);
    let answer = Packet::connect(
        "/chat",
        Some(Utf8Bytes::from_static(r#"{"sid":"a","pid":"p"}"#)),
    );
    assert!(matches!(
        socket.receive(answer),
        Received::Connected {
            recovered: false,
            ..
        }
    ));
    let with_offset = Packet::event("/chat", Utf8Bytes::from_static(r#"["m",1,"off-1"]"#));
    assert!(matches!(socket.receive(with_offset), Received::Event(_)));
    // A last argument that is not a string leaves the offset as it was.
    let plain = Packet::event("/chat", Utf8Bytes::from_static(r#"["m",2]"#));
    socket.receive(plain);
    socket.on_close();
    let again = socket.connect(Some(serde_json::json!({"token": "t"})));
    let data: serde_json::Value = serde_json::from_str(again.data.as_deref().unwrap()).unwrap();
    assert_eq!(
        data,
        serde_json::json!({"pid": "p", "offset": "off-1", "token": "t"})
    );
    let answer = Packet::connect(
        "/chat",
        Some(Utf8Bytes::from_static(r#"{"sid":"a","pid":"p"}"#)),
    );
    assert!(matches!(
        socket.receive(answer),
        Received::Connected {
            recovered: true,
            ..
        }
    ));
    assert!(socket.recovered());
}

#[test]
fn refusal_carries_message_and_data() {
    let mut socket = ClientSocket::<()>::new("/auth", 8, None);
    socket.connect(None);
    let refusal = Packet::connect_error(
        "/auth",
        Utf8Bytes::from_static(r#"{"message":"not authorized","data":{"code":401}}"#),
    );
    match socket.receive(refusal) {
        Received::Refused { message, data } => {
            assert_eq!(message, "not authorized");
            assert_eq!(data, Some(serde_json::json!({"code": 401})));
        }
        other => panic!("{other:?}"),
    }
    assert!(!socket.is_connected());
}

#[test]
fn server_disconnect_fails_sent_acks_and_events_after_it_are_ignored() {
    let mut socket = ClientSocket::new("/", 8, None);
    connected(&mut socket, None);
    let id = socket.register_ack("x");
    socket.emit(event(r#"["x"]"#).with_id(id), false).unwrap();
    match socket.receive(Packet::disconnect("/")) {
        Received::Disconnected { failed } => assert_eq!(failed, ["x"]),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        socket.receive(event(r#"["late"]"#)),
        Received::Ignored
    ));
    let (packet, failed) = socket.disconnect();
    assert_eq!(packet, None, "already disconnected");
    assert!(failed.is_empty());
}

#[test]
fn the_retry_queue_sends_one_at_a_time_with_the_same_id_on_every_try() {
    let mut socket = ClientSocket::new("/", 8, Some(1));
    assert_eq!(socket.enqueue(event(r#"["a"]"#), "a"), Ok(None), "offline");
    let Received::Connected {
        queued: Some(a), ..
    } = connected(&mut socket, None)
    else {
        panic!("head not sent on connect");
    };
    assert_eq!((a.id, a.attempt), (0, 1));
    assert_eq!(
        socket.enqueue(event(r#"["b"]"#), "b"),
        Ok(None),
        "one in flight"
    );
    // Try 1 times out: resent with the same id.
    let QueueTimeout::Resend(again) = socket.queue_timeout(0, 1) else {
        panic!("not resent");
    };
    assert_eq!((again.id, again.attempt), (0, 2));
    assert_eq!(again.packet.encode_text(), r#"20["a"]"#);
    assert!(matches!(socket.queue_timeout(0, 1), QueueTimeout::Stale));
    // Try 2 times out too: one retry only, so `a` fails and `b` goes.
    let QueueTimeout::GaveUp {
        answer,
        next: Some(b),
    } = socket.queue_timeout(0, 2)
    else {
        panic!("did not give up");
    };
    assert_eq!(answer, "a");
    assert_eq!((b.id, b.attempt), (1, 1));
    // A lost connection resends `b` on reconnection, with the same id.
    assert!(socket.on_close().is_empty());
    let Received::Connected {
        queued: Some(b2), ..
    } = connected(&mut socket, None)
    else {
        panic!("head not resent");
    };
    assert_eq!((b2.id, b2.attempt), (1, 2));
    match socket.receive(ack(1)) {
        Received::Ack { answer, next, .. } => {
            assert_eq!(answer, "b");
            assert_eq!(next, None);
        }
        other => panic!("{other:?}"),
    }
    // Answered: its timeout is stale.
    assert!(matches!(socket.queue_timeout(1, 2), QueueTimeout::Stale));
}

#[test]
fn packets_of_the_wrong_kind_are_ignored() {
    let mut socket = ClientSocket::<()>::new("/", 8, None);
    assert!(matches!(
        socket.receive(event(r#"["early"]"#)),
        Received::Ignored
    ));
    let bad = Packet::connect("/", Some(Utf8Bytes::from_static(r#"{"nosid":1}"#)));
    assert!(matches!(socket.receive(bad), Received::Ignored));
    assert_eq!(socket.sid(), None);
    let mut socket = ClientSocket::<()>::new("/", 8, None);
    connected_unit(&mut socket);
    assert_eq!(socket.sid(), Some("s1"));
    assert_eq!(PacketType::Connect, socket.connect(None).kind);
}

fn connected_unit(socket: &mut ClientSocket<()>) {
    socket.connect(None);
    socket.receive(connect_answer("s1", None));
}

#[test]
fn events_before_the_connect_answer_are_delivered_with_it() {
    let mut socket = ClientSocket::<()>::new("/", 8, None);
    socket.connect(None);
    // A recovering server sends the missed packets before its CONNECT answer.
    let early = Packet::event("/", Utf8Bytes::from_static(r#"["missed",1,"off-9"]"#));
    assert!(matches!(socket.receive(early.clone()), Received::Ignored));
    let answer = Packet::connect(
        "/",
        Some(Utf8Bytes::from_static(r#"{"sid":"a","pid":"p"}"#)),
    );
    match socket.receive(answer) {
        Received::Connected { events, .. } => assert_eq!(events, [early]),
        other => panic!("{other:?}"),
    }
    // Not kept across a lost connection.
    socket.on_close();
    socket.connect(None);
    socket.receive(Packet::event("/", Utf8Bytes::from_static(r#"["x"]"#)));
    socket.on_close();
    socket.connect(None);
    match socket.receive(connect_answer("b", None)) {
        Received::Connected { events, .. } => assert!(events.is_empty()),
        other => panic!("{other:?}"),
    }
}
