//! `allow_eio3`: Engine.IO v3 clients (socket.io-client 2.x) — the length-prefixed polling
//! payload, the client-driven heartbeat, type-prefixed binary frames, and the upgrade.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use duplex_engineio::{CloseReason, Config, Message, Transport};
use http::StatusCode;

const DATA: [u8; 4] = [0, 1, 0xfe, 0xff];

/// The packets of a v3 text payload (`<length>:<packet>` records, length in characters).
fn v3_packets(mut payload: &str) -> Vec<String> {
    let mut packets = Vec::new();
    while !payload.is_empty() {
        let (len, rest) = payload.split_once(':').expect("a v3 record");
        let len: usize = len.parse().expect("a v3 record length");
        let end = rest.char_indices().nth(len).map_or(rest.len(), |(i, _)| i);
        packets.push(rest[..end].to_owned());
        payload = &rest[end..];
    }
    packets
}

#[tokio::test]
async fn an_eio3_client_handshakes_pings_and_echoes_in_v3_framing() {
    let config = Config::default()
        .allow_eio3(true)
        .ping_interval(Duration::from_millis(100))
        .ping_timeout(Duration::from_secs(2));
    let (server, mut events) = echoing(config).await;
    let resp = get(server.addr, &eio("EIO=3&transport=polling")).await;
    assert_eq!(resp.status, StatusCode::OK);
    let (len, open) = resp.text().split_once(':').unwrap();
    assert_eq!(len.parse::<usize>().unwrap(), open.chars().count());
    let open = open_json(open);
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
    assert_eq!(open["pingInterval"], 100);
    let sid = open["sid"].as_str().unwrap();
    let url = eio(&format!("EIO=3&transport=polling&sid={sid}"));
    let socket = events.open().await;

    // In v3 the client pings and the server answers; the server never pings, even after
    // more than two intervals.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(post(server.addr, &url, "1:2").await.text(), "ok");
    assert_eq!(get(server.addr, &url).await.text(), "1:3");

    assert_eq!(post(server.addr, &url, "6:4hello").await.text(), "ok");
    assert_eq!(get(server.addr, &url).await.text(), "6:4hello");
    assert_eq!(events.message(socket.id()).await, Message::text("hello"));

    assert_eq!(post(server.addr, &url, "2:4a3:4é!").await.text(), "ok");
    let resp = get(server.addr, &url).await;
    assert_eq!(v3_packets(resp.text()), ["4a", "4é!"]);
    assert_eq!(resp.text(), "2:4a3:4é!");

    // Lengths count UTF-16 code units, as JavaScript does: one emoji is two.
    assert_eq!(post(server.addr, &url, "3:4😀").await.text(), "ok");
    assert_eq!(get(server.addr, &url).await.text(), "3:4😀");
}

#[tokio::test]
async fn an_eio3_client_that_stops_pinging_is_closed_with_ping_timeout() {
    let interval = Duration::from_millis(100);
    let timeout = Duration::from_millis(100);
    let config = Config::default()
        .allow_eio3(true)
        .ping_interval(interval)
        .ping_timeout(timeout);
    let (server, mut events) = recording(config).await;
    let start = std::time::Instant::now();
    let resp = get(server.addr, &eio("EIO=3&transport=polling")).await;
    let (_, open) = resp.text().split_once(':').unwrap();
    let sid = open_json(open)["sid"].as_str().unwrap().to_owned();
    let url = eio(&format!("EIO=3&transport=polling&sid={sid}"));
    let socket = events.open().await;

    // Each client ping keeps it alive for another interval plus timeout.
    for _ in 0..3 {
        tokio::time::sleep(interval).await;
        assert_eq!(post(server.addr, &url, "1:2").await.text(), "ok");
        assert_eq!(get(server.addr, &url).await.text(), "1:3");
    }
    assert!(!socket.is_closed());
    let silent = std::time::Instant::now();
    assert_eq!(events.close(socket.id()).await, CloseReason::PingTimeout);
    assert!(start.elapsed() >= interval * 3 + interval + timeout);
    assert!(silent.elapsed() < interval + timeout + Duration::from_millis(1500));
}

#[tokio::test]
async fn an_eio3_client_works_over_websocket() {
    let (server, mut events) = echoing(Config::default().allow_eio3(true)).await;
    let mut ws = ws_connect(server.addr, &eio("EIO=3&transport=websocket")).await;
    let open = open_json(&recv_text(&mut ws).await);
    assert_eq!(open["upgrades"], serde_json::json!([]));
    let socket = events.open().await;
    send_text(&mut ws, "2").await;
    assert_eq!(recv_text(&mut ws).await, "3");
    send_text(&mut ws, "4hello").await;
    assert_eq!(recv_text(&mut ws).await, "4hello");
    assert_eq!(events.message(socket.id()).await, Message::text("hello"));
}

#[tokio::test]
async fn eio3_is_refused_unless_allowed() {
    let (server, _events) = recording(Config::default()).await;
    get(server.addr, &eio("EIO=3&transport=polling"))
        .await
        .assert_error(400, 5, "Unsupported protocol version");
    send(server.addr, ws_request(&eio("EIO=3&transport=websocket")))
        .await
        .assert_error(400, 5, "Unsupported protocol version");
    assert_eq!(server.engine.session_count(), 0);
}

#[tokio::test]
async fn binary_messages_of_v3_clients_carry_the_packet_type() {
    let (server, mut events) = echoing(Config::default().allow_eio3(true)).await;
    let mut ws = ws_connect(server.addr, &eio("EIO=3&transport=websocket")).await;
    recv_text(&mut ws).await;
    let socket = events.open().await;
    let framed: Vec<u8> = [4].iter().chain(&DATA).copied().collect();
    within(
        STEP,
        "send",
        ws.send(duplex_ws::Message::binary(framed.clone())),
    )
    .await
    .unwrap();
    assert_eq!(
        events.message(socket.id()).await,
        Message::binary(Bytes::from_static(&DATA))
    );
    assert_eq!(
        recv(&mut ws).await,
        Some(duplex_ws::Message::binary(framed))
    );

    // Over v3 polling a binary message is `b4` + base64 in the text form.
    let resp = get(server.addr, &eio("EIO=3&transport=polling")).await;
    let (_, open) = resp.text().split_once(':').unwrap();
    let sid = open_json(open)["sid"].as_str().unwrap().to_owned();
    let socket = events.open().await;
    socket
        .send(Message::binary(Bytes::from_static(&DATA)))
        .unwrap();
    let url = eio(&format!("EIO=3&transport=polling&sid={sid}"));
    assert_eq!(get(server.addr, &url).await.text(), "10:b4AAH+/w==");
}

#[tokio::test]
async fn an_eio3_session_upgrades_too() {
    let (server, mut events) = echoing(Config::default().allow_eio3(true)).await;
    let resp = get(server.addr, &eio("EIO=3&transport=polling")).await;
    let (_, open) = resp.text().split_once(':').unwrap();
    let sid = open_json(open)["sid"].as_str().unwrap().to_owned();
    let socket = events.open().await;
    let mut ws = ws_connect(
        server.addr,
        &eio(&format!("EIO=3&transport=websocket&sid={sid}")),
    )
    .await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(recv_text(&mut ws).await, "3probe");
    let url = eio(&format!("EIO=3&transport=polling&sid={sid}"));
    assert_eq!(get(server.addr, &url).await.text(), "1:6");
    send_text(&mut ws, "5").await;
    send_text(&mut ws, "4hi").await;
    assert_eq!(recv_text(&mut ws).await, "4hi");
    assert_eq!(socket.transport(), Transport::Websocket);
    // v3 heartbeat over the WebSocket: the client pings.
    send_text(&mut ws, "2").await;
    assert_eq!(recv_text(&mut ws).await, "3");
    get(server.addr, &url)
        .await
        .assert_error(400, 3, "Bad request");
}
