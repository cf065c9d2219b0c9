//! Messages on the wire: the open packet, binary as `b` + base64 in polling payloads and as
//! binary frames over WebSocket, what the application sends in `on_open`, and the bounded
//! outgoing queue.

mod common;

use bytes::Bytes;
use common::*;
use duplex_engineio::{Config, EngineIo, Message, SendError};

const DATA: [u8; 4] = [0, 1, 0xfe, 0xff];

#[tokio::test]
async fn binary_messages_are_base64_in_polling_payloads() {
    let (server, mut events) = echoing(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    session.post("bAAH+/w==\x1e4text").await;
    assert_eq!(
        events.message(socket.id()).await,
        Message::binary(Bytes::from_static(&DATA))
    );
    assert_eq!(events.message(socket.id()).await, Message::text("text"));
    assert_eq!(session.poll().await, ["bAAH+/w==", "4text"]);
}

#[tokio::test]
async fn binary_messages_are_binary_frames_over_websocket() {
    let (server, mut events) = echoing(Config::default()).await;
    let (mut ws, _) = ws_open(server.addr).await;
    let socket = events.open().await;
    within(STEP, "send", ws.send(duplex_ws::Message::binary(&DATA[..])))
        .await
        .unwrap();
    assert_eq!(
        events.message(socket.id()).await,
        Message::binary(Bytes::from_static(&DATA))
    );
    assert_eq!(
        recv(&mut ws).await,
        Some(duplex_ws::Message::binary(&DATA[..]))
    );
}

#[tokio::test]
async fn messages_sent_in_on_open_follow_the_open_packet() {
    let (recorder, _events) = Recorder::new();
    let recorder = recorder.on_open(|socket| {
        socket.send("welcome").unwrap();
        socket.send(Bytes::from_static(&DATA)).unwrap();
    });
    let server = TestServer::start(EngineIo::new(Config::default(), recorder)).await;

    let session = Polling::open(server.addr).await;
    assert_eq!(session.first, ["4welcome", "bAAH+/w=="]);

    let (mut ws, _) = ws_open(server.addr).await;
    assert_eq!(recv_text(&mut ws).await, "4welcome");
    assert_eq!(
        recv(&mut ws).await,
        Some(duplex_ws::Message::binary(&DATA[..]))
    );
}

#[tokio::test]
async fn the_open_packet_holds_exactly_the_protocol_fields() {
    let config = Config::default()
        .ping_interval(std::time::Duration::from_millis(1234))
        .ping_timeout(std::time::Duration::from_millis(567))
        .max_http_buffer_size(8910);
    let (server, _events) = recording(config).await;
    let session = Polling::open(server.addr).await;
    let keys: Vec<&str> = session
        .open
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "maxPayload",
            "pingInterval",
            "pingTimeout",
            "sid",
            "upgrades"
        ]
    );
    assert_eq!(session.open["upgrades"], serde_json::json!(["websocket"]));
    assert_eq!(session.open["pingInterval"], 1234);
    assert_eq!(session.open["pingTimeout"], 567);
    assert_eq!(session.open["maxPayload"], 8910);

    let (_ws, sid) = ws_open(server.addr).await;
    assert_ne!(sid, session.sid);
}

#[tokio::test]
async fn a_full_outgoing_queue_refuses_the_message_and_keeps_the_session() {
    let (server, mut events) = recording(Config::default().max_queued_packets(8)).await;
    let session = Polling::open(server.addr).await;
    let socket = events.open().await;
    assert!(session.first.is_empty());

    for i in 0..8 {
        socket.send(format!("m{i}")).unwrap();
    }
    assert_eq!(socket.send("m8"), Err(SendError::Full(Message::text("m8"))));
    assert!(!socket.is_closed());
    assert!(server.engine.socket(socket.id()).is_some());

    let expected: Vec<String> = (0..8).map(|i| format!("4m{i}")).collect();
    assert_eq!(session.poll().await, expected);
    socket.send("m8").unwrap();
    assert_eq!(session.poll().await, ["4m8"]);
    assert!(events.try_next().is_none());
}
