//! Our client's side of the echo conversation: the same messages the peer
//! clients send (interop/README.md), each echo checked before the next.

use bytes::Bytes;
use duplex_ws::{
    ClientConfig, ClientRequest, CloseFrame, Config, DeflateConfig, MaybeTlsStream, Message,
    WebSocket, connect_with,
};

/// Fragment size our client splits outgoing messages at: the 100 KiB and 1 MiB
/// messages go out in many frames, and the fragments of the multi-byte text cut
/// through characters (3-byte `€` with 4096 not a multiple of 3).
pub const FRAGMENT_SIZE: usize = 4096;

/// What our client saw of the handshake.
#[derive(Debug)]
pub struct ClientSide {
    /// `socket.connection().is_compressed()`.
    pub compressed: bool,
    /// The server's `Sec-WebSocket-Extensions` header, `""` if absent.
    pub extensions: String,
}

/// Bytes that do not compress (xorshift), deterministic so a failure reproduces.
pub fn noise(len: usize) -> Bytes {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ len as u64;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    Bytes::from(out)
}

/// The messages of the conversation, in order.
pub fn messages() -> Vec<(String, Message)> {
    let mut list = vec![
        ("text-ascii".to_owned(), Message::text("Hello, duplex!")),
        (
            "text-utf8".into(),
            Message::text("héllo wörld — 日本語 𝄞 🎉"),
        ),
        ("text-empty".into(), Message::text("")),
        (
            "text-100k".into(),
            Message::text("duplex compresses repetitive text. ".repeat(2926)),
        ),
        (
            "text-euro-fragmented".into(),
            Message::text("€".repeat(10_000)),
        ),
    ];
    for size in [0, 1, 125, 126, 65_535, 65_536, 1 << 20] {
        list.push((format!("binary-{size}"), Message::binary(noise(size))));
    }
    list.push((
        "binary-1m-repetitive".into(),
        Message::binary(vec![7u8; 1 << 20]),
    ));
    list
}

/// Connects to `url` offering `deflate`, runs the conversation, and closes with
/// 4000 "duplex bye", checking the server answers with code 4000 and
/// `echoed_reason`. Panics with `label` on any mismatch.
pub async fn run(
    url: &str,
    deflate: Option<DeflateConfig>,
    echoed_reason: &str,
    label: &str,
) -> ClientSide {
    let request = ClientRequest::new(url).expect("valid URL").deflate(deflate);
    let config = Config::default().fragment_size(Some(FRAGMENT_SIZE));
    let client = ClientConfig::default().config(config);
    let (mut socket, response) = super::within(label, connect_with(request, &client))
        .await
        .unwrap_or_else(|e| panic!("{label}: connect: {e}"));
    let side = ClientSide {
        compressed: socket.connection().is_compressed(),
        extensions: response
            .headers()
            .get(http::header::SEC_WEBSOCKET_EXTENSIONS)
            .map(|v| v.to_str().expect("ASCII header").to_owned())
            .unwrap_or_default(),
    };
    super::within(label, converse(&mut socket, echoed_reason, label)).await;
    side
}

async fn converse(socket: &mut WebSocket<MaybeTlsStream>, echoed_reason: &str, label: &str) {
    for (name, message) in messages() {
        socket
            .send(message.clone())
            .await
            .unwrap_or_else(|e| panic!("{label}: send {name}: {e}"));
        let echo = next_data(socket, label, &name).await;
        assert!(
            echo == message,
            "{label}: {name}: echo differs (len {} vs {})",
            echo.len(),
            message.len()
        );
    }
    socket
        .send(Message::Ping(Bytes::from_static(b"duplex-ping-42")))
        .await
        .unwrap_or_else(|e| panic!("{label}: ping: {e}"));
    loop {
        match socket.recv().await {
            Some(Ok(Message::Pong(payload))) => {
                assert_eq!(payload, &b"duplex-ping-42"[..], "{label}: pong payload");
                break;
            }
            Some(Ok(Message::Ping(_))) => {}
            other => panic!("{label}: expected a pong, got {other:?}"),
        }
    }
    let bye = CloseFrame::new(4000, "duplex bye");
    socket
        .send(Message::Close(Some(bye.clone())))
        .await
        .unwrap_or_else(|e| panic!("{label}: close: {e}"));
    match socket.recv().await {
        Some(Ok(Message::Close(frame))) => {
            let expected = CloseFrame::new(bye.code, echoed_reason);
            assert_eq!(frame, Some(expected), "{label}: the server's close frame")
        }
        other => panic!("{label}: expected the close echo, got {other:?}"),
    }
    match socket.recv().await {
        None => {}
        other => panic!("{label}: expected the end after the close handshake, got {other:?}"),
    }
}

async fn next_data(socket: &mut WebSocket<MaybeTlsStream>, label: &str, name: &str) -> Message {
    loop {
        match socket.recv().await {
            Some(Ok(message)) if message.is_data() => return message,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("{label}: {name}: expected the echo, got {other:?}"),
        }
    }
}
