//! The HTTP/1.1 upgrade handshake (RFC 6455 §4), both roles, without I/O.
//!
//! A server feeds the bytes it has read to [`parse_request`] until it yields a
//! request, hands that to [`ServerHandshake::accept`], and writes either the
//! [`Accepted`] response (then speaks WebSocket) or the [`Rejection`] (then closes).
//! A request that came through hyper is checked by the same `accept`.
//!
//! A client builds a [`ClientRequest`] from a `ws://` or `wss://` URI, writes it,
//! feeds what it reads to [`parse_response`], and checks the response with
//! [`ClientRequest::verify_response`].
//!
//! ```
//! use duplex_ws_proto::handshake::{
//!     parse_request, parse_response, write_response, ClientRequest, ServerHandshake,
//!     DEFAULT_MAX_HEAD_LEN,
//! };
//!
//! // Client: build and send the request.
//! let client = ClientRequest::new("ws://example.com/chat")?.protocols(["chat.v2", "chat.v1"])?;
//! let mut wire = Vec::new();
//! client.write(&mut wire);
//!
//! // Server: parse it, check it, answer it.
//! let server = ServerHandshake::new()
//!     .check_request(|request| match request.headers().get("origin") {
//!         Some(origin) if origin != "https://example.com" => {
//!             Err(duplex_ws_proto::handshake::Rejection::new(
//!                 http::StatusCode::FORBIDDEN,
//!                 "origin not allowed",
//!             ))
//!         }
//!         _ => Ok(()),
//!     })
//!     .select_protocol(|offered| offered.iter().find(|p| p.starts_with("chat.")).map(|p| p.to_string()));
//! let (request, _len) = parse_request(&wire, DEFAULT_MAX_HEAD_LEN)?.expect("complete head");
//! let accepted = server.accept(&request).expect("a valid request");
//! assert_eq!(accepted.protocol.as_deref(), Some("chat.v2"));
//! let mut answer = Vec::new();
//! write_response(&accepted.response, &mut answer);
//!
//! // Client: check the answer.
//! let (response, _len) = parse_response(&answer, DEFAULT_MAX_HEAD_LEN)?.expect("complete head");
//! let agreed = client.verify_response(&response)?;
//! assert_eq!(agreed.protocol.as_deref(), Some("chat.v2"));
//! # Ok::<(), duplex_ws_proto::handshake::HandshakeError>(())
//! ```

mod client;
#[cfg(test)]
mod fixtures;
mod head;
mod key;
mod rejection;
mod server;
mod tokens;

pub use client::{ClientAccepted, ClientRequest};
pub use head::{
    DEFAULT_MAX_HEAD_LEN, MAX_HEADERS, parse_request, parse_response, write_request, write_response,
};
pub use key::{accept_key, generate_key};
pub use rejection::Rejection;
pub use server::{Accepted, ServerHandshake};

use http::{Method, StatusCode, Version};

/// How much of a refusal's body [`HandshakeError::with_body`] keeps: 1 KiB.
pub const MAX_BODY_EXCERPT: usize = 1024;

/// Why a handshake failed.
///
/// Errors a server finds in a request map to the status it answers with
/// ([`HandshakeError::status`], and `Rejection::from`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The head did not end within the allowed number of bytes.
    #[error("HTTP head longer than {max} bytes")]
    TooLarge {
        /// The `max_head_len` in force.
        max: usize,
    },
    /// The head had more than [`MAX_HEADERS`] headers.
    #[error("more than {max} HTTP headers")]
    TooManyHeaders {
        /// The limit, [`MAX_HEADERS`].
        max: usize,
    },
    /// The head is not valid HTTP/1.x.
    #[error("malformed HTTP head: {0}")]
    Malformed(String),
    /// The request method is not GET (RFC 6455 §4.2.1).
    #[error("method {0} is not GET")]
    Method(Method),
    /// The request is older than HTTP/1.1 (RFC 6455 §4.2.1).
    #[error("{0:?} is too old, WebSocket needs HTTP/1.1")]
    HttpVersion(Version),
    /// A header the handshake requires is absent.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// A list header lacks the token the handshake requires.
    #[error("the {header} header does not contain {token:?}")]
    MissingToken {
        /// The header, e.g. `Connection`.
        header: &'static str,
        /// The token it must hold, e.g. `upgrade`.
        token: &'static str,
    },
    /// A header is present but its value is not acceptable.
    #[error("invalid {header} header: {reason}")]
    InvalidHeader {
        /// The header's name.
        header: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `Sec-WebSocket-Key` is not the base64 of 16 bytes (RFC 6455 §4.2.1).
    #[error("Sec-WebSocket-Key is not the base64 encoding of 16 bytes")]
    BadKey,
    /// `Sec-WebSocket-Version` is missing or not 13; answered with 426 (RFC 6455 §4.2.2).
    #[error("unsupported Sec-WebSocket-Version {0:?}, only 13 is spoken")]
    UnsupportedVersion(String),
    /// The server did not answer 101 Switching Protocols.
    #[error(
        "server answered {status} instead of 101 Switching Protocols{}",
        excerpt_suffix(body)
    )]
    Status {
        /// The status the server answered with.
        status: StatusCode,
        /// The start of the response body (see [`HandshakeError::with_body`]), maybe empty.
        body: String,
    },
    /// `Sec-WebSocket-Accept` is missing or does not match our key.
    #[error("Sec-WebSocket-Accept does not match the key sent")]
    BadAccept,
    /// The server chose a subprotocol the client did not offer.
    #[error("server chose subprotocol {0:?}, which was not offered")]
    UnexpectedProtocol(String),
    /// The permessage-deflate negotiation failed, or the server answered with an
    /// extension the client did not offer.
    #[error("extension negotiation failed: {0}")]
    Extension(String),
    /// The URI given to [`ClientRequest::new`] is not a usable WebSocket URI.
    #[error("invalid WebSocket URI: {0}")]
    InvalidUri(String),
}

impl HandshakeError {
    /// The HTTP status a server answers this error with; `None` for the errors only
    /// a client meets (a bad response, a bad URI, a failed extension negotiation).
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            HandshakeError::TooLarge { .. } | HandshakeError::TooManyHeaders { .. } => {
                Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
            }
            HandshakeError::UnsupportedVersion(_) => Some(StatusCode::UPGRADE_REQUIRED),
            HandshakeError::Malformed(_)
            | HandshakeError::Method(_)
            | HandshakeError::HttpVersion(_)
            | HandshakeError::MissingHeader(_)
            | HandshakeError::MissingToken { .. }
            | HandshakeError::InvalidHeader { .. }
            | HandshakeError::BadKey => Some(StatusCode::BAD_REQUEST),
            HandshakeError::Status { .. }
            | HandshakeError::BadAccept
            | HandshakeError::UnexpectedProtocol(_)
            | HandshakeError::Extension(_)
            | HandshakeError::InvalidUri(_) => None,
        }
    }

    /// Attaches the start of a refusal's body to a [`HandshakeError::Status`]: at
    /// most [`MAX_BODY_EXCERPT`] bytes, invalid UTF-8 replaced. Other errors are
    /// returned unchanged. A client driver calls this after reading what follows a
    /// non-101 head, so the error says why the server refused.
    pub fn with_body(self, body: &[u8]) -> Self {
        match self {
            HandshakeError::Status { status, .. } => {
                let excerpt = &body[..body.len().min(MAX_BODY_EXCERPT)];
                HandshakeError::Status {
                    status,
                    body: String::from_utf8_lossy(excerpt).into_owned(),
                }
            }
            other => other,
        }
    }
}

fn excerpt_suffix(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}
