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
    // Weighted so that many sessions live long enough to upgrade, and some die every way.
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..30).prop_map(Input::PollBody),
        4 => packets.prop_map(Input::PollPackets),
        12 => prop_oneof![
            3 => Just("3probe".to_owned()),
            2 => Just("2".to_owned()),
            1 => any::<String>()
        ]
        .prop_map(Input::WsText),
        1 => proptest::collection::vec(any::<u8>(), 0..8).prop_map(Input::WsBinary),
        10 => Just(Input::WsOpened),
        1 => Just(Input::WsClosed),
        1 => Just(Input::WsError),
        12 => Just(Input::PostDone),
        1 => Just(Input::PollFailed),
        10 => Just(Input::PollingPaused),
        12 => Just(Input::Send),
        1 => Just(Input::Close),
        4 => (0u64..300).prop_map(Input::Wait),
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

/// A step of a session that upgrades.
#[derive(Debug, Clone, Copy)]
enum Step {
    Send,
    PostDone,
    ServerPing,
    ServerMessage,
}

/// What left the session so far in the switch test.
#[derive(Default)]
struct Sent {
    messages: Vec<Message>,
    pongs: usize,
    upgraded: bool,
    post_in_flight: bool,
}

impl Sent {
    /// Takes every action, checking the order of transports.
    fn drain(&mut self, s: &mut ClientSession) -> Result<(), TestCaseError> {
        while let Some(action) = s.poll_action() {
            let packets = match &action {
                Action::Post(body) => {
                    prop_assert!(!self.upgraded, "a POST after the 5");
                    prop_assert!(!self.post_in_flight, "two POSTs at once");
                    self.post_in_flight = true;
                    payload::decode(body.clone(), Protocol::V4).unwrap()
                }
                Action::SendWs(WsMessage::Text(t)) => {
                    let p = Packet::decode_ws_text(t.clone(), Protocol::V4).unwrap();
                    match &p {
                        Packet::Upgrade => {
                            prop_assert!(!self.post_in_flight, "the 5 while a POST is under way");
                            self.upgraded = true;
                        }
                        Packet::Ping(_) => prop_assert!(!self.upgraded, "a probe after the 5"),
                        _ => prop_assert!(self.upgraded, "{:?} before the 5", p),
                    }
                    vec![p]
                }
                _ => Vec::new(),
            };
            for p in packets {
                match p {
                    Packet::Message(m) => self.messages.push(m),
                    Packet::Pong(_) => self.pongs += 1,
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

proptest! {
    /// However the application's sends, the POSTs' answers and the server's pings fall around
    /// the three steps of the switch, every message and every pong leaves exactly once and in
    /// order: over polling before the `5`, over the WebSocket after it.
    #[test]
    fn the_switch_loses_and_reorders_nothing(
        steps in proptest::collection::vec(
            prop_oneof![
                Just(Step::Send), Just(Step::PostDone), Just(Step::ServerPing), Just(Step::ServerMessage)
            ],
            0..30,
        ),
        marks in proptest::collection::vec(any::<prop::sample::Index>(), 3),
    ) {
        let now = Instant::now();
        let mut s = ClientSession::new(ClientOptions::default());
        s.handle_poll_body(open_body(&["websocket"], 12), now).unwrap();
        let mut marks: Vec<usize> = marks.iter().map(|m| m.index(steps.len() + 1)).collect();
        marks.sort_unstable();
        let (mut sent, mut out, mut pings) = (Vec::new(), Sent::default(), 0);
        out.drain(&mut s)?;
        for i in 0..=steps.len() {
            for (k, _) in marks.iter().enumerate().filter(|(_, m)| **m == i) {
                match k {
                    0 => s.ws_opened(),
                    1 => s.handle_ws_message(WsMessage::text("3probe"), now).unwrap(),
                    _ => s.polling_paused(),
                }
            }
            match steps.get(i) {
                Some(Step::Send) => {
                    let m = Message::text(format!("m{i}"));
                    s.send(m.clone()).unwrap();
                    sent.push(m);
                }
                Some(Step::PostDone) if out.post_in_flight => {
                    out.post_in_flight = false;
                    s.post_done();
                }
                Some(Step::ServerPing) => {
                    pings += 1;
                    // Over polling until the switch, then over the WebSocket.
                    if out.upgraded {
                        s.handle_ws_message(WsMessage::text("2"), now).unwrap();
                    } else {
                        s.handle_poll_body(Bytes::from_static(b"2"), now).unwrap();
                    }
                }
                Some(Step::ServerMessage) if !out.upgraded => {
                    s.handle_poll_body(Bytes::from_static(b"4srv\x1e6"), now).unwrap();
                }
                _ => {}
            }
            out.drain(&mut s)?;
        }
        // The POSTs still under way are answered.
        while out.post_in_flight {
            out.post_in_flight = false;
            s.post_done();
            out.drain(&mut s)?;
        }
        prop_assert!(out.upgraded);
        prop_assert_eq!(s.transport(), Some(Transport::WebSocket));
        prop_assert_eq!(out.messages, sent);
        prop_assert_eq!(out.pongs, pings);
    }
}
