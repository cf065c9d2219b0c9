//! What the server reads from a request: the Engine.IO query parameters, and the handshake
//! request kept for the application.

use std::net::SocketAddr;
use std::time::SystemTime;

use http::{HeaderMap, HeaderValue, Method, Uri};

/// The peer's address, as a request extension: [`serve`](crate::serve) sets it; other
/// servers can insert it before the Engine.IO service sees the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteAddr(pub SocketAddr);

/// The request that opened a session, as `allow_request` and the application see it.
#[derive(Debug, Clone)]
pub struct HandshakeRequest {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    remote_addr: Option<SocketAddr>,
    time: SystemTime,
}

impl HandshakeRequest {
    /// A copy of the request's head. Deep: hyper's header values and URI are slices of its
    /// connection read buffer (16 KiB), which a shallow clone would keep alive for the whole
    /// session (measured: 16 KiB per idle session instead of ~2).
    pub(crate) fn from_request<B>(request: &http::Request<B>) -> HandshakeRequest {
        let mut headers = HeaderMap::with_capacity(request.headers().len());
        for (name, value) in request.headers() {
            if let Ok(mut copy) = HeaderValue::from_bytes(value.as_bytes()) {
                copy.set_sensitive(value.is_sensitive());
                headers.append(name.clone(), copy);
            }
        }
        let uri = Uri::try_from(request.uri().to_string()).unwrap_or_default();
        HandshakeRequest {
            method: request.method().clone(),
            uri,
            headers,
            remote_addr: request.extensions().get::<RemoteAddr>().map(|a| a.0),
            time: SystemTime::now(),
        }
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request URI, with the query (`EIO`, `transport`, and the application's own).
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value of query parameter `name`, as sent (not percent-decoded).
    pub fn query(&self, name: &str) -> Option<&str> {
        query_param(self.uri.query().unwrap_or(""), name)
    }

    /// The peer's address, when the server recorded it ([`RemoteAddr`]).
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// When the request arrived.
    pub fn time(&self) -> SystemTime {
        self.time
    }
}

/// The Engine.IO parameters of a request's query.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EngineQuery<'a> {
    pub(crate) eio: Option<&'a str>,
    pub(crate) transport: Option<&'a str>,
    pub(crate) sid: Option<&'a str>,
}

impl<'a> EngineQuery<'a> {
    pub(crate) fn parse(query: &'a str) -> EngineQuery<'a> {
        EngineQuery {
            eio: query_param(query, "EIO"),
            transport: query_param(query, "transport"),
            sid: query_param(query, "sid"),
        }
    }
}

/// The first value of `name` in a query string. Engine.IO's own values (versions, transport
/// names, ids) are URL-safe, so they are compared as sent.
fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_engine_parameters() {
        let q = EngineQuery::parse("EIO=4&transport=polling&t=N8hyd6w&sid=abc&x");
        assert_eq!(q.eio, Some("4"));
        assert_eq!(q.transport, Some("polling"));
        assert_eq!(q.sid, Some("abc"));
        assert_eq!(EngineQuery::parse(""), EngineQuery::default());
        assert_eq!(query_param("a&b=1", "a"), Some(""));
    }
}
