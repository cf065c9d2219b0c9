use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use super::*;
use crate::handshake::fixtures;

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A minimal valid request with `edit` applied to its header lines.
fn request_with(request_line: &str, edit: impl FnOnce(&mut Vec<String>)) -> http::Request<()> {
    let mut lines: Vec<String> = [
        "Host: example.com",
        "Upgrade: websocket",
        "Connection: Upgrade",
        &format!("Sec-WebSocket-Key: {KEY}"),
        "Sec-WebSocket-Version: 13",
    ]
    .iter()
    .map(|l| l.to_string())
    .collect();
    edit(&mut lines);
    fixtures::request(&format!("{request_line}\r\n{}\r\n\r\n", lines.join("\r\n")))
}

/// A change to the header lines of [`request_with`].
type Edit = Box<dyn FnOnce(&mut Vec<String>)>;

fn without(name: &'static str) -> impl FnOnce(&mut Vec<String>) {
    move |lines| lines.retain(|l| !l.starts_with(&format!("{name}:")))
}

fn replace(name: &'static str, value: &'static str) -> impl FnOnce(&mut Vec<String>) {
    move |lines| {
        lines.retain(|l| !l.starts_with(&format!("{name}:")));
        lines.push(format!("{name}: {value}"));
    }
}

fn adding(line: &'static str) -> impl FnOnce(&mut Vec<String>) {
    move |lines| lines.push(line.to_owned())
}

fn header(accepted: &Accepted, name: HeaderName) -> Option<&str> {
    accepted
        .response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
}

#[test]
fn real_clients_are_accepted() {
    let server = ServerHandshake::new();
    for head in fixtures::ALL {
        let request = fixtures::request(head);
        let accepted = server
            .accept(&request)
            .unwrap_or_else(|r| panic!("{r:?}\n{head}"));
        assert_eq!(accepted.response.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(header(&accepted, header::UPGRADE), Some("websocket"));
        assert_eq!(header(&accepted, header::CONNECTION), Some("Upgrade"));
        let key = request.headers()[header::SEC_WEBSOCKET_KEY].as_bytes();
        assert_eq!(
            header(&accepted, header::SEC_WEBSOCKET_ACCEPT),
            Some(accept_key(key).as_str())
        );
        // No selector and no deflate configured: neither is negotiated.
        assert_eq!(accepted.protocol, None);
        assert_eq!(accepted.deflate, None);
        assert_eq!(header(&accepted, header::SEC_WEBSOCKET_PROTOCOL), None);
        assert_eq!(header(&accepted, header::SEC_WEBSOCKET_EXTENSIONS), None);
    }
}

#[test]
fn rfc_example_accept_value() {
    let accepted = ServerHandshake::new()
        .accept(&request_with("GET / HTTP/1.1", |_| {}))
        .unwrap();
    assert_eq!(
        header(&accepted, header::SEC_WEBSOCKET_ACCEPT),
        Some(ACCEPT)
    );
}

#[test]
fn bad_requests() {
    let cases: Vec<(&str, &str, Edit, HandshakeError)> = vec![
        (
            "POST",
            "POST / HTTP/1.1",
            Box::new(|_| {}),
            HandshakeError::Method(Method::POST),
        ),
        (
            "HTTP/1.0",
            "GET / HTTP/1.0",
            Box::new(|_| {}),
            HandshakeError::HttpVersion(Version::HTTP_10),
        ),
        (
            "no Host",
            "GET / HTTP/1.1",
            Box::new(without("Host")),
            HandshakeError::MissingHeader("Host"),
        ),
        (
            "two Hosts",
            "GET / HTTP/1.1",
            Box::new(adding("Host: evil.example")),
            HandshakeError::InvalidHeader {
                header: "Host",
                reason: "must appear once",
            },
        ),
        (
            "no Upgrade",
            "GET / HTTP/1.1",
            Box::new(without("Upgrade")),
            HandshakeError::MissingHeader("Upgrade"),
        ),
        (
            "Upgrade: h2c",
            "GET / HTTP/1.1",
            Box::new(replace("Upgrade", "h2c")),
            HandshakeError::MissingToken {
                header: "Upgrade",
                token: "websocket",
            },
        ),
        (
            "no Connection",
            "GET / HTTP/1.1",
            Box::new(without("Connection")),
            HandshakeError::MissingHeader("Connection"),
        ),
        (
            "Connection: keep-alive",
            "GET / HTTP/1.1",
            Box::new(replace("Connection", "keep-alive")),
            HandshakeError::MissingToken {
                header: "Connection",
                token: "upgrade",
            },
        ),
        (
            "no key",
            "GET / HTTP/1.1",
            Box::new(without("Sec-WebSocket-Key")),
            HandshakeError::MissingHeader("Sec-WebSocket-Key"),
        ),
        (
            "key not base64",
            "GET / HTTP/1.1",
            Box::new(replace("Sec-WebSocket-Key", "this is not base64 !!!!!")),
            HandshakeError::BadKey,
        ),
        (
            "key of 15 bytes",
            "GET / HTTP/1.1",
            Box::new(replace("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=")),
            HandshakeError::BadKey,
        ),
        (
            "key of 32 bytes",
            "GET / HTTP/1.1",
            Box::new(replace(
                "Sec-WebSocket-Key",
                "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ==",
            )),
            HandshakeError::BadKey,
        ),
        (
            "two keys",
            "GET / HTTP/1.1",
            Box::new(adding("Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==")),
            HandshakeError::InvalidHeader {
                header: "Sec-WebSocket-Key",
                reason: "must appear once",
            },
        ),
        (
            "version 8",
            "GET / HTTP/1.1",
            Box::new(replace("Sec-WebSocket-Version", "8")),
            HandshakeError::UnsupportedVersion("8".into()),
        ),
        (
            "no version",
            "GET / HTTP/1.1",
            Box::new(without("Sec-WebSocket-Version")),
            HandshakeError::UnsupportedVersion("none".into()),
        ),
        (
            "versions 13 and 8",
            "GET / HTTP/1.1",
            Box::new(replace("Sec-WebSocket-Version", "13, 8")),
            HandshakeError::UnsupportedVersion("13, 8".into()),
        ),
        (
            "a body",
            "GET / HTTP/1.1",
            Box::new(adding("Content-Length: 5")),
            HandshakeError::InvalidHeader {
                header: "Content-Length",
                reason: "an upgrade request cannot carry a body",
            },
        ),
        (
            "a chunked body",
            "GET / HTTP/1.1",
            Box::new(adding("Transfer-Encoding: chunked")),
            HandshakeError::InvalidHeader {
                header: "Content-Length",
                reason: "an upgrade request cannot carry a body",
            },
        ),
        (
            "a subprotocol that is not a token",
            "GET / HTTP/1.1",
            Box::new(adding("Sec-WebSocket-Protocol: chat, bad/proto")),
            HandshakeError::InvalidHeader {
                header: "Sec-WebSocket-Protocol",
                reason: "every subprotocol must be a token",
            },
        ),
    ];
    let hook_calls = Arc::new(AtomicUsize::new(0));
    let calls = hook_calls.clone();
    let server = ServerHandshake::new().check_request(move |_| {
        calls.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    for (what, line, edit, error) in cases {
        let rejection = server.accept(&request_with(line, edit)).unwrap_err();
        let expected = Rejection::from(error.clone());
        assert_eq!(rejection, expected, "{what}");
        let status = if matches!(error, HandshakeError::UnsupportedVersion(_)) {
            StatusCode::UPGRADE_REQUIRED
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(rejection.status(), status, "{what}");
    }
    assert_eq!(
        hook_calls.load(Ordering::Relaxed),
        0,
        "the hook sees only valid upgrades"
    );
}

#[test]
fn version_8_is_told_which_version_to_use() {
    let request = request_with("GET / HTTP/1.1", replace("Sec-WebSocket-Version", "8"));
    let rejection = ServerHandshake::new().accept(&request).unwrap_err();
    assert_eq!(rejection.status(), StatusCode::UPGRADE_REQUIRED);
    assert_eq!(rejection.headers()[header::SEC_WEBSOCKET_VERSION], "13");
    let mut wire = Vec::new();
    rejection.write(&mut wire);
    let text = String::from_utf8(wire).unwrap();
    assert!(
        text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nsec-websocket-version: 13\r\n"), "{text}");
}

#[test]
fn lenient_where_the_rfc_allows() {
    let edits: Vec<Edit> = vec![
        Box::new(replace("Upgrade", "WebSocket")),
        Box::new(replace("Connection", "keep-alive, Upgrade")),
        Box::new(replace("Connection", "UPGRADE")),
        Box::new(|lines: &mut Vec<String>| {
            lines.retain(|l| !l.starts_with("Connection:"));
            lines.push("Connection: keep-alive".into());
            lines.push("Connection: upgrade".into());
        }),
        Box::new(adding("Content-Length: 0")),
    ];
    for edit in edits {
        let request = request_with("GET / HTTP/1.1", edit);
        assert!(
            ServerHandshake::new().accept(&request).is_ok(),
            "{:?}",
            request.headers()
        );
    }
}

#[test]
fn hook_sees_origin_path_and_query_and_may_refuse() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = ServerHandshake::new().check_request(move |request| {
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok());
        log.lock()
            .unwrap()
            .push((request.uri().to_string(), origin.map(str::to_owned)));
        match origin {
            Some("https://example.com") => Ok(()),
            _ => Err(Rejection::new(
                StatusCode::FORBIDDEN,
                "cross-origin request refused",
            )),
        }
    });
    assert!(server.accept(&fixtures::request(fixtures::FIREFOX)).is_ok());
    let refused = server
        .accept(&fixtures::request(fixtures::CHROME))
        .unwrap_err();
    assert_eq!(
        refused,
        Rejection::new(StatusCode::FORBIDDEN, "cross-origin request refused")
    );
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (
                "/socket?room=1&token=abc".to_owned(),
                Some("https://example.com".to_owned())
            ),
            ("/chat".to_owned(), Some("http://localhost:8080".to_owned())),
        ]
    );
}

#[test]
fn subprotocol_selection() {
    let two_headers = |lines: &mut Vec<String>| {
        lines.push("Sec-WebSocket-Protocol: a, b".into());
        lines.push("Sec-WebSocket-Protocol: c".into());
    };
    let offered = Arc::new(Mutex::new(Vec::new()));
    let log = offered.clone();
    let choose = |wanted: &'static str| {
        let log = log.clone();
        ServerHandshake::new().select_protocol(move |protocols| {
            log.lock()
                .unwrap()
                .push(protocols.iter().map(|p| p.to_string()).collect::<Vec<_>>());
            protocols
                .iter()
                .find(|p| **p == wanted)
                .map(|p| p.to_string())
        })
    };

    let accepted = choose("b")
        .accept(&request_with("GET / HTTP/1.1", two_headers))
        .unwrap();
    assert_eq!(accepted.protocol.as_deref(), Some("b"));
    assert_eq!(header(&accepted, header::SEC_WEBSOCKET_PROTOCOL), Some("b"));
    assert_eq!(offered.lock().unwrap().pop().unwrap(), ["a", "b", "c"]);

    let accepted = choose("z")
        .accept(&request_with("GET / HTTP/1.1", two_headers))
        .unwrap();
    assert_eq!(accepted.protocol, None);
    assert_eq!(header(&accepted, header::SEC_WEBSOCKET_PROTOCOL), None);

    // Nothing offered: the selector has nothing to choose from and is not asked.
    offered.lock().unwrap().clear();
    let accepted = choose("a")
        .accept(&request_with("GET / HTTP/1.1", |_| {}))
        .unwrap();
    assert_eq!(accepted.protocol, None);
    assert!(offered.lock().unwrap().is_empty());

    // Choosing something the client did not offer is the server's bug.
    let rogue = ServerHandshake::new().select_protocol(|_| Some("mine".into()));
    let refused = rogue
        .accept(&request_with("GET / HTTP/1.1", two_headers))
        .unwrap_err();
    assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[test]
fn extra_headers_never_override_the_handshake() {
    let server = ServerHandshake::new()
        .header(header::SERVER, HeaderValue::from_static("duplex"))
        .header(header::UPGRADE, HeaderValue::from_static("h2c"));
    let accepted = server
        .accept(&request_with("GET / HTTP/1.1", |_| {}))
        .unwrap();
    assert_eq!(header(&accepted, header::SERVER), Some("duplex"));
    assert_eq!(
        accepted
            .response
            .headers()
            .get_all(header::UPGRADE)
            .iter()
            .count(),
        1
    );
    assert_eq!(header(&accepted, header::UPGRADE), Some("websocket"));
}

#[test]
fn deflate_follows_the_negotiation() {
    let config = DeflateConfig::default();
    let server = ServerHandshake::new().deflate(Some(config.clone()));
    assert_eq!(server.deflate_config(), Some(&config));
    for head in [fixtures::CHROME, fixtures::FIREFOX] {
        let request = fixtures::request(head);
        let offer = request.headers()[header::SEC_WEBSOCKET_EXTENSIONS]
            .to_str()
            .unwrap();
        let accepted = server.accept(&request).unwrap();
        assert_eq!(accepted.deflate, DeflateParams::negotiate([offer], &config));
        assert_eq!(
            header(&accepted, header::SEC_WEBSOCKET_EXTENSIONS).map(str::to_owned),
            accepted.deflate.map(|p| p.response_header())
        );
    }
    // An offer of another extension only is never taken for permessage-deflate.
    let request = request_with(
        "GET / HTTP/1.1",
        adding("Sec-WebSocket-Extensions: x-webkit-deflate-frame"),
    );
    assert_eq!(server.accept(&request).unwrap().deflate, None);
}

fn header_line() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "Host",
        "Upgrade",
        "Connection",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions",
        "Content-Length",
        "Origin",
    ]);
    let values = prop::sample::select(vec![
        "websocket",
        "Upgrade",
        "keep-alive, upgrade",
        "13",
        "8",
        KEY,
        "AAAAAAAAAAAAAAAAAAAAAA==",
        "chat, superchat",
        ",,,",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; server_max_window_bits=\"10\", x-foo",
        "\"unterminated",
        "0",
        "example.com",
    ]);
    (names, values).prop_map(|(n, v)| format!("{n}: {v}"))
}

proptest! {
    /// Any mix of handshake headers: an answer, never a panic, and only the
    /// statuses a server should give.
    #[test]
    fn any_header_mix_gets_an_answer(
        method in prop::sample::select(vec!["GET", "POST", "HEAD"]),
        lines in prop::collection::vec(header_line(), 0..12),
    ) {
        let fields: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
        let head = format!("{method} /x HTTP/1.1\r\n{fields}\r\n");
        let request = fixtures::request(&head);
        let server = ServerHandshake::new()
            .deflate(Some(DeflateConfig::default()))
            .select_protocol(|offered| offered.last().map(|p| p.to_string()));
        match server.accept(&request) {
            Ok(accepted) => prop_assert_eq!(accepted.response.status(), StatusCode::SWITCHING_PROTOCOLS),
            Err(rejection) => prop_assert!(
                [StatusCode::BAD_REQUEST, StatusCode::UPGRADE_REQUIRED].contains(&rejection.status()),
                "{:?}", rejection
            ),
        }
    }
}

proptest! {
    /// Any bytes after a request line: whatever parses gets an answer, never a panic.
    #[test]
    fn arbitrary_heads_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        head.extend_from_slice(&bytes);
        if let Ok(Some((request, _))) = crate::handshake::parse_request(&head, 1024) {
            let server = ServerHandshake::new().deflate(Some(DeflateConfig::default()));
            let mut out = Vec::new();
            match server.accept(&request) {
                Ok(accepted) => crate::handshake::write_response(&accepted.response, &mut out),
                Err(rejection) => rejection.write(&mut out),
            }
            prop_assert!(out.starts_with(b"HTTP/1.1 "));
        }
    }
}
