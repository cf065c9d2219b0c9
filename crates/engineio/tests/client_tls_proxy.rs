//! The Engine.IO client (feature `tls`) over TLS and through an HTTP proxy, against real
//! peers: Node's `engine.io` serving https:// with a certificate made here by rcgen
//! (interop/eio_echo_server.mjs `--cert/--key`), and npm `proxy` (interop/http_proxy.mjs),
//! which reports every tunnel it opens. Each transport mode echoes text and binary.

use std::time::Duration;

use duplex_engineio::Message;
use duplex_engineio::client::{
    self, Client, ClientConfig, ClientEvent, ConnectError, Events, ProxyConfig, Transport,
};
use duplex_testkit::peers;
use duplex_testkit::tls::TestCert;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// The most any single step may take on a loaded machine.
const STEP: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Polling,
    WebSocket,
    Upgrade,
}

const MODES: [Mode; 3] = [Mode::Polling, Mode::WebSocket, Mode::Upgrade];

/// The mode's transports; no proxy unless the test sets one (whatever the environment says).
fn config(mode: Mode) -> ClientConfig {
    let transports = match mode {
        Mode::Polling => vec![Transport::Polling],
        Mode::WebSocket => vec![Transport::WebSocket],
        Mode::Upgrade => vec![Transport::Polling, Transport::WebSocket],
    };
    ClientConfig::default()
        .transports(transports)
        .proxy(ProxyConfig::None)
}

async fn within<F: std::future::Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(STEP, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out after {STEP:?}: {what}"),
    }
}

/// A peer from interop/, killed when dropped, with its stdout still to read.
struct Peer {
    _child: Child,
    port: u16,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Peer {
    async fn start(script: &str, args: &[&str]) -> Peer {
        let node = peers::node(&["engine.io", "proxy"]);
        let mut child = Command::from(peers::command(&node, script))
            .args(["--port", "0"])
            .args(args)
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let first = within("the peer announces its port", lines.next_line())
            .await
            .expect("readable")
            .unwrap_or_default();
        let port = peers::listening_port(&first)
            .unwrap_or_else(|| panic!("{script}: expected LISTENING <port>, got {first:?}"));
        Peer {
            _child: child,
            port,
            lines,
        }
    }

    /// The echo server over plain HTTP.
    async fn http_server() -> Peer {
        Peer::start("eio_echo_server.mjs", &["--quiet"]).await
    }

    /// The echo server over TLS with `cert`'s files.
    async fn https_server(cert: &TestCert) -> Peer {
        let (cert_path, key_path) = (cert.cert.to_string_lossy(), cert.key.to_string_lossy());
        Peer::start(
            "eio_echo_server.mjs",
            &["--quiet", "--cert", &cert_path, "--key", &key_path],
        )
        .await
    }

    /// The proxy, asking for `auth` (`user:password`) if given.
    async fn proxy(auth: Option<&str>) -> Peer {
        match auth {
            Some(auth) => Peer::start("http_proxy.mjs", &["--auth", auth]).await,
            None => Peer::start("http_proxy.mjs", &[]).await,
        }
    }

    /// The tunnels the proxy was asked for since the last call: (target, user, authorized)
    /// of each. A marker session (user `marker`, to port 1, which the proxy cannot reach)
    /// ends the list: the proxy prints each line (synchronously, to a pipe) when the request
    /// comes, so every earlier tunnel's line is before the marker's.
    async fn tunnels(&mut self) -> Vec<(String, Option<String>, bool)> {
        let via = ProxyConfig::url(format!("http://marker@127.0.0.1:{}", self.port));
        let marker = config(Mode::WebSocket).proxy(via);
        let error = within("marker", client::connect("http://127.0.0.1:1/", marker))
            .await
            .expect_err("the proxy cannot reach port 1");
        assert!(matches!(error, ConnectError::Proxy { .. }), "{error}");
        let mut tunnels = Vec::new();
        loop {
            let line = within("the proxy reports a tunnel", self.lines.next_line())
                .await
                .expect("readable")
                .expect("the proxy is still running");
            let value: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
            assert_eq!(value["event"], "connect", "{line}");
            let user = value["user"].as_str().map(str::to_owned);
            if user.as_deref() == Some("marker") {
                return tunnels;
            }
            tunnels.push((
                value["target"].as_str().unwrap_or_default().to_owned(),
                user,
                value["authorized"] == true,
            ));
        }
    }
}

async fn connect(url: &str, config: ClientConfig, mode: Mode) -> (Client, Events) {
    within("connect", client::connect(url, config))
        .await
        .unwrap_or_else(|e| panic!("connect to {url} in {mode:?}: {e}"))
}

async fn next_event(events: &mut Events) -> ClientEvent {
    within("the next client event", events.recv())
        .await
        .expect("the session's task ended without a close event")
}

/// Echoes a text and a binary message (in upgrade mode, once more after the upgrade), then
/// closes the session.
async fn echo(client: &Client, events: &mut Events, mode: Mode) {
    let pair = |round: u8| {
        [
            Message::text(format!("text {round} é")),
            Message::binary(vec![round, 0, 0xff, 0x1e]),
        ]
    };
    let rounds = if mode == Mode::Upgrade { 2 } else { 1 };
    let mut upgraded = false;
    for round in 0..rounds {
        for message in pair(round) {
            client.send(message).expect("queued");
        }
        let mut received = Vec::new();
        while received.len() < 2 || (mode == Mode::Upgrade && !upgraded) {
            match next_event(events).await {
                ClientEvent::Message(message) => received.push(message),
                ClientEvent::Upgrade if mode == Mode::Upgrade => upgraded = true,
                other => panic!("{mode:?}: unexpected {other:?}"),
            }
        }
        assert_eq!(received, pair(round), "{mode:?} round {round}");
    }
    let expected = match mode {
        Mode::Polling => Transport::Polling,
        Mode::WebSocket | Mode::Upgrade => Transport::WebSocket,
    };
    assert_eq!(client.transport(), expected, "{mode:?}");
    client.close();
    loop {
        if let ClientEvent::Close(_) = next_event(events).await {
            break;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// TLS

async fn over_tls(mode: Mode) {
    let cert = TestCert::new(&format!("tls-{mode:?}"));
    let server = Peer::https_server(&cert).await;
    let url = format!("https://127.0.0.1:{}/engine.io/", server.port);
    let (client, mut events) = connect(&url, config(mode).tls(cert.trusted()), mode).await;
    echo(&client, &mut events, mode).await;

    // The default configuration (webpki roots) does not trust a self-signed certificate.
    let error = within("untrusted", client::connect(&url, config(mode)))
        .await
        .expect_err("an untrusted certificate");
    assert!(matches!(error, ConnectError::Tls(_)), "{mode:?}: {error}");
}

#[tokio::test]
async fn tls_polling() {
    over_tls(Mode::Polling).await;
}

#[tokio::test]
async fn tls_websocket() {
    over_tls(Mode::WebSocket).await;
}

#[tokio::test]
async fn tls_polling_then_upgrade() {
    over_tls(Mode::Upgrade).await;
}

// ---------------------------------------------------------------------------------------------
// The proxy

/// Every connection of each mode's session asks the proxy for the server: the WebSocket-only
/// session exactly one, polling one or two (the GET and the POST connections), the upgrade
/// both of those plus the WebSocket's.
#[tokio::test]
async fn every_connection_goes_through_the_proxy() {
    let server = Peer::http_server().await;
    let mut proxy = Peer::proxy(None).await;
    let url = format!("http://127.0.0.1:{}/engine.io/", server.port);
    let target = format!("127.0.0.1:{}", server.port);
    for mode in MODES {
        let via = ProxyConfig::url(format!("http://session:pw@127.0.0.1:{}", proxy.port));
        let (client, mut events) = connect(&url, config(mode).proxy(via), mode).await;
        echo(&client, &mut events, mode).await;
        let tunnels = proxy.tunnels().await;
        for tunnel in &tunnels {
            assert_eq!(tunnel, &(target.clone(), Some("session".to_owned()), true));
        }
        let expected = match mode {
            Mode::WebSocket => 1..=1,
            Mode::Polling => 1..=2,
            Mode::Upgrade => 2..=3,
        };
        assert!(expected.contains(&tunnels.len()), "{mode:?}: {tunnels:?}");
    }
}

/// An https:// server through a proxy that wants credentials, chosen by HTTPS_PROXY (not
/// HTTP_PROXY, which points nowhere): the tunnel first, then TLS inside it.
#[tokio::test]
async fn tls_inside_an_authenticated_tunnel_from_https_proxy() {
    let cert = TestCert::new("tls-proxy");
    let server = Peer::https_server(&cert).await;
    let mut proxy = Peer::proxy(Some("user:secret")).await;
    let https_proxy = format!("http://user:secret@127.0.0.1:{}", proxy.port);
    let vars = ProxyConfig::from_vars(move |name| match name {
        "HTTPS_PROXY" => Some(https_proxy.clone()),
        "HTTP_PROXY" => Some("http://127.0.0.1:1".to_owned()),
        _ => None,
    });
    let url = format!("https://127.0.0.1:{}/engine.io/", server.port);
    for mode in MODES {
        let config = config(mode).tls(cert.trusted()).proxy(vars.clone());
        let (client, mut events) = connect(&url, config, mode).await;
        echo(&client, &mut events, mode).await;
        let tunnels = proxy.tunnels().await;
        assert!(!tunnels.is_empty(), "{mode:?}");
        for tunnel in &tunnels {
            let expected = (
                format!("127.0.0.1:{}", server.port),
                Some("user".to_owned()),
                true,
            );
            assert_eq!(tunnel, &expected, "{mode:?}");
        }
    }
}

/// NO_PROXY naming the server (with its port) keeps every connection off the proxy; a list
/// that does not (loopback is not exempt by itself) sends them through it.
#[tokio::test]
async fn no_proxy_bypasses_the_proxy() {
    let server = Peer::http_server().await;
    let mut proxy = Peer::proxy(None).await;
    let url = format!("http://127.0.0.1:{}/engine.io/", server.port);
    let proxy_port = proxy.port;
    let vars = |user: &str, no_proxy: String| {
        let http_proxy = format!("http://{user}@127.0.0.1:{proxy_port}");
        ProxyConfig::from_vars(move |name| match name {
            "http_proxy" => Some(http_proxy.clone()),
            "NO_PROXY" => Some(no_proxy.clone()),
            _ => None,
        })
    };
    let exempt = vars(
        "bypassed",
        format!("example.com, 127.0.0.1:{}", server.port),
    );
    let (client, mut events) =
        connect(&url, config(Mode::Upgrade).proxy(exempt), Mode::Upgrade).await;
    echo(&client, &mut events, Mode::Upgrade).await;
    assert_eq!(proxy.tunnels().await, vec![]);

    let listed = vars("proxied", "localhost,127.0.0.1:1,::1".to_owned());
    let (client, mut events) =
        connect(&url, config(Mode::Upgrade).proxy(listed), Mode::Upgrade).await;
    echo(&client, &mut events, Mode::Upgrade).await;
    let tunnels = proxy.tunnels().await;
    assert!(tunnels.len() >= 2, "{tunnels:?}");
    assert!(
        tunnels
            .iter()
            .all(|(_, user, _)| user.as_deref() == Some("proxied"))
    );
}

/// A proxy wanting credentials answers 407 to none or wrong ones: a typed error in either
/// transport, as is an unreachable proxy and one the client cannot use.
#[tokio::test]
async fn proxy_failures_are_typed() {
    let server = Peer::http_server().await;
    let proxy = Peer::proxy(Some("user:secret")).await;
    let url = format!("http://127.0.0.1:{}/engine.io/", server.port);
    for mode in [Mode::Polling, Mode::WebSocket] {
        for credentials in ["", "user:wrong@"] {
            let via = ProxyConfig::url(format!("http://{credentials}127.0.0.1:{}", proxy.port));
            let error = within("refused", client::connect(&url, config(mode).proxy(via)))
                .await
                .expect_err("407");
            assert!(
                matches!(error, ConnectError::Proxy { status: 407 }),
                "{mode:?} {credentials:?}: {error}"
            );
        }
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = closed.local_addr().expect("addr").port();
        drop(closed);
        let via = ProxyConfig::url(format!("http://127.0.0.1:{port}"));
        let error = within("no proxy", client::connect(&url, config(mode).proxy(via)))
            .await
            .expect_err("nothing listens");
        assert!(
            matches!(error, ConnectError::Connect(_)),
            "{mode:?}: {error}"
        );
        let socks = ProxyConfig::from_vars(|name| {
            (name == "ALL_PROXY").then(|| "socks5://127.0.0.1:1080".to_owned())
        });
        let error = within("socks", client::connect(&url, config(mode).proxy(socks)))
            .await
            .expect_err("not an HTTP proxy");
        assert!(
            matches!(error, ConnectError::InvalidProxy(_)),
            "{mode:?}: {error}"
        );
        assert!(error.to_string().contains("ALL_PROXY"), "{error}");
    }
}
