//! [`ProxyConfig`]: whether the client's connections tunnel through an HTTP proxy, and the
//! standard environment variables that choose one by default.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;

use super::ConnectError;
use super::no_proxy::bypasses;

/// Reads one environment variable (or what stands in for the environment).
type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Which HTTP proxy the client tunnels through (`CONNECT`), for the polling requests and the
/// WebSocket alike. A TLS server is reached through the tunnel, so the proxy sees only the
/// host and port.
///
/// The environment is read as curl reads it, at [`connect`](super::connect):
/// - `https_proxy`/`HTTPS_PROXY` for `https://` servers, `http_proxy`/`HTTP_PROXY` for
///   `http://` ones, then `all_proxy`/`ALL_PROXY` for either; the lower-case name wins, an
///   empty value counts as unset, and `HTTP_PROXY` is ignored when `REQUEST_METHOD` is set (in
///   a CGI program it may come from a request's `Proxy:` header).
/// - The value is `http://[user[:password]@]host[:port]` (`http://` may be left out; the port
///   defaults to 80); user and password are percent-decoded and sent as basic
///   `Proxy-Authorization`. Other schemes (`https://`, `socks5://`) fail the connect with
///   [`ConnectError::InvalidProxy`] rather than going around the proxy.
/// - `no_proxy`/`NO_PROXY` lists, comma-separated, the servers reached directly: `*` (all),
///   a host name, which also covers its subdomains (a leading `.` or `*.` changes nothing),
///   an IP address, a CIDR block (`10.0.0.0/8`), each optionally with `:port` (`[::1]:8080`
///   for IPv6). Loopback addresses are **not** exempt unless listed: `localhost` and
///   `127.0.0.1` go through the proxy like any other host.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum ProxyConfig {
    /// The proxy of the process's environment variables, as above. The default.
    #[default]
    FromEnv,
    /// The same rules with the variables read from this function instead of the process
    /// environment (by name, e.g. `"HTTPS_PROXY"`; `None` when unset).
    FromVars(Arc<Lookup>),
    /// No proxy, whatever the environment says.
    None,
    /// Always this proxy, `http://[user[:password]@]host[:port]`; `NO_PROXY` does not apply.
    Url(String),
}

impl ProxyConfig {
    /// [`ProxyConfig::FromVars`] with `lookup`.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        ProxyConfig::FromVars(Arc::new(lookup))
    }

    /// [`ProxyConfig::Url`] with `url`.
    pub fn url(url: impl Into<String>) -> Self {
        ProxyConfig::Url(url.into())
    }

    /// The proxy for a server at `host:port` (`host` without IPv6 brackets), `secure` for
    /// `https://`; `None` to connect directly.
    pub(crate) fn resolve(
        &self,
        secure: bool,
        host: &str,
        port: u16,
    ) -> Result<Option<Proxy>, ConnectError> {
        match self {
            ProxyConfig::FromEnv => from_vars(secure, host, port, &|name| std::env::var(name).ok()),
            ProxyConfig::FromVars(lookup) => from_vars(secure, host, port, lookup.as_ref()),
            ProxyConfig::None => Ok(None),
            ProxyConfig::Url(url) => Proxy::parse(url, "ClientConfig::proxy").map(Some),
        }
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyConfig::FromEnv => f.write_str("FromEnv"),
            ProxyConfig::FromVars(_) => f.write_str("FromVars(..)"),
            ProxyConfig::None => f.write_str("None"),
            // The URL may hold a password.
            ProxyConfig::Url(_) => f.write_str("Url(..)"),
        }
    }
}

/// An HTTP proxy to open tunnels through.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Proxy {
    /// Without the brackets of an IPv6 literal.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// The `Proxy-Authorization` value, from the URL's user information.
    pub(crate) authorization: Option<String>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("authorization", &self.authorization.as_ref().map(|_| ".."))
            .finish()
    }
}

impl Proxy {
    /// Parses `[http://][user[:password]@]host[:port][/]`; `source` names where it came
    /// from in the error, which never repeats the URL (it may hold a password).
    fn parse(url: &str, source: &str) -> Result<Proxy, ConnectError> {
        let invalid = |why: &str| ConnectError::InvalidProxy(format!("{source}: {why}"));
        let url = url.trim();
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(invalid(&format!(
                    "only http:// proxies are supported, not {scheme}://"
                )));
            }
            None => url,
        };
        let authority = match rest.split_once('/') {
            Some((authority, "")) => authority,
            Some(_) => return Err(invalid("a proxy URL has no path")),
            None => rest,
        };
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        let parsed: http::uri::Authority = host_port
            .parse()
            .map_err(|_| invalid("not a host[:port]"))?;
        if parsed.host().is_empty() {
            return Err(invalid("no host"));
        }
        let written_port = parsed
            .as_str()
            .rsplit_once(':')
            .is_some_and(|(_, port)| !port.contains(']'));
        let port = match parsed.port_u16() {
            Some(port) => port,
            None if written_port => return Err(invalid("the port is not a number up to 65535")),
            None => 80,
        };
        let authorization = userinfo.map(|userinfo| {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let credentials = format!("{}:{}", percent_decode(user), percent_decode(password));
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            )
        });
        Ok(Proxy {
            host: parsed
                .host()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            authorization,
        })
    }
}

/// The proxy the variables of `lookup` choose for `host:port`.
fn from_vars(
    secure: bool,
    host: &str,
    port: u16,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Proxy>, ConnectError> {
    let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    // httpoxy: a CGI server turns a request's `Proxy:` header into HTTP_PROXY.
    let cgi = lookup("REQUEST_METHOD").is_some();
    let names: &[&str] = match (secure, cgi) {
        (true, _) => &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
        (false, false) => &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
        (false, true) => &["http_proxy", "all_proxy", "ALL_PROXY"],
    };
    let Some((name, url)) = names
        .iter()
        .find_map(|name| get(name).map(|value| (*name, value)))
    else {
        return Ok(None);
    };
    let no_proxy = get("no_proxy").or_else(|| get("NO_PROXY"));
    if no_proxy.is_some_and(|list| bypasses(&list, host, port)) {
        return Ok(None);
    }
    Proxy::parse(&url, name).map(Some)
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], escaped) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn pick(pairs: &[(&str, &str)], secure: bool, host: &str, port: u16) -> Option<String> {
        from_vars(secure, host, port, &vars(pairs))
            .expect("valid")
            .map(|proxy| format!("{}:{}", proxy.host, proxy.port))
    }

    #[test]
    fn the_scheme_picks_the_variable_and_all_proxy_is_the_fallback() {
        let env = [
            ("HTTP_PROXY", "http://plain:1"),
            ("HTTPS_PROXY", "http://secure:2"),
            ("ALL_PROXY", "http://all:3"),
        ];
        assert_eq!(pick(&env, false, "h", 80).as_deref(), Some("plain:1"));
        assert_eq!(pick(&env, true, "h", 443).as_deref(), Some("secure:2"));
        let env = [("all_proxy", "all:3"), ("HTTPS_PROXY", "")];
        assert_eq!(pick(&env, true, "h", 443).as_deref(), Some("all:3"));
        assert_eq!(pick(&env, false, "h", 80).as_deref(), Some("all:3"));
        assert_eq!(pick(&[], false, "h", 80), None);
        assert_eq!(pick(&[("HTTPS_PROXY", "s:2")], false, "h", 80), None);
    }

    #[test]
    fn lower_case_wins_and_cgi_ignores_upper_case_http_proxy() {
        let env = [("HTTP_PROXY", "upper:1"), ("http_proxy", "lower:2")];
        assert_eq!(pick(&env, false, "h", 80).as_deref(), Some("lower:2"));
        let env = [("HTTP_PROXY", "evil:1"), ("REQUEST_METHOD", "GET")];
        assert_eq!(pick(&env, false, "h", 80), None);
        let env = [("HTTPS_PROXY", "s:1"), ("REQUEST_METHOD", "GET")];
        assert_eq!(pick(&env, true, "h", 443).as_deref(), Some("s:1"));
    }

    #[test]
    fn no_proxy_exempts_listed_servers_but_not_loopback_by_itself() {
        let proxy = ("HTTP_PROXY", "p:1");
        let env = [proxy, ("NO_PROXY", "example.com, 10.0.0.0/8")];
        assert_eq!(pick(&env, false, "api.example.com", 80), None);
        assert_eq!(pick(&env, false, "10.1.2.3", 80), None);
        assert_eq!(pick(&env, false, "localhost", 80).as_deref(), Some("p:1"));
        assert_eq!(pick(&env, false, "127.0.0.1", 80).as_deref(), Some("p:1"));
        let env = [proxy, ("no_proxy", "localhost"), ("NO_PROXY", "*")];
        assert_eq!(pick(&env, false, "localhost", 80), None);
        assert_eq!(pick(&env, false, "other", 80).as_deref(), Some("p:1"));
    }

    #[test]
    fn proxy_urls_give_host_port_and_basic_credentials() {
        let proxy = Proxy::parse("http://us%40r:p%3Ass@proxy.local:3128/", "test").unwrap();
        assert_eq!((proxy.host.as_str(), proxy.port), ("proxy.local", 3128));
        // base64 of `us@r:p:ss`
        assert_eq!(proxy.authorization.as_deref(), Some("Basic dXNAcjpwOnNz"));
        let proxy = Proxy::parse("HTTP://[::1]", "test").unwrap();
        assert_eq!((proxy.host.as_str(), proxy.port), ("::1", 80));
        assert_eq!(proxy.authorization, None);
        let proxy = Proxy::parse("user@p:8", "test").unwrap();
        assert_eq!(proxy.authorization.as_deref(), Some("Basic dXNlcjo="));
    }

    #[test]
    fn unusable_proxy_urls_are_errors_without_the_password() {
        for url in [
            "socks5://p:1",
            "https://p:1",
            "http://p:1/path",
            "http://",
            "http://u:secret@:1",
            "http://p:",
            "http://p:99999",
            "p q:1",
        ] {
            let error = Proxy::parse(url, "HTTPS_PROXY").expect_err(url).to_string();
            assert!(error.contains("HTTPS_PROXY"), "{error}");
            assert!(!error.contains("secret"), "{error}");
        }
        let env = [("HTTPS_PROXY", "socks5://p:1")];
        assert!(from_vars(true, "h", 443, &vars(&env)).is_err());
    }

    #[test]
    fn explicit_settings_ignore_the_environment() {
        assert_eq!(ProxyConfig::None.resolve(false, "h", 80).unwrap(), None);
        let proxy = ProxyConfig::url("p:9").resolve(true, "h", 443).unwrap();
        assert_eq!(proxy.map(|p| p.port), Some(9));
        let config = ProxyConfig::from_vars(|name| (name == "HTTPS_PROXY").then(|| "q:7".into()));
        let proxy = config.resolve(true, "h", 443).unwrap();
        assert_eq!(proxy.map(|p| p.host), Some("q".to_owned()));
        assert!(!format!("{:?}", ProxyConfig::url("http://u:secret@p")).contains("secret"));
    }

    #[test]
    fn percent_decoding_leaves_stray_percent_signs() {
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }
}
