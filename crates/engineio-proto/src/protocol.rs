//! Protocol revisions, as the `EIO` query parameter names them.

/// The Engine.IO protocol revision a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// Engine.IO 3 (socket.io-client 2.x): the client pings, polling payloads are
    /// length-prefixed.
    V3,
    /// Engine.IO 4 (socket.io-client 3.x and later): the server pings, polling payloads
    /// are joined by the record separator `\x1e`.
    V4,
}

impl Protocol {
    /// The revision named by an `EIO` query value (`"3"` or `"4"`).
    pub fn from_query(value: &str) -> Option<Protocol> {
        match value {
            "4" => Some(Protocol::V4),
            "3" => Some(Protocol::V3),
            _ => None,
        }
    }
}
