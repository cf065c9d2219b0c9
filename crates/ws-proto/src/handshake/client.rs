//! The client's side: building the upgrade request and checking the server's
//! answer (RFC 6455 §4.1).

use bytes::BufMut;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode, Uri};

use super::HandshakeError;
use super::head::write_request;
use super::key::{accept_key, generate_key};
use super::tokens::{extension_elements, extension_name, is_token, require_token, single};
use crate::deflate::{DeflateConfig, DeflateParams};

/// Headers the handshake writes itself; extra headers with these names are dropped.
const OWN_HEADERS: [HeaderName; 6] = [
    header::UPGRADE,
    header::CONNECTION,
    header::SEC_WEBSOCKET_KEY,
    header::SEC_WEBSOCKET_VERSION,
    header::SEC_WEBSOCKET_PROTOCOL,
    header::SEC_WEBSOCKET_EXTENSIONS,
];

/// A client's upgrade request, with a fresh key, and what is needed to check the
/// answer to it.
///
/// ```
/// use duplex_ws_proto::handshake::ClientRequest;
/// use http::header::{HeaderValue, ORIGIN};
///
/// let request = ClientRequest::new("wss://example.com:8443/feed?room=1")?
///     .protocols(["v2.feed", "v1.feed"])?
///     .header(ORIGIN, HeaderValue::from_static("https://example.com"));
/// assert!(request.is_tls());
/// assert_eq!((request.host(), request.port()), ("example.com", 8443));
/// let mut wire = Vec::new();
/// request.write(&mut wire);
/// assert!(wire.starts_with(b"GET /feed?room=1 HTTP/1.1\r\nhost: example.com:8443\r\n"));
/// # Ok::<(), duplex_ws_proto::handshake::HandshakeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientRequest {
    uri: Uri,
    tls: bool,
    host: String,
    port: u16,
    host_header: HeaderValue,
    key: String,
    protocols: Vec<String>,
    deflate: Option<DeflateConfig>,
    headers: HeaderMap,
}

/// What the server agreed to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientAccepted {
    /// The subprotocol the server chose among those offered.
    pub protocol: Option<String>,
    /// The permessage-deflate parameters, if the server accepted our offer.
    pub deflate: Option<DeflateParams>,
}

impl ClientRequest {
    /// A request for a `ws://` or `wss://` URI, with a fresh random key.
    ///
    /// RFC 6455 §3 forbids a fragment (`#...`); user information (`user:pass@`) is
    /// refused too: send credentials in an `Authorization` header.
    pub fn new(uri: &str) -> Result<Self, HandshakeError> {
        if uri.contains('#') {
            return Err(invalid_uri("a fragment is not allowed (RFC 6455 §3)"));
        }
        let uri = uri
            .parse::<Uri>()
            .map_err(|e| HandshakeError::InvalidUri(e.to_string()))?;
        Self::from_uri(uri)
    }

    /// A request for an already parsed `ws://` or `wss://` URI; see [`ClientRequest::new`].
    pub fn from_uri(uri: Uri) -> Result<Self, HandshakeError> {
        let (tls, default_port) = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("ws") => (false, 80),
            Some(s) if s.eq_ignore_ascii_case("wss") => (true, 443),
            _ => return Err(invalid_uri("the scheme must be ws or wss")),
        };
        let authority = uri.authority().ok_or_else(|| invalid_uri("no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid_uri(
                "user information is not supported, send an Authorization header",
            ));
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(invalid_uri("no host"));
        }
        let port = authority.port_u16().unwrap_or(default_port);
        // RFC 6455 §4.1: the Host header holds the port only when it is not the default.
        let host_header = if port == default_port {
            host.to_owned()
        } else {
            format!("{host}:{port}")
        };
        let host_header =
            HeaderValue::try_from(host_header).map_err(|_| invalid_uri("invalid host"))?;
        Ok(ClientRequest {
            // A bracketed IPv6 literal is connected to (and named in TLS) without brackets.
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            uri,
            tls,
            port,
            host_header,
            key: generate_key(),
            protocols: Vec::new(),
            deflate: None,
            headers: HeaderMap::new(),
        })
    }

    /// Offers these subprotocols, most preferred first. Each must be an RFC 7230
    /// token, or this is [`HandshakeError::InvalidHeader`].
    pub fn protocols<I, S>(mut self, protocols: I) -> Result<Self, HandshakeError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        // RFC 6455 §4.1: the elements MUST be tokens.
        if self.protocols.iter().all(|p| is_token(p)) {
            Ok(self)
        } else {
            Err(HandshakeError::InvalidHeader {
                header: "Sec-WebSocket-Protocol",
                reason: "every subprotocol must be a token",
            })
        }
    }

    /// Offers permessage-deflate with this configuration; `None` (the default) offers nothing.
    pub fn deflate(mut self, config: Option<DeflateConfig>) -> Self {
        self.deflate = config;
        self
    }

    /// Adds a header (`Origin`, `Authorization`, `Cookie`, ...). One named `Host`
    /// replaces the one derived from the URI; the headers the handshake writes
    /// itself (`Upgrade`, `Connection`, `Sec-WebSocket-*`) cannot be overridden.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Whether the URI is `wss://`: the driver wraps the connection in TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The host to connect to and to name in TLS (an IPv6 literal without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port to connect to: the URI's, or 80 for `ws`, 443 for `wss`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `Sec-WebSocket-Key` sent.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The request as an `http::Request` (its URI is the `ws://` one), for an HTTP
    /// client that writes requests itself.
    pub fn to_request(&self) -> http::Request<()> {
        let mut request = http::Request::new(());
        *request.uri_mut() = self.uri.clone();
        let headers = request.headers_mut();
        if !self.headers.contains_key(header::HOST) {
            headers.insert(header::HOST, self.host_header.clone());
        }
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        // The key is base64, always a valid header value.
        if let Ok(key) = HeaderValue::try_from(self.key.as_str()) {
            headers.insert(header::SEC_WEBSOCKET_KEY, key);
        }
        headers.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        // Tokens joined by ", " are a valid header value (checked in `protocols`).
        if let Ok(value) = HeaderValue::try_from(self.protocols.join(", ")) {
            if !self.protocols.is_empty() {
                headers.insert(header::SEC_WEBSOCKET_PROTOCOL, value);
            }
        }
        if let Some(config) = &self.deflate {
            if let Ok(value) = HeaderValue::try_from(DeflateParams::offer(config)) {
                headers.insert(header::SEC_WEBSOCKET_EXTENSIONS, value);
            }
        }
        for (name, value) in &self.headers {
            if !OWN_HEADERS.contains(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        request
    }

    /// Writes the request head.
    pub fn write(&self, dst: &mut impl BufMut) {
        write_request(&self.to_request(), dst);
    }

    /// The permessage-deflate configuration offered, if any.
    pub fn deflate_config(&self) -> Option<&DeflateConfig> {
        self.deflate.as_ref()
    }

    /// Checks the server's answer (RFC 6455 §4.1): status 101, `Upgrade: websocket`,
    /// `Connection: upgrade`, the `Sec-WebSocket-Accept` our key calls for, a
    /// subprotocol only among those offered, extensions only those offered.
    ///
    /// Any other status is [`HandshakeError::Status`]; the driver may read the body
    /// that follows the head and attach it with [`HandshakeError::with_body`].
    pub fn verify_response(
        &self,
        response: &http::Response<()>,
    ) -> Result<ClientAccepted, HandshakeError> {
        // RFC 6455 §4.1: any status other than 101 means the handshake did not complete.
        if response.status() != StatusCode::SWITCHING_PROTOCOLS {
            return Err(HandshakeError::Status {
                status: response.status(),
                body: String::new(),
            });
        }
        let headers = response.headers();
        // RFC 6455 §4.1: without these, the client MUST fail the connection.
        require_token(headers, &header::UPGRADE, "Upgrade", "websocket")?;
        require_token(headers, &header::CONNECTION, "Connection", "upgrade")?;
        let accept = single(
            headers,
            &header::SEC_WEBSOCKET_ACCEPT,
            "Sec-WebSocket-Accept",
        )?;
        if accept.as_bytes().trim_ascii() != accept_key(self.key.as_bytes()).as_bytes() {
            return Err(HandshakeError::BadAccept);
        }
        Ok(ClientAccepted {
            protocol: self.agreed_protocol(headers)?,
            deflate: self.agreed_extensions(headers)?,
        })
    }

    fn agreed_protocol(&self, headers: &HeaderMap) -> Result<Option<String>, HandshakeError> {
        let mut values = headers.get_all(header::SEC_WEBSOCKET_PROTOCOL).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        let chosen = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
        // RFC 6455 §4.1: a subprotocol that was not offered MUST fail the connection;
        // so do several, since the server picks one.
        if values.next().is_some() || !self.protocols.contains(&chosen) {
            return Err(HandshakeError::UnexpectedProtocol(chosen));
        }
        Ok(Some(chosen))
    }

    fn agreed_extensions(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<DeflateParams>, HandshakeError> {
        let elements =
            extension_elements(headers, &header::SEC_WEBSOCKET_EXTENSIONS).ok_or_else(|| {
                HandshakeError::Extension("unreadable Sec-WebSocket-Extensions".into())
            })?;
        let mut deflate = None;
        for element in elements {
            let name = extension_name(element);
            // RFC 6455 §4.1: an extension that was not requested MUST fail the connection.
            match &self.deflate {
                Some(config)
                    if name.eq_ignore_ascii_case("permessage-deflate") && deflate.is_none() =>
                {
                    deflate = Some(DeflateParams::accept_response(element, config)?);
                }
                _ => {
                    return Err(HandshakeError::Extension(format!(
                        "the server answered with {name:?}, which was not offered or was repeated"
                    )));
                }
            }
        }
        Ok(deflate)
    }
}

fn invalid_uri(reason: &str) -> HandshakeError {
    HandshakeError::InvalidUri(reason.to_owned())
}

#[cfg(test)]
mod tests;
