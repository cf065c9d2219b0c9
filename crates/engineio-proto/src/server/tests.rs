//! The session rules one by one, then every reachable state against a naive model, then random
//! sequences of events.

use std::collections::{HashSet, VecDeque};

use proptest::prelude::*;

use super::{Refusal, SessionState, Upgrade};

/// Everything that can happen to a session, as the driver reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    BeginPoll,
    EndPoll,
    BeginPost,
    EndPost,
    BeginProbe,
    ProbeAnswered,
    AbortProbe,
    FinishUpgrade,
    Close,
}

const EVENTS: [Event; 9] = [
    Event::BeginPoll,
    Event::EndPoll,
    Event::BeginPost,
    Event::EndPost,
    Event::BeginProbe,
    Event::ProbeAnswered,
    Event::AbortProbe,
    Event::FinishUpgrade,
    Event::Close,
];

fn apply(state: SessionState, event: Event) -> Result<SessionState, Refusal> {
    match event {
        Event::BeginPoll => state.begin_poll(),
        Event::EndPoll => Ok(state.end_poll()),
        Event::BeginPost => state.begin_post(),
        Event::EndPost => Ok(state.end_post()),
        Event::BeginProbe => state.begin_probe(),
        Event::ProbeAnswered => state.probe_answered(),
        Event::AbortProbe => Ok(state.abort_probe()),
        Event::FinishUpgrade => state.finish_upgrade(),
        Event::Close => Ok(state.close()),
    }
}

/// The oracle: the same rules over plain fields, one `if` per rule of the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Model {
    websocket: bool,
    upgrade: Upgrade,
    poll: bool,
    post: bool,
    closed: bool,
}

impl Model {
    fn of(state: SessionState) -> Model {
        Model {
            websocket: state.is_websocket(),
            upgrade: state.upgrade(),
            poll: state.is_poll_pending(),
            post: state.is_post_pending(),
            closed: state.is_closed(),
        }
    }

    fn apply(mut self, event: Event) -> Result<Model, Refusal> {
        let polling_only = matches!(
            event,
            Event::BeginPoll
                | Event::BeginPost
                | Event::BeginProbe
                | Event::ProbeAnswered
                | Event::FinishUpgrade
        );
        if self.websocket && polling_only {
            return Err(Refusal::NotPolling);
        }
        match event {
            Event::BeginPoll if self.poll => return Err(Refusal::OverlappingPoll),
            Event::BeginPoll => self.poll = true,
            Event::EndPoll => self.poll = false,
            Event::BeginPost if self.post => return Err(Refusal::OverlappingPost),
            Event::BeginPost => self.post = true,
            Event::EndPost => self.post = false,
            Event::BeginProbe if self.closed => return Err(Refusal::Closed),
            Event::BeginProbe if self.upgrade != Upgrade::Idle => {
                return Err(Refusal::ProbeUnderway);
            }
            Event::BeginProbe => self.upgrade = Upgrade::Probing,
            Event::ProbeAnswered if self.upgrade != Upgrade::Probing => {
                return Err(Refusal::OutOfOrder);
            }
            Event::ProbeAnswered => self.upgrade = Upgrade::Probed,
            Event::AbortProbe => self.upgrade = Upgrade::Idle,
            Event::FinishUpgrade if self.upgrade != Upgrade::Probed => {
                return Err(Refusal::OutOfOrder);
            }
            Event::FinishUpgrade => {
                self.websocket = true;
                self.upgrade = Upgrade::Idle;
            }
            Event::Close => self.closed = true,
        }
        Ok(self)
    }
}

/// Every state reachable from the two starting states, by any events.
fn reachable() -> HashSet<SessionState> {
    let mut seen = HashSet::from([SessionState::polling(), SessionState::websocket()]);
    let mut queue: VecDeque<SessionState> = seen.iter().copied().collect();
    while let Some(state) = queue.pop_front() {
        for event in EVENTS {
            if let Ok(next) = apply(state, event) {
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
    }
    seen
}

/// The promises of the module docs that hold in every reachable state.
fn assert_invariants(state: SessionState) {
    assert!(
        !(state.is_websocket() && state.upgrade() != Upgrade::Idle),
        "a WebSocket session has no upgrade: {state:?}"
    );
    assert_eq!(SessionState::from_bits(state.to_bits()), state);
}

fn open_polling() -> SessionState {
    SessionState::polling()
}

fn probed() -> SessionState {
    open_polling()
        .begin_probe()
        .and_then(SessionState::probe_answered)
        .unwrap()
}

#[test]
fn a_new_session_has_nothing_under_way() {
    for (state, websocket) in [
        (SessionState::polling(), false),
        (SessionState::websocket(), true),
    ] {
        assert_eq!(state.is_websocket(), websocket);
        assert_eq!(state.upgrade(), Upgrade::Idle);
        assert!(!state.is_poll_pending() && !state.is_post_pending() && !state.is_closed());
    }
}

#[test]
fn a_second_poll_or_post_is_refused_and_ends_the_session() {
    let polled = open_polling().begin_poll().unwrap();
    assert!(polled.is_poll_pending());
    assert_eq!(polled.begin_poll(), Err(Refusal::OverlappingPoll));
    let posted = polled.begin_post().unwrap();
    assert!(posted.is_post_pending() && posted.is_poll_pending());
    assert_eq!(posted.begin_post(), Err(Refusal::OverlappingPost));
    assert!(Refusal::OverlappingPoll.closes_session());
    assert!(Refusal::OverlappingPost.closes_session());
    let done = posted.end_poll().end_post();
    assert_eq!(done, open_polling());
    assert!(done.begin_poll().is_ok() && done.begin_post().is_ok());
}

#[test]
fn polls_and_posts_are_refused_once_websocket_carries_the_session() {
    let upgraded = probed().finish_upgrade().unwrap();
    for state in [SessionState::websocket(), upgraded] {
        assert_eq!(state.begin_poll(), Err(Refusal::NotPolling));
        assert_eq!(state.begin_post(), Err(Refusal::NotPolling));
        assert_eq!(state.begin_probe(), Err(Refusal::NotPolling));
        assert!(!Refusal::NotPolling.closes_session());
    }
}

#[test]
fn one_probe_at_a_time_and_none_after_the_close() {
    let probing = open_polling().begin_probe().unwrap();
    assert_eq!(probing.upgrade(), Upgrade::Probing);
    assert_eq!(probing.begin_probe(), Err(Refusal::ProbeUnderway));
    assert_eq!(probed().begin_probe(), Err(Refusal::ProbeUnderway));
    assert_eq!(open_polling().close().begin_probe(), Err(Refusal::Closed));
    assert!(!Refusal::ProbeUnderway.closes_session() && !Refusal::Closed.closes_session());
}

#[test]
fn the_upgrade_goes_probe_then_answer_then_switch_and_never_back() {
    assert_eq!(open_polling().probe_answered(), Err(Refusal::OutOfOrder));
    assert_eq!(open_polling().finish_upgrade(), Err(Refusal::OutOfOrder));
    let probing = open_polling().begin_probe().unwrap();
    assert_eq!(probing.finish_upgrade(), Err(Refusal::OutOfOrder));
    assert_eq!(probed().probe_answered(), Err(Refusal::OutOfOrder));
    let upgraded = probed().finish_upgrade().unwrap();
    assert!(upgraded.is_websocket());
    assert_eq!(upgraded.upgrade(), Upgrade::Idle);
    assert_eq!(upgraded.abort_probe(), upgraded);
    assert_eq!(upgraded.finish_upgrade(), Err(Refusal::NotPolling));
}

#[test]
fn an_aborted_probe_leaves_the_session_polling_and_free_to_probe_again() {
    for state in [open_polling().begin_probe().unwrap(), probed()] {
        let aborted = state.abort_probe();
        assert_eq!(aborted, open_polling());
        assert!(aborted.begin_probe().is_ok());
    }
}

#[test]
fn a_poll_pending_across_the_switch_stays_pending_until_answered() {
    let upgraded = probed()
        .begin_poll()
        .and_then(SessionState::finish_upgrade)
        .unwrap();
    assert!(upgraded.is_websocket() && upgraded.is_poll_pending());
    assert!(!upgraded.end_poll().is_poll_pending());
}

#[test]
fn a_closed_session_takes_polls_and_posts_and_lets_a_begun_probe_finish() {
    let closed = open_polling().close();
    assert!(closed.is_closed());
    assert!(closed.begin_poll().is_ok() && closed.begin_post().is_ok());
    let upgraded = open_polling()
        .begin_probe()
        .map(SessionState::close)
        .and_then(SessionState::probe_answered)
        .and_then(SessionState::finish_upgrade)
        .unwrap();
    assert!(upgraded.is_websocket() && upgraded.is_closed());
    assert_eq!(upgraded.close(), upgraded);
}

#[test]
fn every_reachable_state_follows_the_model_and_keeps_its_promises() {
    let states = reachable();
    // Polling: 3 upgrade stages × GET × POST × closed; WebSocket: GET × POST × closed.
    assert_eq!(states.len(), 3 * 8 + 8);
    for state in states {
        assert_invariants(state);
        for event in EVENTS {
            let next = apply(state, event);
            assert_eq!(
                next.map(Model::of),
                Model::of(state).apply(event),
                "{event:?} on {state:?}"
            );
            if let Ok(next) = next {
                assert!(next.is_closed() || !state.is_closed(), "{event:?} reopened");
                assert!(
                    next.is_websocket() || !state.is_websocket(),
                    "{event:?} went back"
                );
            }
        }
    }
}

#[test]
fn every_byte_reads_as_a_state_that_round_trips() {
    let states = reachable();
    for bits in 0..=u8::MAX {
        let state = SessionState::from_bits(bits);
        assert_eq!(
            SessionState::from_bits(state.to_bits()),
            state,
            "{bits:#010b}"
        );
        assert!(states.contains(&state), "{bits:#010b} reads as {state:?}");
    }
}

fn event() -> impl Strategy<Value = Event> {
    proptest::sample::select(EVENTS.to_vec())
}

proptest! {
    /// Random event sequences: no panic, the model agrees at every step, a refusal changes
    /// nothing, and the closed and WebSocket states are never left.
    #[test]
    fn random_sequences_follow_the_model(
        websocket in any::<bool>(),
        events in proptest::collection::vec(event(), 0..64),
    ) {
        let mut state = if websocket { SessionState::websocket() } else { SessionState::polling() };
        let mut model = Model::of(state);
        for event in events {
            let before = state;
            let expected = model.apply(event);
            match apply(state, event) {
                Ok(next) => {
                    prop_assert_eq!(Ok(Model::of(next)), expected);
                    state = next;
                    model = Model::of(next);
                }
                Err(refusal) => prop_assert_eq!(Err(refusal), expected),
            }
            assert_invariants(state);
            prop_assert!(state.is_closed() || !before.is_closed());
            prop_assert!(state.is_websocket() || !before.is_websocket());
            if state.upgrade() == Upgrade::Probing && before.upgrade() == Upgrade::Idle {
                prop_assert!(!before.is_closed(), "a probe began after the close");
            }
        }
    }
}
