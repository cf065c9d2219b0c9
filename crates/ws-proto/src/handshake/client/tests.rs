use proptest::prelude::*;

use super::*;
use crate::handshake::{
    DEFAULT_MAX_HEAD_LEN, MAX_BODY_EXCERPT, ServerHandshake, parse_request, parse_response,
};

fn written(request: &ClientRequest) -> String {
    let mut wire = Vec::new();
    request.write(&mut wire);
    String::from_utf8(wire).unwrap()
}

#[test]
fn request_from_uri() {
    // (uri, tls, host, port, request line, Host header)
    let cases = [
        (
            "ws://example.com/chat",
            false,
            "example.com",
            80,
            "GET /chat HTTP/1.1",
            "example.com",
        ),
        (
            "ws://example.com",
            false,
            "example.com",
            80,
            "GET / HTTP/1.1",
            "example.com",
        ),
        (
            "ws://example.com:80/",
            false,
            "example.com",
            80,
            "GET / HTTP/1.1",
            "example.com",
        ),
        (
            "ws://example.com:8080/a?b=c",
            false,
            "example.com",
            8080,
            "GET /a?b=c HTTP/1.1",
            "example.com:8080",
        ),
        (
            "ws://example.com?x=1",
            false,
            "example.com",
            80,
            "GET /?x=1 HTTP/1.1",
            "example.com",
        ),
        (
            "wss://example.com/",
            true,
            "example.com",
            443,
            "GET / HTTP/1.1",
            "example.com",
        ),
        (
            "wss://example.com:443/",
            true,
            "example.com",
            443,
            "GET / HTTP/1.1",
            "example.com",
        ),
        (
            "wss://example.com:80/",
            true,
            "example.com",
            80,
            "GET / HTTP/1.1",
            "example.com:80",
        ),
        (
            "WSS://Example.com/",
            true,
            "Example.com",
            443,
            "GET / HTTP/1.1",
            "Example.com",
        ),
        (
            "ws://[::1]:9001/x",
            false,
            "::1",
            9001,
            "GET /x HTTP/1.1",
            "[::1]:9001",
        ),
        (
            "ws://127.0.0.1:9001/",
            false,
            "127.0.0.1",
            9001,
            "GET / HTTP/1.1",
            "127.0.0.1:9001",
        ),
    ];
    for (uri, tls, host, port, line, host_header) in cases {
        let request = ClientRequest::new(uri).unwrap();
        assert_eq!(
            (request.is_tls(), request.host(), request.port()),
            (tls, host, port),
            "{uri}"
        );
        let text = written(&request);
        assert!(text.starts_with(&format!("{line}\r\n")), "{uri}: {text}");
        let http = request.to_request();
        assert_eq!(http.headers()[header::HOST], host_header, "{uri}");
    }
}

#[test]
fn invalid_uris() {
    for uri in [
        "http://example.com/",
        "example.com/chat",
        "/chat",
        "ws://",
        "ws:///chat",
        "ws://example.com/#fragment",
        "ws://user:secret@example.com/",
        "ws://exa mple.com/",
        "",
    ] {
        let result = ClientRequest::new(uri);
        assert!(
            matches!(result, Err(HandshakeError::InvalidUri(_))),
            "{uri:?}: {result:?}"
        );
    }
}

#[test]
fn request_headers() {
    let request = ClientRequest::new("ws://example.com/chat")
        .unwrap()
        .protocols(["chat", "superchat"])
        .unwrap()
        .header(
            header::ORIGIN,
            HeaderValue::from_static("https://example.com"),
        )
        .header(header::COOKIE, HeaderValue::from_static("sid=1"))
        .header(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("AAAAAAAAAAAAAAAAAAAAAA=="),
        )
        .header(header::UPGRADE, HeaderValue::from_static("h2c"));
    let http = request.to_request();
    let headers = http.headers();
    assert_eq!(headers[header::UPGRADE], "websocket");
    assert_eq!(headers.get_all(header::UPGRADE).iter().count(), 1);
    assert_eq!(headers[header::CONNECTION], "Upgrade");
    assert_eq!(headers[header::SEC_WEBSOCKET_VERSION], "13");
    assert_eq!(headers[header::SEC_WEBSOCKET_KEY], request.key());
    assert_eq!(headers.get_all(header::SEC_WEBSOCKET_KEY).iter().count(), 1);
    assert_eq!(headers[header::SEC_WEBSOCKET_PROTOCOL], "chat, superchat");
    assert_eq!(headers[header::ORIGIN], "https://example.com");
    assert_eq!(headers[header::COOKIE], "sid=1");
    assert!(headers.get(header::SEC_WEBSOCKET_EXTENSIONS).is_none());

    let custom_host = ClientRequest::new("ws://127.0.0.1:9001/")
        .unwrap()
        .header(header::HOST, HeaderValue::from_static("example.com"));
    assert_eq!(
        custom_host
            .to_request()
            .headers()
            .get_all(header::HOST)
            .iter()
            .count(),
        1
    );
    assert_eq!(
        custom_host.to_request().headers()[header::HOST],
        "example.com"
    );

    let config = DeflateConfig::default();
    let deflate = ClientRequest::new("ws://h/")
        .unwrap()
        .deflate(Some(config.clone()));
    assert_eq!(
        deflate.to_request().headers()[header::SEC_WEBSOCKET_EXTENSIONS],
        DeflateParams::offer(&config).as_str()
    );

    let bad = ClientRequest::new("ws://h/")
        .unwrap()
        .protocols(["ok", "not ok"]);
    assert!(matches!(bad, Err(HandshakeError::InvalidHeader { .. })));
}

#[test]
fn keys_are_fresh_and_valid() {
    let a = ClientRequest::new("ws://h/").unwrap();
    let b = ClientRequest::new("ws://h/").unwrap();
    assert_ne!(a.key(), b.key());
    assert!(crate::handshake::key::is_valid_key(a.key().as_bytes()));
}

#[test]
fn round_trip_with_our_server() {
    let client = ClientRequest::new("ws://example.com:8080/chat?x=1")
        .unwrap()
        .protocols(["v2", "v1"])
        .unwrap();
    let wire = written(&client);
    let (request, len) = parse_request(wire.as_bytes(), DEFAULT_MAX_HEAD_LEN)
        .unwrap()
        .unwrap();
    assert_eq!(len, wire.len());
    assert_eq!(request.uri(), "/chat?x=1");
    let server =
        ServerHandshake::new().select_protocol(|offered| offered.last().map(|p| p.to_string()));
    let accepted = server.accept(&request).unwrap();
    let mut answer = Vec::new();
    crate::handshake::write_response(&accepted.response, &mut answer);
    let (response, _) = parse_response(&answer, DEFAULT_MAX_HEAD_LEN)
        .unwrap()
        .unwrap();
    let agreed = client.verify_response(&response).unwrap();
    assert_eq!(
        agreed,
        ClientAccepted {
            protocol: Some("v1".into()),
            deflate: None
        }
    );
}

#[test]
fn deflate_round_trip_with_our_server() {
    for config in [
        DeflateConfig::default(),
        DeflateConfig {
            server_no_context_takeover: true,
            client_max_window_bits: Some(10),
            ..DeflateConfig::default()
        },
    ] {
        let client = ClientRequest::new("ws://h/")
            .unwrap()
            .deflate(Some(config.clone()));
        let wire = written(&client);
        let (request, _) = parse_request(wire.as_bytes(), DEFAULT_MAX_HEAD_LEN)
            .unwrap()
            .unwrap();
        let accepted = ServerHandshake::new()
            .deflate(Some(config.clone()))
            .accept(&request)
            .unwrap();
        let agreed = client.verify_response(&accepted.response).unwrap();
        // Both ends must come out with the same parameters, whatever they are.
        assert_eq!(agreed.deflate, accepted.deflate, "{config:?}");
    }
}

/// A 101 response that answers `client` correctly, with `edit` applied.
fn response_for(
    client: &ClientRequest,
    edit: impl FnOnce(&mut http::Response<()>),
) -> http::Response<()> {
    let mut response = http::Response::new(());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    let accept = accept_key(client.key().as_bytes());
    headers.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::try_from(accept).unwrap(),
    );
    edit(&mut response);
    response
}

fn set(name: HeaderName, value: &'static str) -> impl FnOnce(&mut http::Response<()>) {
    move |response| {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
}

fn remove(name: HeaderName) -> impl FnOnce(&mut http::Response<()>) {
    move |response| {
        response.headers_mut().remove(name);
    }
}

#[test]
fn verification() {
    let offering = ClientRequest::new("ws://h/")
        .unwrap()
        .protocols(["chat"])
        .unwrap();
    let plain = ClientRequest::new("ws://h/").unwrap();
    type Edit = Box<dyn FnOnce(&mut http::Response<()>)>;
    let not_offered = |what: &str| {
        HandshakeError::Extension(format!(
            "the server answered with {what:?}, which was not offered or was repeated"
        ))
    };
    let cases: Vec<(
        &str,
        &ClientRequest,
        Edit,
        Result<ClientAccepted, HandshakeError>,
    )> = vec![
        (
            "good",
            &plain,
            Box::new(|_| {}),
            Ok(ClientAccepted {
                protocol: None,
                deflate: None,
            }),
        ),
        (
            "the offered protocol",
            &offering,
            Box::new(set(header::SEC_WEBSOCKET_PROTOCOL, "chat")),
            Ok(ClientAccepted {
                protocol: Some("chat".into()),
                deflate: None,
            }),
        ),
        (
            "no protocol although offered",
            &offering,
            Box::new(|_| {}),
            Ok(ClientAccepted {
                protocol: None,
                deflate: None,
            }),
        ),
        (
            "Upgrade and Connection in other cases",
            &plain,
            Box::new(|r: &mut http::Response<()>| {
                set(header::UPGRADE, "WebSocket")(r);
                set(header::CONNECTION, "upgrade")(r);
            }),
            Ok(ClientAccepted {
                protocol: None,
                deflate: None,
            }),
        ),
        (
            "200",
            &plain,
            Box::new(|r: &mut http::Response<()>| *r.status_mut() = StatusCode::OK),
            Err(HandshakeError::Status {
                status: StatusCode::OK,
                body: String::new(),
            }),
        ),
        (
            "no Upgrade",
            &plain,
            Box::new(remove(header::UPGRADE)),
            Err(HandshakeError::MissingHeader("Upgrade")),
        ),
        (
            "Upgrade: h2c",
            &plain,
            Box::new(set(header::UPGRADE, "h2c")),
            Err(HandshakeError::MissingToken {
                header: "Upgrade",
                token: "websocket",
            }),
        ),
        (
            "no Connection",
            &plain,
            Box::new(remove(header::CONNECTION)),
            Err(HandshakeError::MissingHeader("Connection")),
        ),
        (
            "no accept",
            &plain,
            Box::new(remove(header::SEC_WEBSOCKET_ACCEPT)),
            Err(HandshakeError::MissingHeader("Sec-WebSocket-Accept")),
        ),
        (
            "wrong accept",
            &plain,
            Box::new(set(
                header::SEC_WEBSOCKET_ACCEPT,
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            )),
            Err(HandshakeError::BadAccept),
        ),
        (
            "a protocol not offered",
            &offering,
            Box::new(set(header::SEC_WEBSOCKET_PROTOCOL, "superchat")),
            Err(HandshakeError::UnexpectedProtocol("superchat".into())),
        ),
        (
            "a protocol when none was offered",
            &plain,
            Box::new(set(header::SEC_WEBSOCKET_PROTOCOL, "chat")),
            Err(HandshakeError::UnexpectedProtocol("chat".into())),
        ),
        (
            "a list of protocols",
            &offering,
            Box::new(set(header::SEC_WEBSOCKET_PROTOCOL, "chat, chat")),
            Err(HandshakeError::UnexpectedProtocol("chat, chat".into())),
        ),
        (
            "an unknown extension",
            &plain,
            Box::new(set(header::SEC_WEBSOCKET_EXTENSIONS, "x-foo; bar=1")),
            Err(not_offered("x-foo")),
        ),
        (
            "permessage-deflate not offered",
            &plain,
            Box::new(set(header::SEC_WEBSOCKET_EXTENSIONS, "permessage-deflate")),
            Err(not_offered("permessage-deflate")),
        ),
    ];
    for (what, client, edit, expected) in cases {
        assert_eq!(
            client.verify_response(&response_for(client, edit)),
            expected,
            "{what}"
        );
    }
}

#[test]
fn deflate_answer_goes_through_accept_response() {
    let config = DeflateConfig::default();
    let client = ClientRequest::new("ws://h/")
        .unwrap()
        .deflate(Some(config.clone()));
    let answer = "permessage-deflate; server_no_context_takeover";
    let response = response_for(&client, set(header::SEC_WEBSOCKET_EXTENSIONS, answer));
    assert_eq!(
        client.verify_response(&response).map(|a| a.deflate),
        DeflateParams::accept_response(answer, &config).map(Some)
    );
    // Accepted twice is never right, whatever the parameters.
    let twice = response_for(
        &client,
        set(
            header::SEC_WEBSOCKET_EXTENSIONS,
            "permessage-deflate, permessage-deflate",
        ),
    );
    assert!(matches!(
        client.verify_response(&twice),
        Err(HandshakeError::Extension(_))
    ));
    // Not answered: no compression.
    let none = response_for(&client, |_| {});
    assert_eq!(client.verify_response(&none).unwrap().deflate, None);
}

#[test]
fn refusal_body_excerpt() {
    let client = ClientRequest::new("ws://h/").unwrap();
    let mut response = http::Response::new(());
    *response.status_mut() = StatusCode::FORBIDDEN;
    let error = client.verify_response(&response).unwrap_err();
    assert_eq!(
        error.to_string(),
        "server answered 403 Forbidden instead of 101 Switching Protocols"
    );

    let with_body = error.clone().with_body(b"origin not allowed");
    assert_eq!(
        with_body.to_string(),
        "server answered 403 Forbidden instead of 101 Switching Protocols: origin not allowed"
    );

    let long = [b"\xff".as_slice(), &[b'x'; 2000]].concat();
    let HandshakeError::Status { body, .. } = error.with_body(&long) else {
        panic!("not a status error");
    };
    assert_eq!(body.chars().next(), Some('\u{fffd}'));
    assert_eq!(body.chars().count(), MAX_BODY_EXCERPT);

    // Other errors are left as they are.
    assert_eq!(
        HandshakeError::BadAccept.with_body(b"x"),
        HandshakeError::BadAccept
    );
}

proptest! {
    /// Any response head: a verdict, never a panic.
    #[test]
    fn arbitrary_responses_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let client = ClientRequest::new("ws://h/").unwrap().protocols(["chat"]).unwrap()
            .deflate(Some(DeflateConfig::default()));
        let mut head = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
        head.extend_from_slice(&bytes);
        if let Ok(Some((response, _))) = parse_response(&head, DEFAULT_MAX_HEAD_LEN) {
            let _ = client.verify_response(&response);
        }
    }
}
