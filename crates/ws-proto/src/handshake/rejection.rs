//! A refused upgrade: the HTTP error response a server sends before closing.

use bytes::BufMut;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};

use super::HandshakeError;
use super::head::{write_headers, write_status_line};

/// A server's refusal of an upgrade request: a status, a plain-text reason sent as
/// the body, and any extra headers.
///
/// [`Rejection::write`] renders it as a complete HTTP/1.1 response that closes the
/// connection. Every [`HandshakeError`] a server meets converts into one with the
/// status from [`HandshakeError::status`] (400 when it has none) and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    status: StatusCode,
    reason: String,
    // Boxed to keep `Result<_, Rejection>` small on the accept path.
    headers: Box<HeaderMap>,
}

impl Rejection {
    /// A rejection with this status and reason (the response body).
    pub fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Rejection {
            status,
            reason: reason.into(),
            headers: Box::default(),
        }
    }

    /// Adds a header to the response (e.g. `WWW-Authenticate` with a 401).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The status answered.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason, sent as the body.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The extra headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Writes the complete response: status line, the extra headers,
    /// `Content-Type: text/plain; charset=utf-8`, `Content-Length`,
    /// `Connection: close`, then the reason as body. The caller closes the
    /// connection once it is written.
    pub fn write(&self, dst: &mut impl BufMut) {
        let mut headers = HeaderMap::clone(&self.headers);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(self.reason.len()));
        // The request may have left bytes we will not read: closing is the only
        // way to keep them from being taken as a next request.
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        write_status_line(self.status, dst);
        write_headers(&headers, dst);
        dst.put_slice(self.reason.as_bytes());
    }

    /// The response as an `http::Response` carrying the reason as body, for a
    /// server framework (hyper) that writes responses itself.
    pub fn to_response(&self) -> http::Response<String> {
        let mut response = http::Response::new(self.reason.clone());
        *response.status_mut() = self.status;
        *response.headers_mut() = HeaderMap::clone(&self.headers);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}

impl From<HandshakeError> for Rejection {
    fn from(error: HandshakeError) -> Self {
        let status = error.status().unwrap_or(StatusCode::BAD_REQUEST);
        let rejection = Rejection::new(status, error.to_string());
        match error {
            // RFC 6455 §4.2.2: a server that does not understand the version MUST
            // answer with a Sec-WebSocket-Version header listing the ones it does.
            HandshakeError::UnsupportedVersion(_) => rejection.with_header(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            ),
            _ => rejection,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_complete_closing_response() {
        let rejection = Rejection::new(StatusCode::FORBIDDEN, "origin not allowed").with_header(
            HeaderName::from_static("x-why"),
            HeaderValue::from_static("policy"),
        );
        let mut out = Vec::new();
        rejection.write(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{text}");
        assert!(text.contains("\r\nx-why: policy\r\n"), "{text}");
        assert!(text.contains("\r\ncontent-length: 18\r\n"), "{text}");
        assert!(text.contains("\r\nconnection: close\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\norigin not allowed"), "{text}");
    }

    #[test]
    fn from_errors() {
        let cases = [
            (HandshakeError::BadKey, StatusCode::BAD_REQUEST, false),
            (
                HandshakeError::TooLarge { max: 10 },
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                false,
            ),
            (
                HandshakeError::UnsupportedVersion("8".into()),
                StatusCode::UPGRADE_REQUIRED,
                true,
            ),
            // A client-side error is never a server's answer; 400 is the fallback.
            (HandshakeError::BadAccept, StatusCode::BAD_REQUEST, false),
        ];
        for (error, status, version_header) in cases {
            let message = error.to_string();
            let rejection = Rejection::from(error);
            assert_eq!(rejection.status(), status);
            assert_eq!(rejection.reason(), message);
            assert_eq!(
                rejection
                    .headers()
                    .get(header::SEC_WEBSOCKET_VERSION)
                    .is_some(),
                version_header
            );
        }
    }

    #[test]
    fn to_response_keeps_everything() {
        let rejection = Rejection::from(HandshakeError::UnsupportedVersion("8".into()));
        let response = rejection.to_response();
        assert_eq!(response.status(), StatusCode::UPGRADE_REQUIRED);
        assert_eq!(response.headers()[header::SEC_WEBSOCKET_VERSION], "13");
        assert_eq!(response.body(), rejection.reason());
    }
}
