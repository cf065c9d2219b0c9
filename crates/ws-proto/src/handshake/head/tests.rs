use proptest::prelude::*;

use super::*;
use crate::handshake::fixtures;

/// The parse outcome without the (non-comparable) head: its length.
fn outcome<T>(
    result: Result<Option<(T, usize)>, HandshakeError>,
) -> Result<Option<usize>, HandshakeError> {
    result.map(|head| head.map(|(_, len)| len))
}

#[test]
fn parses_real_requests_and_leaves_the_rest() {
    for head in fixtures::ALL {
        let mut buf = head.as_bytes().to_vec();
        buf.extend_from_slice(b"\x81\x85frame");
        let (request, len) = parse_request(&buf, DEFAULT_MAX_HEAD_LEN).unwrap().unwrap();
        assert_eq!(len, head.len());
        assert_eq!(request.method(), Method::GET);
        assert_eq!(request.version(), Version::HTTP_11);
        assert_eq!(request.headers()[http::header::UPGRADE], "websocket");
        let lines = head.split("\r\n").filter(|l| l.contains(": ")).count();
        assert_eq!(request.headers().len(), lines);
    }
    let (firefox, _) = parse_request(fixtures::FIREFOX.as_bytes(), DEFAULT_MAX_HEAD_LEN)
        .unwrap()
        .unwrap();
    assert_eq!(firefox.uri().path(), "/socket");
    assert_eq!(firefox.uri().query(), Some("room=1&token=abc"));
}

#[test]
fn every_prefix_is_incomplete() {
    for head in fixtures::ALL {
        for cut in 0..head.len() {
            assert_eq!(
                outcome(parse_request(&head.as_bytes()[..cut], DEFAULT_MAX_HEAD_LEN)),
                Ok(None),
                "cut at {cut}"
            );
        }
    }
}

#[test]
fn head_length_limit() {
    let head = fixtures::NODE_WS.as_bytes();
    // Exactly at the limit is fine.
    assert!(matches!(parse_request(head, head.len()), Ok(Some((_, n))) if n == head.len()));
    // One byte short: an error as soon as the limit is reached, not before.
    let max = head.len() - 1;
    assert_eq!(outcome(parse_request(&head[..max - 1], max)), Ok(None));
    assert_eq!(
        outcome(parse_request(&head[..max], max)),
        Err(HandshakeError::TooLarge { max })
    );
    assert_eq!(
        outcome(parse_request(head, max)),
        Err(HandshakeError::TooLarge { max })
    );
    // Same for a response, and for an endless stream of header bytes.
    let endless = [b"HTTP/1.1 101 OK\r\n".as_slice(), &[b'a'; 100]].concat();
    assert_eq!(
        outcome(parse_response(&endless, 64)),
        Err(HandshakeError::TooLarge { max: 64 })
    );
}

#[test]
fn header_count_limit() {
    let head_with = |n: usize| {
        let mut head = String::from("GET / HTTP/1.1\r\n");
        for i in 0..n {
            head.push_str(&format!("x-h{i}: v\r\n"));
        }
        head + "\r\n"
    };
    let fits = head_with(MAX_HEADERS);
    assert!(
        parse_request(fits.as_bytes(), DEFAULT_MAX_HEAD_LEN)
            .unwrap()
            .is_some()
    );
    let over = head_with(MAX_HEADERS + 1);
    assert_eq!(
        outcome(parse_request(over.as_bytes(), DEFAULT_MAX_HEAD_LEN)),
        Err(HandshakeError::TooManyHeaders { max: MAX_HEADERS })
    );
}

#[test]
fn malformed_heads() {
    let requests: &[&[u8]] = &[
        b"GET / HTTP/2.0\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET / HTTP/1.1\r\nbad name: v\r\n\r\n",
        b"GET / HTTP/1.1\r\nx: a\x00b\r\n\r\n",
        b"G(T / HTTP/1.1\r\n\r\n",
        b"GET /a b HTTP/1.1\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    ];
    for bytes in requests {
        let result = parse_request(bytes, DEFAULT_MAX_HEAD_LEN);
        assert!(
            matches!(result, Err(HandshakeError::Malformed(_))),
            "{:?} gave {result:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    let responses: &[&[u8]] = &[
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 000 Zero\r\n\r\n",
        b"HTTP/3 101 OK\r\n\r\n",
        b"SSH-2.0-OpenSSH_9.6\r\n",
    ];
    for bytes in responses {
        let result = parse_response(bytes, DEFAULT_MAX_HEAD_LEN);
        assert!(
            matches!(result, Err(HandshakeError::Malformed(_))),
            "{:?} gave {result:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn response_round_trip() {
    let mut response = http::Response::new(());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    response
        .headers_mut()
        .insert(http::header::UPGRADE, HeaderValue::from_static("websocket"));
    let mut wire = Vec::new();
    write_response(&response, &mut wire);
    assert_eq!(
        wire,
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n"
    );
    let (parsed, len) = parse_response(&wire, DEFAULT_MAX_HEAD_LEN)
        .unwrap()
        .unwrap();
    assert_eq!(len, wire.len());
    assert_eq!(parsed.status(), response.status());
    assert_eq!(parsed.headers(), response.headers());
}

#[test]
fn request_line_uses_origin_form() {
    let cases = [
        ("ws://h/a/b?c=d", "GET /a/b?c=d HTTP/1.1\r\n"),
        ("ws://h", "GET / HTTP/1.1\r\n"),
        ("/x", "GET /x HTTP/1.1\r\n"),
    ];
    for (uri, line) in cases {
        let mut request = http::Request::new(());
        *request.uri_mut() = uri.parse().unwrap();
        let mut wire = Vec::new();
        write_request(&request, &mut wire);
        assert_eq!(wire, format!("{line}\r\n").as_bytes(), "{uri}");
    }
}

fn header_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,15}"
}

fn header_value() -> impl Strategy<Value = String> {
    // Visible ASCII and inner spaces; httparse trims the value's ends.
    "[!-~]([ !-~]{0,30}[!-~])?"
}

fn request_head() -> impl Strategy<Value = http::Request<()>> {
    let method = prop::sample::select(vec!["GET", "POST", "OPTIONS", "X-CUSTOM"]);
    let target = "/[a-zA-Z0-9/._~-]{0,20}(\\?[a-z0-9=&]{1,10})?";
    let headers = prop::collection::vec((header_name(), header_value()), 0..MAX_HEADERS);
    (method, target, headers).prop_map(|(method, target, headers)| {
        let mut request = http::Request::new(());
        *request.method_mut() = Method::from_bytes(method.as_bytes()).unwrap();
        *request.uri_mut() = target.parse().unwrap();
        for (name, value) in headers {
            request.headers_mut().append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        request
    })
}

proptest! {
    /// Under any split, parsing says "incomplete" until the head is all there,
    /// then returns what was written, whatever follows.
    #[test]
    fn written_requests_parse_back_under_any_split(
        request in request_head(),
        rest in prop::collection::vec(any::<u8>(), 0..32),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut wire = Vec::new();
        write_request(&request, &mut wire);
        let head_len = wire.len();
        let cut = cut.index(head_len);
        prop_assert_eq!(outcome(parse_request(&wire[..cut], DEFAULT_MAX_HEAD_LEN)), Ok(None));
        wire.extend_from_slice(&rest);
        let (parsed, len) = parse_request(&wire, DEFAULT_MAX_HEAD_LEN).unwrap().unwrap();
        prop_assert_eq!(len, head_len);
        prop_assert_eq!(parsed.method(), request.method());
        prop_assert_eq!(parsed.uri(), request.uri());
        prop_assert_eq!(parsed.headers(), request.headers());
    }

    #[test]
    fn written_responses_parse_back_under_any_split(
        status in 100u16..1000,
        headers in prop::collection::vec((header_name(), header_value()), 0..16),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut response = http::Response::new(());
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        for (name, value) in headers {
            response.headers_mut().append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        let mut wire = Vec::new();
        write_response(&response, &mut wire);
        prop_assert_eq!(outcome(parse_response(&wire[..cut.index(wire.len())], DEFAULT_MAX_HEAD_LEN)), Ok(None));
        let (parsed, len) = parse_response(&wire, DEFAULT_MAX_HEAD_LEN).unwrap().unwrap();
        prop_assert_eq!(len, wire.len());
        prop_assert_eq!(parsed.status(), response.status());
        prop_assert_eq!(parsed.headers(), response.headers());
    }

    /// Any bytes: a result, never a panic, and a complete head never longer than the limit.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), max in 0usize..600) {
        if let Ok(Some((_, len))) = parse_request(&bytes, max) {
            prop_assert!(len <= max && len <= bytes.len());
        }
        if let Ok(Some((_, len))) = parse_response(&bytes, max) {
            prop_assert!(len <= max && len <= bytes.len());
        }
    }

    /// Mostly-valid heads with one byte changed: the parsers still never panic.
    #[test]
    fn mutated_heads_never_panic(sample in 0..fixtures::ALL.len(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = fixtures::ALL[sample].as_bytes().to_vec();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = parse_request(&bytes, DEFAULT_MAX_HEAD_LEN);
        bytes.splice(..bytes.iter().position(|&b| b == b'\n').unwrap_or(0), *b"HTTP/1.1 101 Switching Protocols\r");
        let _ = parse_response(&bytes, DEFAULT_MAX_HEAD_LEN);
    }
}
