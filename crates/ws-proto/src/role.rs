//! Which end of the connection we are.

/// The two ends of a WebSocket connection differ in masking: clients mask every
/// frame they send, servers never do (RFC 6455 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that accepted the connection.
    Server,
    /// The end that opened the connection.
    Client,
}
