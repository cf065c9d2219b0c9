//! The client side of Socket.IO, sans-IO: [`ClientSocket`] keeps one namespace's state (the
//! connect handshake with its recovery fields, ack ids, the offline buffer, the retry queue)
//! and [`Backoff`] spaces reconnection attempts. `duplex-socketio`'s client (feature
//! `client`) runs them over the Engine.IO client.

mod backoff;
mod socket;

pub use backoff::Backoff;
pub use socket::{ClientSocket, DEFAULT_MAX_BUFFERED, Emit, QueueSend, QueueTimeout, Received};

#[cfg(test)]
mod tests;
