//! Whole sessions against a scripted server and a fake clock.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use duplex_ws_proto::Message as WsMessage;

use super::*;
use crate::error::Error;
use crate::packet::{Packet, PacketType};
use crate::protocol::Protocol;
use crate::{OpenPacket, payload};

pub(super) const INTERVAL: Duration = Duration::from_millis(300);
pub(super) const TIMEOUT: Duration = Duration::from_millis(200);
const SID: &str = "lv_VI97HAXpY6yYWAAAC";

pub(super) fn open_body(upgrades: &[&str], max_payload: usize) -> Bytes {
    let open = OpenPacket::new(SID, upgrades, INTERVAL, TIMEOUT, max_payload);
    Bytes::from(format!("0{}", open.to_json()))
}

/// A session whose handshake GET was answered at `t0`.
fn opened(upgrades: &[&str], max_payload: usize, t0: Instant) -> ClientSession {
    let mut s = ClientSession::new(ClientOptions::default());
    assert!(s.wants_poll());
    assert_eq!(s.next_deadline(), None);
    s.handle_poll_body(open_body(upgrades, max_payload), t0)
        .unwrap();
    assert_eq!(events(&mut s), [Event::Open]);
    s
}

fn actions(s: &mut ClientSession) -> Vec<Action> {
    std::iter::from_fn(|| s.poll_action()).collect()
}

fn events(s: &mut ClientSession) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn post(body: &'static [u8]) -> Action {
    Action::Post(Bytes::from_static(body))
}

fn ws(text: &'static str) -> Action {
    Action::SendWs(WsMessage::text(text))
}

fn body(b: &'static [u8]) -> Bytes {
    Bytes::from_static(b)
}

#[test]
fn polling_session_from_open_to_ping_timeout() {
    let t0 = Instant::now();
    let mut s = opened(&[], 16, t0);
    assert_eq!(s.sid(), Some(SID));
    assert!(s.is_open() && !s.is_upgrading() && s.wants_poll());
    assert_eq!(s.transport(), Some(Transport::Polling));
    assert_eq!(s.next_deadline(), Some(t0 + INTERVAL + TIMEOUT));
    assert_eq!(actions(&mut s), [], "no upgrade offered, nothing to send");

    // Each ping is answered with a pong and pushes the deadline back.
    let t1 = t0 + INTERVAL;
    s.handle_poll_body(body(b"2"), t1).unwrap();
    assert_eq!(actions(&mut s), [post(b"3")]);
    assert_eq!(s.next_deadline(), Some(t1 + INTERVAL + TIMEOUT));
    s.post_done();

    // The reference vector "text, binary and a ping", both ways.
    s.handle_poll_body(body(b"4hello\x1ebAQIDBA==\x1e2"), t1)
        .unwrap();
    assert_eq!(
        events(&mut s),
        [
            Event::Message(Message::text("hello")),
            Event::Message(Message::binary(vec![1, 2, 3, 4]))
        ]
    );
    s.send("hello").unwrap();
    s.send(vec![1u8, 2, 3, 4]).unwrap();
    // The pong queued before them goes first; 8 bytes fit the limit of 16, with the third
    // record 18 would not.
    assert_eq!(s.poll_action(), Some(post(b"3\x1e4hello")));
    assert_eq!(s.poll_action(), None, "one POST at a time");
    s.post_done();
    let mut expected = BytesMut::new();
    payload::encode(
        &[Packet::Message(Message::binary(vec![1, 2, 3, 4]))],
        Protocol::V4,
        &mut expected,
    );
    assert_eq!(actions(&mut s), [Action::Post(expected.freeze())]);
    s.post_done();

    // maxPayload splits a burst into several POSTs, in order.
    for _ in 0..3 {
        s.send("abcdef").unwrap();
    }
    assert_eq!(actions(&mut s), [post(b"4abcdef\x1e4abcdef")]);
    s.post_done();
    assert_eq!(actions(&mut s), [post(b"4abcdef")]);
    s.post_done();

    // Silence: the session dies pingInterval + pingTimeout after the last packet.
    let deadline = t1 + INTERVAL + TIMEOUT;
    s.handle_timeout(deadline - Duration::from_millis(1));
    assert!(s.is_open());
    s.handle_timeout(deadline);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::PingTimeout)]);
    assert_eq!(s.close_reason(), Some(CloseReason::PingTimeout));
    assert_eq!(CloseReason::PingTimeout.to_string(), "ping timeout");
    assert!(s.is_closed() && !s.wants_poll());
    assert_eq!(s.next_deadline(), None);
    assert_eq!(s.send("late"), Err(Message::text("late")));
    s.handle_poll_body(body(b"4ignored"), deadline).unwrap();
    assert_eq!(events(&mut s), []);
    assert_eq!(actions(&mut s), []);
}

#[test]
fn any_packet_counts_as_life() {
    let t0 = Instant::now();
    let mut s = opened(&[], 0, t0);
    let t1 = t0 + INTERVAL;
    s.handle_poll_body(body(b"6"), t1).unwrap();
    s.handle_timeout(t0 + INTERVAL + TIMEOUT);
    assert!(s.is_open());
    assert_eq!(s.next_deadline(), Some(t1 + INTERVAL + TIMEOUT));
}

#[test]
fn server_close_ends_the_session_mid_body() {
    let t0 = Instant::now();
    let mut s = opened(&[], 0, t0);
    s.send("queued").unwrap();
    s.handle_poll_body(body(b"4a\x1e1\x1e4b"), t0).unwrap();
    assert_eq!(
        events(&mut s),
        [
            Event::Message(Message::text("a")),
            Event::Close(CloseReason::TransportClose)
        ]
    );
    assert_eq!(actions(&mut s), [], "queued packets die with the session");
}

#[test]
fn forced_close_waits_for_the_queue_then_posts_close() {
    let t0 = Instant::now();
    let mut s = opened(&[], 0, t0);
    s.send("last words").unwrap();
    assert_eq!(actions(&mut s), [post(b"4last words")]);
    s.close();
    assert!(!s.is_closed());
    assert_eq!(s.send("too late"), Err(Message::text("too late")));
    s.post_done();
    assert_eq!(actions(&mut s), [post(b"1")]);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);

    // Before the handshake nothing is sent: the server has no session yet.
    let mut s = ClientSession::new(ClientOptions::default());
    s.close();
    assert_eq!(actions(&mut s), []);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
}

#[test]
fn broken_server_input_is_a_transport_error() {
    let t0 = Instant::now();
    let cases: [(&'static [u8], Error); 4] = [
        (b"4hello", Error::UnexpectedPacket(PacketType::Message)),
        (b"0{}", Error::InvalidOpen(String::new())),
        (b"", Error::EmptyPacket),
        (b"0\xff", Error::InvalidUtf8),
    ];
    for (input, expected) in cases {
        let mut s = ClientSession::new(ClientOptions::default());
        let err = s.handle_poll_body(body(input), t0).unwrap_err();
        assert_eq!(
            std::mem::discriminant(&err),
            std::mem::discriminant(&expected)
        );
        assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
    }
    let mut s = opened(&[], 0, t0);
    let second_open = s.handle_poll_body(open_body(&[], 0), t0);
    assert_eq!(second_open, Err(Error::UnexpectedPacket(PacketType::Open)));
    assert_eq!(s.close_reason(), Some(CloseReason::TransportError));

    let mut s = opened(&[], 0, t0);
    s.poll_failed();
    assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
}

#[test]
fn upgrade_keeps_queued_packets_in_order() {
    let t0 = Instant::now();
    let mut s = opened(&["websocket"], 0, t0);
    assert_eq!(actions(&mut s), [Action::OpenWebSocket]);
    assert!(s.is_upgrading() && s.wants_poll());
    s.ws_opened();
    assert_eq!(actions(&mut s), [ws("2probe")]);

    // Until the probe answers, polling carries the session.
    s.send("before").unwrap();
    assert_eq!(actions(&mut s), [post(b"4before")]);
    s.send("during").unwrap();
    s.handle_ws_message(WsMessage::text("3probe"), t0).unwrap();
    assert_eq!(actions(&mut s), [Action::PausePolling]);
    assert!(!s.wants_poll());

    // The GET under way returns (the server releases it with a noop) with a ping, whose
    // pong queues behind "during"; the POST under way is still unanswered.
    s.handle_poll_body(body(b"2\x1e6"), t0).unwrap();
    s.polling_paused();
    assert_eq!(actions(&mut s), [], "the switch waits for the POST");
    assert_eq!(s.transport(), Some(Transport::Polling));
    s.post_done();
    assert_eq!(events(&mut s), [Event::Upgrade]);
    assert_eq!(s.transport(), Some(Transport::WebSocket));
    assert!(!s.is_upgrading() && !s.wants_poll());
    assert_eq!(actions(&mut s), [ws("5"), ws("4during"), ws("3")]);

    // From now on the WebSocket carries everything, binary in binary frames.
    s.send(vec![9u8]).unwrap();
    assert_eq!(
        actions(&mut s),
        [Action::SendWs(WsMessage::binary(vec![9]))]
    );
    s.handle_ws_message(WsMessage::text("4x"), t0).unwrap();
    s.handle_ws_message(WsMessage::binary(vec![7]), t0).unwrap();
    s.handle_ws_message(WsMessage::Ping(Bytes::new()), t0)
        .unwrap();
    assert_eq!(
        events(&mut s),
        [
            Event::Message(Message::text("x")),
            Event::Message(Message::binary(vec![7]))
        ]
    );
    s.ws_closed();
    assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportClose)]);
    assert_eq!(actions(&mut s), [Action::CloseWebSocket]);
}

#[test]
fn a_failed_probe_keeps_polling() {
    let t0 = Instant::now();
    // A wrong answer: the probe WebSocket is closed.
    let mut s = opened(&["websocket"], 0, t0);
    s.ws_opened();
    let _ = actions(&mut s);
    s.handle_ws_message(WsMessage::text("3nope"), t0).unwrap();
    assert_eq!(events(&mut s), [Event::UpgradeError]);
    assert_eq!(actions(&mut s), [Action::CloseWebSocket]);
    assert!(s.is_open() && !s.is_upgrading() && s.wants_poll());
    s.send("still here").unwrap();
    assert_eq!(actions(&mut s), [post(b"4still here")]);

    // A WebSocket that fails to connect.
    let mut s = opened(&["websocket"], 0, t0);
    let _ = actions(&mut s);
    s.ws_error();
    assert_eq!(events(&mut s), [Event::UpgradeError]);
    assert_eq!(actions(&mut s), []);
    assert_eq!(s.transport(), Some(Transport::Polling));

    // A WebSocket that dies while polling pauses: polling resumes.
    let mut s = opened(&["websocket"], 0, t0);
    s.ws_opened();
    s.handle_ws_message(WsMessage::text("3probe"), t0).unwrap();
    let _ = actions(&mut s);
    s.send("queued").unwrap();
    s.ws_closed();
    assert_eq!(events(&mut s), [Event::UpgradeError]);
    assert!(s.wants_poll());
    assert_eq!(actions(&mut s), [post(b"4queued")]);
    s.polling_paused();
    assert_eq!(
        s.transport(),
        Some(Transport::Polling),
        "a late pause is moot"
    );

    // Without the upgrade option nothing is probed.
    let mut s = ClientSession::new(ClientOptions::default().upgrade(false));
    s.handle_poll_body(open_body(&["websocket"], 0), t0)
        .unwrap();
    assert_eq!(actions(&mut s), []);
}

#[test]
fn close_during_the_switch_waits_for_it() {
    let t0 = Instant::now();
    let mut s = opened(&["websocket"], 0, t0);
    s.ws_opened();
    s.handle_ws_message(WsMessage::text("3probe"), t0).unwrap();
    let _ = actions(&mut s);
    s.send("m").unwrap();
    s.close();
    s.polling_paused();
    assert_eq!(actions(&mut s), [ws("5"), ws("4m"), Action::CloseWebSocket]);
    assert_eq!(
        events(&mut s),
        [Event::Upgrade, Event::Close(CloseReason::ForcedClose)]
    );
}

#[test]
fn websocket_from_the_start() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(ClientOptions::default().transport(Transport::WebSocket));
    assert!(!s.wants_poll());
    s.send("early").unwrap();
    assert_eq!(actions(&mut s), [], "nothing goes before the handshake");
    let open = OpenPacket::new(SID, &[], INTERVAL, TIMEOUT, 0).to_json();
    s.handle_ws_message(WsMessage::text(format!("0{open}")), t0)
        .unwrap();
    assert_eq!(events(&mut s), [Event::Open]);
    assert_eq!(actions(&mut s), [ws("4early")]);
    s.handle_ws_message(WsMessage::text("2"), t0).unwrap();
    assert_eq!(actions(&mut s), [ws("3")]);
    assert_eq!(
        s.handle_ws_message(WsMessage::text("9"), t0),
        Err(Error::UnknownType(b'9'))
    );
    assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
    assert_eq!(actions(&mut s), [Action::CloseWebSocket]);
}

#[test]
fn absurd_heartbeat_values_do_not_overflow() {
    let t0 = Instant::now();
    let mut s = ClientSession::new(ClientOptions::default());
    let open = format!(
        r#"0{{"sid":"x","upgrades":[],"pingInterval":{0},"pingTimeout":{0},"maxPayload":{0}}}"#,
        u64::MAX
    );
    s.handle_poll_body(Bytes::from(open), t0).unwrap();
    s.send("a").unwrap();
    s.send("b").unwrap();
    assert_eq!(actions(&mut s), [post(b"4a\x1e4b")]);
    s.handle_timeout(t0 + Duration::from_secs(1 << 40));
    assert!(s.is_open());
}
