//! The server side of a session: which requests a session may take, and when, as a pure
//! state machine ([`SessionState`]). The server driver keeps the state in one atomic byte
//! ([`SessionState::to_bits`]) and applies each transition with a compare-and-swap, so every
//! rule below is decided here and the driver only acts on the answer.

mod session;
#[cfg(test)]
mod tests;

pub use session::{Refusal, SessionState, Upgrade};
