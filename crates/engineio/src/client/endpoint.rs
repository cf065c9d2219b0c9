//! [`Endpoint`]: the server's address and the request targets engine.io-client builds.

use super::{ClientConfig, ConnectError, Transport};

/// Where the server is and what every request's query starts with.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// `https://` (or `wss://`): TLS on every connection.
    secure: bool,
    host: String,
    port: u16,
    /// `host:port`, the `Host` header of polling requests.
    authority: String,
    path: String,
    /// The URL's own query and the configured pairs, encoded, each followed by `&`.
    query_prefix: String,
}

impl Endpoint {
    /// Parses `http[s]://host[:port][/path][?query]` (`ws[s]://` too); the path defaults to
    /// `/engine.io/`, the port to the scheme's.
    pub(crate) fn parse(url: &str, config: &ClientConfig) -> Result<Endpoint, ConnectError> {
        let invalid = |why: &str| ConnectError::InvalidUrl(format!("{url}: {why}"));
        let uri: http::Uri = url.parse().map_err(|e| invalid(&format!("{e}")))?;
        let scheme = uri.scheme_str().unwrap_or_default().to_ascii_lowercase();
        let secure = match scheme.as_str() {
            "http" | "ws" => false,
            #[cfg(feature = "tls")]
            "https" | "wss" => true,
            #[cfg(not(feature = "tls"))]
            "https" | "wss" => return Err(invalid("https:// and wss:// need the `tls` feature")),
            _ => {
                return Err(invalid(
                    "the scheme must be http:// or https:// (or ws://, wss://)",
                ));
            }
        };
        let authority = uri.authority().ok_or_else(|| invalid("no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("user information is not supported, send a header"));
        }
        let host = authority.host();
        let port = authority
            .port_u16()
            .unwrap_or(if secure { 443 } else { 80 });
        let path = match uri.path() {
            "" | "/" => "/engine.io/".to_owned(),
            path => path.to_owned(),
        };
        let mut query_prefix = String::new();
        if let Some(query) = uri.query().filter(|q| !q.is_empty()) {
            query_prefix.push_str(query);
            query_prefix.push('&');
        }
        for (key, value) in &config.query {
            encode_component(key, &mut query_prefix);
            query_prefix.push('=');
            encode_component(value, &mut query_prefix);
            query_prefix.push('&');
        }
        Ok(Endpoint {
            secure,
            // Connected to without the brackets of an IPv6 literal.
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            authority: format!("{host}:{port}"),
            path,
            query_prefix,
        })
    }

    /// Whether every connection runs TLS.
    pub(crate) fn is_secure(&self) -> bool {
        self.secure
    }

    /// The host to connect to.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The port to connect to.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The `Host` header of polling requests.
    pub(crate) fn authority(&self) -> &str {
        &self.authority
    }

    /// The request target of a polling request: the handshake without `sid`.
    pub(crate) fn polling_target(&self, sid: Option<&str>) -> String {
        self.target(Transport::Polling, sid)
    }

    /// The `ws://` (`wss://` for a TLS server) URL of the WebSocket transport: a new session
    /// without `sid`, the upgrade of a polling session with it.
    pub(crate) fn websocket_url(&self, sid: Option<&str>) -> String {
        format!(
            "{}://{}{}",
            if self.secure { "wss" } else { "ws" },
            self.authority,
            self.target(Transport::WebSocket, sid)
        )
    }

    /// engine.io-client's query order: the user's pairs, then `EIO`, `transport`, `sid`.
    fn target(&self, transport: Transport, sid: Option<&str>) -> String {
        let name = match transport {
            Transport::Polling => "polling",
            Transport::WebSocket => "websocket",
        };
        let mut target = format!("{}?{}EIO=4&transport={name}", self.path, self.query_prefix);
        if let Some(sid) = sid {
            target.push_str("&sid=");
            encode_component(sid, &mut target);
        }
        target
    }
}

/// Percent-encodes as JavaScript's `encodeURIComponent`, which engine.io-client applies to
/// every query key and value.
fn encode_component(text: &str, out: &mut String) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Endpoint {
        Endpoint::parse(url, &ClientConfig::default()).unwrap()
    }

    #[test]
    fn targets_follow_engine_io_client() {
        let endpoint = parse("http://127.0.0.1:3000/engine.io/");
        assert_eq!(
            endpoint.polling_target(None),
            "/engine.io/?EIO=4&transport=polling"
        );
        assert_eq!(
            endpoint.websocket_url(Some("ab-c")),
            "ws://127.0.0.1:3000/engine.io/?EIO=4&transport=websocket&sid=ab-c"
        );
        assert_eq!(endpoint.authority(), "127.0.0.1:3000");
    }

    #[test]
    fn the_path_defaults_and_the_port_is_80() {
        let endpoint = parse("http://localhost");
        assert_eq!((endpoint.host(), endpoint.port()), ("localhost", 80));
        assert_eq!(
            endpoint.polling_target(Some("x")),
            "/engine.io/?EIO=4&transport=polling&sid=x"
        );
        let endpoint = parse("ws://[::1]:8080/socket.io/");
        assert_eq!((endpoint.host(), endpoint.port()), ("::1", 8080));
        assert!(endpoint.polling_target(None).starts_with("/socket.io/?"));
    }

    #[test]
    fn query_pairs_come_first_and_encoded() {
        let config = ClientConfig::default()
            .query("token", "a b&c=d")
            .query("é", "1");
        let endpoint = Endpoint::parse("http://h:1/e/?x=1", &config).unwrap();
        assert_eq!(
            endpoint.polling_target(None),
            "/e/?x=1&token=a%20b%26c%3Dd&%C3%A9=1&EIO=4&transport=polling"
        );
    }

    #[cfg(feature = "tls")]
    #[test]
    fn tls_schemes_default_to_443_and_upgrade_to_wss() {
        let endpoint = parse("https://example.com/engine.io/");
        assert!(endpoint.is_secure());
        assert_eq!(endpoint.port(), 443);
        assert_eq!(
            endpoint.websocket_url(None),
            "wss://example.com:443/engine.io/?EIO=4&transport=websocket"
        );
        let endpoint = parse("WSS://h:8443");
        assert!(endpoint.is_secure());
        assert_eq!(endpoint.port(), 8443);
        assert!(!parse("http://h").is_secure());
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn tls_schemes_need_the_feature() {
        for url in ["https://h/", "wss://h/"] {
            let error = Endpoint::parse(url, &ClientConfig::default()).unwrap_err();
            assert!(error.to_string().contains("`tls` feature"), "{error}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_reach() {
        for url in ["h:1", "http://u:p@h/", "::"] {
            assert!(
                Endpoint::parse(url, &ClientConfig::default()).is_err(),
                "{url}"
            );
        }
    }
}
