//! Random sessions: whatever the server sends and the driver reports, the machine keeps its
//! promises.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use duplex_ws_proto::Message as WsMessage;
use proptest::prelude::*;

use super::tests::open_body;
use super::*;
use crate::packet::Packet;
use crate::payload;
use crate::protocol::Protocol;

/// One input of a random session.
#[derive(Debug, Clone)]
enum Input {
    PollBody(Vec<u8>),
    PollPackets(Vec<Packet>),
    WsText(String),
    WsBinary(Vec<u8>),
    WsOpened,
    WsClosed,
    WsError,
    PostDone,
    PollFailed,
    PollingPaused,
    Send,
    Close,
    Wait(u64),
}

fn input() -> impl Strategy<Value = Input> {
    let packets = proptest::collection::vec(
        crate::strategies::packet(crate::strategies::v4_text()),
        1..4,
    );
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..30).prop_map(Input::PollBody),
        packets.prop_map(Input::PollPackets),
        prop_oneof![
            Just("3probe".to_owned()),
            Just("2".to_owned()),
            any::<String>()
        ]
        .prop_map(Input::WsText),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Input::WsBinary),
        Just(Input::WsOpened),
        Just(Input::WsClosed),
        Just(Input::WsError),
        Just(Input::PostDone),
        Just(Input::PollFailed),
        Just(Input::PollingPaused),
        Just(Input::Send),
        Just(Input::Close),
        (0u64..600).prop_map(Input::Wait),
    ]
}

/// The application messages in what the driver is told to send.
fn sent_messages(action: &Action, out: &mut Vec<Message>) {
    let packets = match action {
        Action::Post(body) => payload::decode(body.clone(), Protocol::V4).unwrap(),
        Action::SendWs(WsMessage::Text(t)) => {
            vec![Packet::decode_ws_text(t.clone(), Protocol::V4).unwrap()]
        }
        Action::SendWs(WsMessage::Binary(b)) => vec![Packet::Message(Message::Binary(b.clone()))],
        _ => Vec::new(),
    };
    out.extend(packets.into_iter().filter_map(|p| match p {
        Packet::Message(m) => Some(m),
        _ => None,
    }));
}

proptest! {
    /// Whatever the server sends and whatever order the driver reports things in: no panic,
    /// one POST at a time, at most one close and nothing after it, and the application's
    /// messages leave in the order sent, none twice, none skipped.
    #[test]
    fn random_sessions_keep_their_invariants(
        start_ws in any::<bool>(),
        inputs in proptest::collection::vec(input(), 0..40),
    ) {
        let transport = if start_ws { Transport::WebSocket } else { Transport::Polling };
        let mut s = ClientSession::new(ClientOptions::default().transport(transport));
        let mut now = Instant::now();
        let (mut sent, mut out, mut post_in_flight, mut closes) = (Vec::new(), Vec::new(), false, 0);
        // Most random sessions would never open: open them half of the time.
        if start_ws {
            let open = String::from_utf8(open_body(&[], 30).to_vec()).unwrap();
            let _ = s.handle_ws_message(WsMessage::text(open), now);
        } else {
            let _ = s.handle_poll_body(open_body(&["websocket"], 30), now);
        }
        for (i, input) in inputs.into_iter().enumerate() {
            match input {
                Input::PollBody(b) => drop(s.handle_poll_body(Bytes::from(b), now)),
                Input::PollPackets(p) => {
                    let mut b = BytesMut::new();
                    payload::encode(&p, Protocol::V4, &mut b);
                    drop(s.handle_poll_body(b.freeze(), now));
                }
                Input::WsText(t) => drop(s.handle_ws_message(WsMessage::text(t), now)),
                Input::WsBinary(b) => drop(s.handle_ws_message(WsMessage::binary(b), now)),
                Input::WsOpened => s.ws_opened(),
                Input::WsClosed => s.ws_closed(),
                Input::WsError => s.ws_error(),
                Input::PostDone => {
                    post_in_flight = false;
                    s.post_done();
                }
                Input::PollFailed => s.poll_failed(),
                Input::PollingPaused => s.polling_paused(),
                Input::Send => {
                    let m = Message::text(format!("m{i}"));
                    if s.send(m.clone()).is_ok() {
                        sent.push(m);
                    }
                }
                Input::Close => s.close(),
                Input::Wait(ms) => {
                    now += Duration::from_millis(ms);
                    s.handle_timeout(now);
                }
            }
            while let Some(action) = s.poll_action() {
                if let Action::Post(_) = action {
                    prop_assert!(!post_in_flight, "a second POST before the first was answered");
                    post_in_flight = !s.is_closed();
                }
                sent_messages(&action, &mut out);
            }
            while let Some(event) = s.poll_event() {
                prop_assert_eq!(closes, 0, "an event after the close");
                if let Event::Close(_) = event {
                    closes += 1;
                    prop_assert!(s.is_closed());
                }
            }
            if let Some(deadline) = s.next_deadline() {
                prop_assert!(deadline > now);
            }
        }
        prop_assert!(out.len() <= sent.len());
        prop_assert_eq!(&out[..], &sent[..out.len()]);
    }
}
