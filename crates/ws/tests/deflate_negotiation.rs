//! What our server answers to permessage-deflate offers, read off the wire of a
//! real TCP handshake (no peer program needed).

mod common;

use common::echo::EchoServer;
use duplex_ws::DeflateConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends an upgrade request offering `extensions` and returns the response head.
async fn answer_to(server: &EchoServer, extensions: &str) -> String {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let request = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Extensions: {extensions}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    common::within("response head", async {
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            if stream.read(&mut byte).await.expect("read") == 0 {
                break;
            }
            head.push(byte[0]);
        }
    })
    .await;
    String::from_utf8(head).expect("ASCII head")
}

fn extensions_header(head: &str) -> Option<&str> {
    head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("sec-websocket-extensions")
            .then(|| value.trim())
    })
}

// BUG: fails until the server always answers an offered server_max_window_bits.
// Input: offer `permessage-deflate; server_max_window_bits=15` to a server with
// the default DeflateConfig. Expected (RFC 7692 §7.1.2.1, "the server MUST
// include the server_max_window_bits extension parameter in the extension
// negotiation response ... with the same or smaller value as the offer"):
// `permessage-deflate; server_max_window_bits=15`. Actual: `permessage-deflate`
// (DeflateParams::response_header writes only values below 15). Python
// `websockets` clients then fail the connection.
#[tokio::test]
async fn an_offered_server_max_window_bits_of_15_is_answered() {
    let server = EchoServer::start(Some(DeflateConfig::default())).await;
    let head = answer_to(&server, "permessage-deflate; server_max_window_bits=15").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let extensions = extensions_header(&head).expect("deflate accepted");
    assert!(
        extensions.contains("server_max_window_bits=15"),
        "{extensions}"
    );
}

#[tokio::test]
async fn an_offered_smaller_server_window_is_answered_with_its_value() {
    let server = EchoServer::start(Some(DeflateConfig::default())).await;
    let head = answer_to(&server, "permessage-deflate; server_max_window_bits=10").await;
    let extensions = extensions_header(&head).expect("deflate accepted");
    assert!(
        extensions.contains("server_max_window_bits=10"),
        "{extensions}"
    );
}

#[tokio::test]
async fn a_server_without_deflate_answers_no_extension() {
    let server = EchoServer::start(None).await;
    let head = answer_to(&server, "permessage-deflate; client_max_window_bits").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert_eq!(extensions_header(&head), None, "{head}");
}
