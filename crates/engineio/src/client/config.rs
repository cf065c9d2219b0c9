//! [`ClientConfig`]: how a client connects — transports, query, headers, limits, proxy, TLS.

use std::net::IpAddr;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::{ProxyConfig, Transport};

/// How [`connect`](super::connect) reaches the server. The defaults are engine.io-client's.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The transports to use, the handshake's first; the session upgrades to WebSocket when
    /// the handshake went over polling, WebSocket is in the list and [`upgrade`](Self::upgrade)
    /// holds. Default: polling then WebSocket.
    pub transports: Vec<Transport>,
    /// Whether to upgrade from polling to WebSocket when the server offers it. Default `true`.
    pub upgrade: bool,
    /// Query pairs sent with every request, before `EIO`, `transport` and `sid`. Default none.
    pub query: Vec<(String, String)>,
    /// Headers sent with every polling request and the WebSocket handshake. Default none.
    pub headers: HeaderMap,
    /// Time allowed from the first connection to the open packet. Default 20 s, as
    /// engine.io-client's `timeout`.
    pub connect_timeout: Duration,
    /// Largest polling response body or WebSocket message accepted from the server; a larger
    /// one ends the session with `transport error`. Default 64 MiB.
    pub max_response_size: usize,
    /// The HTTP proxy to tunnel through. Default [`ProxyConfig::FromEnv`]: the standard
    /// environment variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`).
    pub proxy: ProxyConfig,
    /// The local address every connection is made from (the port is the kernel's choice).
    /// Default `None`: the kernel picks the address too. A load generator spreads its
    /// clients over several (`127.0.0.2`, `127.0.0.3`, ...) to hold more connections to one
    /// server than one address has ephemeral ports.
    pub local_address: Option<IpAddr>,
    /// The rustls configuration of `https://` servers (feature `tls`), for polling and the
    /// WebSocket alike. Default `None`: the webpki root certificates, as duplex-ws's
    /// `wss://`. Leave its ALPN protocols empty (or `http/1.1`): both transports speak
    /// HTTP/1.1.
    #[cfg(feature = "tls")]
    pub tls: Option<std::sync::Arc<duplex_ws::rustls::ClientConfig>>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            transports: vec![Transport::Polling, Transport::WebSocket],
            upgrade: true,
            query: Vec::new(),
            headers: HeaderMap::new(),
            connect_timeout: Duration::from_secs(20),
            max_response_size: 64 << 20,
            proxy: ProxyConfig::FromEnv,
            local_address: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ClientConfig {
    /// Sets [`ClientConfig::transports`]: `[WebSocket]` for WebSocket only, `[Polling]` for
    /// polling only.
    pub fn transports(mut self, transports: impl IntoIterator<Item = Transport>) -> Self {
        self.transports = transports.into_iter().collect();
        self
    }

    /// Sets [`ClientConfig::upgrade`].
    pub fn upgrade(mut self, upgrade: bool) -> Self {
        self.upgrade = upgrade;
        self
    }

    /// Adds a pair to [`ClientConfig::query`].
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Adds a header to [`ClientConfig::headers`].
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sets [`ClientConfig::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`ClientConfig::max_response_size`].
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Sets [`ClientConfig::proxy`].
    pub fn proxy(mut self, proxy: ProxyConfig) -> Self {
        self.proxy = proxy;
        self
    }

    /// Sets [`ClientConfig::local_address`].
    pub fn local_address(mut self, address: IpAddr) -> Self {
        self.local_address = Some(address);
        self
    }

    /// Sets [`ClientConfig::tls`] (feature `tls`).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: std::sync::Arc<duplex_ws::rustls::ClientConfig>) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The transport of the handshake and whether to upgrade after it.
    pub(crate) fn session_options(&self) -> duplex_engineio_proto::client::ClientOptions {
        let first = self
            .transports
            .first()
            .copied()
            .unwrap_or(Transport::Polling);
        let upgrade = self.upgrade
            && first == Transport::Polling
            && self.transports.contains(&Transport::WebSocket);
        duplex_engineio_proto::client::ClientOptions::default()
            .transport(first)
            .upgrade(upgrade)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_decide_the_handshake_and_the_upgrade() {
        let cases = [
            (
                vec![Transport::Polling, Transport::WebSocket],
                true,
                Transport::Polling,
                true,
            ),
            (vec![Transport::Polling], true, Transport::Polling, false),
            (
                vec![Transport::WebSocket],
                true,
                Transport::WebSocket,
                false,
            ),
            (
                vec![Transport::WebSocket, Transport::Polling],
                true,
                Transport::WebSocket,
                false,
            ),
            (
                vec![Transport::Polling, Transport::WebSocket],
                false,
                Transport::Polling,
                false,
            ),
        ];
        for (transports, upgrade, first, upgrades) in cases {
            let options = ClientConfig::default()
                .transports(transports.clone())
                .upgrade(upgrade)
                .session_options();
            assert_eq!(options.transport, first, "{transports:?}");
            assert_eq!(
                options.upgrade, upgrades,
                "{transports:?} upgrade={upgrade}"
            );
        }
    }
}
