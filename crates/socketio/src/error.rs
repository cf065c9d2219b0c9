//! Errors of the Socket.IO server API, one type per operation.

use serde::Serialize;

/// Why an emit was not queued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The arguments could not be serialized.
    #[error("arguments not serializable: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The connection's outgoing queue is full (the client does not keep up).
    #[error("the outgoing queue is full")]
    Full,
    /// The socket is disconnected.
    #[error("the socket is disconnected")]
    Disconnected,
}

/// Why an acknowledgement did not arrive as expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AckError {
    /// The emit itself failed.
    #[error(transparent)]
    Send(#[from] SendError),
    /// No answer within the timeout.
    #[error("no acknowledgement within the timeout")]
    Timeout,
    /// The socket disconnected before answering.
    #[error("the socket disconnected before acknowledging")]
    Disconnected,
    /// The answer did not deserialize into the expected type.
    #[error("acknowledgement of an unexpected shape: {0}")]
    Decode(serde_json::Error),
}

/// A refusal from a namespace middleware: the client gets `connect_error` with this message
/// and data.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectError {
    /// Shown as `err.message` by socket.io-client.
    pub message: String,
    /// Shown as `err.data`.
    pub data: Option<serde_json::Value>,
}

impl ConnectError {
    /// A refusal with `message`.
    pub fn new(message: impl Into<String>) -> ConnectError {
        ConnectError {
            message: message.into(),
            data: None,
        }
    }

    /// With `data` for the client.
    pub fn with_data(mut self, data: impl Serialize) -> ConnectError {
        self.data = serde_json::to_value(data).ok();
        self
    }

    /// The CONNECT_ERROR payload.
    pub(crate) fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Payload<'a> {
            message: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            data: Option<&'a serde_json::Value>,
        }
        serde_json::to_string(&Payload {
            message: &self.message,
            data: self.data.as_ref(),
        })
        .unwrap_or_else(|_| r#"{"message":"refused"}"#.to_owned())
    }
}

impl<E: std::fmt::Display> From<E> for ConnectError {
    fn from(error: E) -> Self {
        ConnectError::new(error.to_string())
    }
}

impl From<duplex_engineio::BatchError> for SendError {
    fn from(error: duplex_engineio::BatchError) -> SendError {
        match error {
            duplex_engineio::BatchError::Full => SendError::Full,
            _ => SendError::Disconnected,
        }
    }
}
