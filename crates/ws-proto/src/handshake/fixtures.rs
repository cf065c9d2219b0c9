//! Upgrade requests as real clients send them, shared by the tests (and copied as
//! fuzz seeds). The keys are arbitrary valid ones; the header sets and their order
//! are what each client sends.

use super::{DEFAULT_MAX_HEAD_LEN, parse_request};

/// Chrome: `Connection: Upgrade`, offers permessage-deflate with `client_max_window_bits`.
pub(crate) const CHROME: &str = "GET /chat HTTP/1.1\r\n\
Host: localhost:8080\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n\
Upgrade: websocket\r\n\
Origin: http://localhost:8080\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
\r\n";

/// Firefox: `Connection: keep-alive, Upgrade`, a query string, fetch metadata.
pub(crate) const FIREFOX: &str = "GET /socket?room=1&token=abc HTTP/1.1\r\n\
Host: example.com\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\r\n\
Accept: */*\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Sec-WebSocket-Version: 13\r\n\
Origin: https://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Extensions: permessage-deflate\r\n\
Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\
Connection: keep-alive, Upgrade\r\n\
Sec-Fetch-Dest: empty\r\n\
Sec-Fetch-Mode: websocket\r\n\
Sec-Fetch-Site: same-origin\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
Upgrade: websocket\r\n\
\r\n";

/// Node's `ws` client: `Host` comes last.
pub(crate) const NODE_WS: &str = "GET / HTTP/1.1\r\n\
Sec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\n\
Connection: Upgrade\r\n\
Upgrade: websocket\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
Host: 127.0.0.1:9001\r\n\
\r\n";

/// Python's `websockets`.
pub(crate) const PYTHON_WEBSOCKETS: &str = "GET /ws HTTP/1.1\r\n\
Host: 127.0.0.1:9001\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: 3q2+7w3q2+7w3q2+7w3q2w==\r\n\
Sec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
User-Agent: Python/3.11 websockets/12.0\r\n\
\r\n";

/// Every sample above.
pub(crate) const ALL: [&str; 4] = [CHROME, FIREFOX, NODE_WS, PYTHON_WEBSOCKETS];

/// Parses a complete request head, for tests that start from text.
pub(crate) fn request(head: &str) -> http::Request<()> {
    match parse_request(head.as_bytes(), DEFAULT_MAX_HEAD_LEN) {
        Ok(Some((request, len))) if len == head.len() => request,
        other => panic!("fixture does not parse: {other:?}\n{head}"),
    }
}
