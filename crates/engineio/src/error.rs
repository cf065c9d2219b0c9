//! Errors of this crate: sending to a session, and the protocol errors answered over HTTP.

use bytes::Bytes;
use http::{StatusCode, header};
use http_body_util::Full;

use duplex_engineio_proto::server::Refusal;

use crate::Message;

/// A message that could not be queued; it is handed back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The session's outgoing queue holds `max_queued_packets` packets.
    #[error("the session's outgoing queue is full")]
    Full(Message),
    /// The session has closed.
    #[error("the session is closed")]
    Closed(Message),
}

impl SendError {
    /// The message that was not sent.
    pub fn into_message(self) -> Message {
        match self {
            SendError::Full(m) | SendError::Closed(m) => m,
        }
    }
}

/// Why a batch of messages was not queued (the caller still has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The outgoing queue cannot take the whole batch.
    #[error("the session's outgoing queue is full")]
    Full,
    /// The session has closed.
    #[error("the session is closed")]
    Closed,
}

/// The errors Engine.IO answers requests with, as HTTP status plus `{"code":N,"message":...}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Code 0: no transport, or one not enabled.
    #[error("Transport unknown")]
    UnknownTransport,
    /// Code 1: no session with that id (never existed, or closed).
    #[error("Session ID unknown")]
    UnknownSid,
    /// Code 2: a handshake by another method than GET.
    #[error("Bad handshake method")]
    BadHandshakeMethod,
    /// Code 3: a request that breaks the protocol (overlapping polls, wrong transport, ...).
    #[error("Bad request")]
    BadRequest,
    /// Code 4: refused by `allow_request`, with its message.
    #[error("{0}")]
    Forbidden(String),
    /// Code 5: an `EIO` version the server does not speak.
    #[error("Unsupported protocol version")]
    UnsupportedProtocolVersion,
}

/// Every refusal of the session state is the reference server's "Bad request" (code 3).
impl From<Refusal> for ProtocolError {
    fn from(_: Refusal) -> ProtocolError {
        ProtocolError::BadRequest
    }
}

impl ProtocolError {
    /// The protocol's error code.
    pub fn code(&self) -> u8 {
        match self {
            ProtocolError::UnknownTransport => 0,
            ProtocolError::UnknownSid => 1,
            ProtocolError::BadHandshakeMethod => 2,
            ProtocolError::BadRequest => 3,
            ProtocolError::Forbidden(_) => 4,
            ProtocolError::UnsupportedProtocolVersion => 5,
        }
    }

    /// The HTTP status: 403 for a refusal, as the reference server answers, 400 otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            ProtocolError::Forbidden(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The HTTP answer.
    pub fn to_response(&self) -> http::Response<Full<Bytes>> {
        let body = serde_json::json!({ "code": self.code(), "message": self.to_string() });
        let mut response = http::Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn answers_as_json_with_code_and_message() {
        let r = ProtocolError::UnknownSid.to_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body = r.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"{"code":1,"message":"Session ID unknown"}"#);
        let r = ProtocolError::Forbidden("no \"token\"".into()).to_response();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let body = r.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"{"code":4,"message":"no \"token\""}"#);
    }
}
