//! The server's side: checking an upgrade request and building the 101 answer
//! (RFC 6455 §4.2).

use std::fmt;
use std::sync::Arc;

use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode, Version};

use super::key::{accept_key, is_valid_key};
use super::tokens::{
    extension_elements, extension_name, is_token, list_elements, require_token, single,
};
use super::{HandshakeError, Rejection};
use crate::deflate::{DeflateConfig, DeflateParams};

/// Picks a subprotocol from the client's offers, in the client's order of preference.
type ProtocolSelector = Arc<dyn Fn(&[&str]) -> Option<String> + Send + Sync + 'static>;

/// Decides whether a well-formed upgrade request may proceed.
type RequestCheck =
    Arc<dyn Fn(&http::Request<()>) -> Result<(), Rejection> + Send + Sync + 'static>;

/// How a server answers upgrade requests: which subprotocol it picks, which
/// requests it lets through, whether it negotiates permessage-deflate. Build it
/// once and share it (it is cheap to clone); [`ServerHandshake::accept`] does the
/// work for each request.
///
/// The default picks no subprotocol, checks nothing beyond RFC 6455, and declines
/// compression.
#[derive(Clone, Default)]
pub struct ServerHandshake {
    select_protocol: Option<ProtocolSelector>,
    check_request: Option<RequestCheck>,
    deflate: Option<DeflateConfig>,
    headers: HeaderMap,
}

/// A successful upgrade: the response to send, then the connection speaks WebSocket.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Accepted {
    /// The 101 Switching Protocols response; write it with
    /// [`write_response`](super::write_response) or hand it to hyper.
    pub response: http::Response<()>,
    /// The subprotocol chosen, also sent in `Sec-WebSocket-Protocol`.
    pub protocol: Option<String>,
    /// The permessage-deflate parameters agreed, also sent in `Sec-WebSocket-Extensions`.
    pub deflate: Option<DeflateParams>,
}

impl ServerHandshake {
    /// The default handshake: no subprotocol, no extra check, no compression.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how a subprotocol is chosen. The callback sees the protocols the client
    /// offered, most preferred first (it is not called when there are none), and
    /// returns one of them, or `None` to answer without a subprotocol. Returning a
    /// protocol the client did not offer is a server bug and answers 500.
    pub fn select_protocol(
        mut self,
        select: impl Fn(&[&str]) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.select_protocol = Some(Arc::new(select));
        self
    }

    /// Sets a check run on every request that is a valid upgrade, before anything
    /// is negotiated. It sees the whole request (path, query, `Origin`, cookies,
    /// `Authorization`) and may refuse it with any [`Rejection`].
    ///
    /// This is where a server defends against cross-site WebSocket hijacking:
    /// browsers attach the user's cookies to a WebSocket request made by any page,
    /// and the same-origin policy does not apply to WebSockets. A server that
    /// authenticates by cookie must compare `Origin` with the origins it trusts and
    /// refuse the others (typically with 403).
    pub fn check_request(
        mut self,
        check: impl Fn(&http::Request<()>) -> Result<(), Rejection> + Send + Sync + 'static,
    ) -> Self {
        self.check_request = Some(Arc::new(check));
        self
    }

    /// Sets whether and how permessage-deflate is negotiated; `None` (the default)
    /// declines every offer.
    pub fn deflate(mut self, config: Option<DeflateConfig>) -> Self {
        self.deflate = config;
        self
    }

    /// Adds a header to every 101 response (e.g. `Server`). Headers the handshake
    /// sets itself take precedence.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The permessage-deflate configuration, if compression is negotiated.
    pub fn deflate_config(&self) -> Option<&DeflateConfig> {
        self.deflate.as_ref()
    }

    /// Checks an upgrade request and builds the answer.
    ///
    /// In order: the RFC 6455 §4.2.1 rules (GET, HTTP/1.1 or later, one `Host`,
    /// `Upgrade: websocket`, `Connection: upgrade`, `Sec-WebSocket-Version: 13`, a
    /// `Sec-WebSocket-Key` of 16 base64-encoded bytes, no body), then the
    /// [`check_request`](Self::check_request) hook, then subprotocol selection and
    /// permessage-deflate negotiation. A broken rule is a 400 naming it, except a
    /// wrong version: 426 with `Sec-WebSocket-Version: 13`.
    pub fn accept(&self, request: &http::Request<()>) -> Result<Accepted, Rejection> {
        let (key, offered) = check_upgrade(request)?;
        if let Some(check) = &self.check_request {
            check(request)?;
        }
        let protocol = self.choose_protocol(&offered)?;
        let deflate = self.deflate.as_ref().and_then(|config| {
            // An unreadable extensions header holds no offer we could accept.
            let elements = extension_elements(request.headers(), &header::SEC_WEBSOCKET_EXTENSIONS)
                .unwrap_or_default();
            let offers = elements
                .into_iter()
                .filter(|e| extension_name(e).eq_ignore_ascii_case("permessage-deflate"));
            DeflateParams::negotiate_response(offers, config)
        });

        let mut response = http::Response::new(());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.clone_from(&self.headers);
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, header_value(accept_key(key))?);
        if let Some(protocol) = &protocol {
            headers.insert(
                header::SEC_WEBSOCKET_PROTOCOL,
                header_value(protocol.clone())?,
            );
        }
        if let Some((_, answer)) = &deflate {
            headers.insert(
                header::SEC_WEBSOCKET_EXTENSIONS,
                header_value(answer.clone())?,
            );
        }
        Ok(Accepted {
            response,
            protocol,
            deflate: deflate.map(|(params, _)| params),
        })
    }

    fn choose_protocol(&self, offered: &[&str]) -> Result<Option<String>, Rejection> {
        let Some(select) = self
            .select_protocol
            .as_ref()
            .filter(|_| !offered.is_empty())
        else {
            return Ok(None);
        };
        match select(offered) {
            // RFC 6455 §4.2.2: the server's choice MUST be one the client offered.
            Some(chosen) if !offered.contains(&chosen.as_str()) => Err(Rejection::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "subprotocol selection chose a protocol the client did not offer",
            )),
            chosen => Ok(chosen),
        }
    }
}

impl fmt::Debug for ServerHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandshake")
            .field("select_protocol", &self.select_protocol.is_some())
            .field("check_request", &self.check_request.is_some())
            .field("deflate", &self.deflate)
            .field("headers", &self.headers)
            .finish()
    }
}

/// Checks the RFC 6455 §4.2.1 rules; returns the key and the offered subprotocols.
fn check_upgrade(request: &http::Request<()>) -> Result<(&[u8], Vec<&str>), HandshakeError> {
    // RFC 6455 §4.2.1: "An HTTP/1.1 or higher GET request".
    if request.method() != Method::GET {
        return Err(HandshakeError::Method(request.method().clone()));
    }
    if request.version() < Version::HTTP_11 {
        return Err(HandshakeError::HttpVersion(request.version()));
    }
    let headers = request.headers();
    // RFC 7230 §5.4: a server MUST respond 400 to a request without Host or with several.
    single(headers, &header::HOST, "Host")?;
    // RFC 6455 §4.2.1: an Upgrade header "containing the value websocket", and a
    // Connection header "that includes the token Upgrade", both case-insensitive.
    require_token(headers, &header::UPGRADE, "Upgrade", "websocket")?;
    require_token(headers, &header::CONNECTION, "Connection", "upgrade")?;
    // RFC 6455 §4.2.2: a version the server does not speak MUST be answered with
    // 426 and the versions it does; checked before the key, whose form is version-specific.
    let versions = list_elements(headers, &header::SEC_WEBSOCKET_VERSION).unwrap_or_default();
    if versions != ["13"] {
        let sent = headers.get(header::SEC_WEBSOCKET_VERSION);
        return Err(HandshakeError::UnsupportedVersion(
            sent.map_or("none".into(), |v| {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            }),
        ));
    }
    let key = single(headers, &header::SEC_WEBSOCKET_KEY, "Sec-WebSocket-Key")?
        .as_bytes()
        .trim_ascii();
    if !is_valid_key(key) {
        return Err(HandshakeError::BadKey);
    }
    // Bytes after the head are frames; a body would be read as frames.
    let has_body = headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get_all(header::CONTENT_LENGTH)
            .iter()
            .any(|v| v.as_bytes().trim_ascii() != b"0");
    if has_body {
        return Err(HandshakeError::InvalidHeader {
            header: "Content-Length",
            reason: "an upgrade request cannot carry a body",
        });
    }
    // RFC 6455 §4.1: each offered subprotocol is a token.
    let offered = list_elements(headers, &header::SEC_WEBSOCKET_PROTOCOL)
        .filter(|offered| offered.iter().all(|p| is_token(p)))
        .ok_or(HandshakeError::InvalidHeader {
            header: "Sec-WebSocket-Protocol",
            reason: "every subprotocol must be a token",
        })?;
    Ok((key, offered))
}

/// Our own response values are tokens and base64, always valid header values; a
/// failure would be a bug, answered as one rather than a panic.
fn header_value(value: String) -> Result<HeaderValue, Rejection> {
    HeaderValue::try_from(value).map_err(|_| {
        Rejection::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "invalid response header value",
        )
    })
}

#[cfg(test)]
mod tests;
