//! The open packet: the session parameters the server hands the client in its first packet.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The JSON object of an open packet (`0{"sid":...}`). Field order and names are those the
/// official server writes, so peers comparing packets as strings see the same text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenPacket {
    /// The session id, repeated by the client in every later request (`sid=`).
    pub sid: String,
    /// The transports the client may upgrade to: `["websocket"]` over polling, `[]` over
    /// WebSocket.
    pub upgrades: Vec<String>,
    /// Milliseconds between the server's pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong.
    pub ping_timeout: u64,
    /// The most bytes the server accepts in one message or polling body (v3 servers may omit
    /// it).
    #[serde(default)]
    pub max_payload: u64,
}

impl OpenPacket {
    /// The open packet for a new session.
    pub fn new(
        sid: &str,
        upgrades: &[&str],
        ping_interval: Duration,
        ping_timeout: Duration,
        max_payload: usize,
    ) -> OpenPacket {
        OpenPacket {
            sid: sid.to_owned(),
            upgrades: upgrades.iter().map(|u| (*u).to_owned()).collect(),
            ping_interval: ping_interval.as_millis().try_into().unwrap_or(u64::MAX),
            ping_timeout: ping_timeout.as_millis().try_into().unwrap_or(u64::MAX),
            max_payload: max_payload.try_into().unwrap_or(u64::MAX),
        }
    }

    /// The packet's JSON text.
    pub fn to_json(&self) -> String {
        // Serialising plain strings and integers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses the data of an open packet.
    pub fn from_json(json: &str) -> Result<OpenPacket, Error> {
        serde_json::from_str(json).map_err(|e| Error::InvalidOpen(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_matches_the_reference_server() {
        let open = OpenPacket::new(
            "P1EMrirc_KY4jvkjAAAA",
            &["websocket"],
            Duration::from_secs(25),
            Duration::from_secs(20),
            1_000_000,
        );
        let json = open.to_json();
        assert_eq!(
            json,
            r#"{"sid":"P1EMrirc_KY4jvkjAAAA","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        );
        assert_eq!(OpenPacket::from_json(&json).unwrap(), open);
        assert!(matches!(
            OpenPacket::from_json("{}"),
            Err(Error::InvalidOpen(_))
        ));
    }
}
