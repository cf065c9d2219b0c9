//! How the `sio-*` load generators reach a server: through duplex's Socket.IO client
//! (`duplex_socketio::client`), one connection per client, configured for load rather
//! than for an application. The client speaks the protocol, not our server's
//! internals, so the same load runs against any Socket.IO v5 server.

use std::time::Duration;

use duplex_socketio::client::{ClientBuilder, ProxyConfig, Socket, Transport};

use super::eio_client::BenchError;

/// Longest a client may take to connect its namespace (and, where the load needs it, to
/// join its room).
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A Socket.IO server to load: where it is and its Engine.IO path.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// `http://host:port/`, with the URL's query.
    base: String,
    path: String,
}

impl Target {
    /// Parses `http://host:port/path/`, the path being the Engine.IO path (`/socket.io/`
    /// when none).
    pub fn parse(url: &str) -> Result<Target, BenchError> {
        let uri: http::Uri = url.parse()?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("{url}: the URL must be http://host:port/path/").into());
        }
        let authority = uri.authority().ok_or("the URL has no host")?;
        let path = match uri.path() {
            "" | "/" => "/socket.io/",
            path => path,
        };
        let mut base = format!("http://{authority}/");
        if let Some(query) = uri.query() {
            base.push('?');
            base.push_str(query);
        }
        Ok(Target {
            base,
            path: path.to_owned(),
        })
    }

    /// A client of `namespace` on this server over `transports`.
    pub fn client(&self, namespace: &str, transports: &[Transport]) -> ClientBuilder {
        ClientBuilder::new(self.base.as_str())
            .path(self.path.as_str())
            .namespace(namespace)
            .transports(transports.iter().copied())
            // Polling-only stays polling-only: the transport is what the run measures.
            .upgrade(false)
            // A lost connection fails the run; a new one would hide it in the figures.
            .reconnection(false)
            // Nothing may sit between generator and server, whatever the environment says.
            .proxy(ProxyConfig::None)
            .connect_timeout(SETUP_TIMEOUT)
    }
}

/// Connects `client`, within [`SETUP_TIMEOUT`].
pub async fn connect(client: ClientBuilder) -> Result<Socket, BenchError> {
    match tokio::time::timeout(SETUP_TIMEOUT, client.connect()).await {
        Ok(Ok(socket)) => Ok(socket),
        Ok(Err(error)) => Err(format!("connecting: {error}").into()),
        Err(_) => Err(format!("connecting took over {} s", SETUP_TIMEOUT.as_secs()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_the_server_and_the_engine_io_path() {
        let target = |base: &str, path: &str| Target {
            base: base.to_owned(),
            path: path.to_owned(),
        };
        let parse = |url| Target::parse(url).ok();
        assert_eq!(
            parse("http://127.0.0.1:3000/socket.io/"),
            Some(target("http://127.0.0.1:3000/", "/socket.io/"))
        );
        assert_eq!(
            parse("http://h:1"),
            Some(target("http://h:1/", "/socket.io/"))
        );
        assert_eq!(
            parse("http://h:1/io/?token=x"),
            Some(target("http://h:1/?token=x", "/io/"))
        );
        assert_eq!(parse("ws://127.0.0.1:3000/socket.io/"), None);
        assert_eq!(parse("127.0.0.1:3000"), None);
    }
}
