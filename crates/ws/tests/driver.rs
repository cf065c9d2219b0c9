//! The tokio driver over in-memory pipes: echo, close handshake, timeouts,
//! backpressure, split halves.

use std::time::Duration;

use bytes::Bytes;
use duplex_ws::{
    CloseCode, CloseFrame, Config, Error, Message, PreparedMessage, Role, State, WebSocket,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

fn pair(config: Config) -> (WebSocket<DuplexStream>, WebSocket<DuplexStream>) {
    let (a, b) = tokio::io::duplex(1 << 16);
    (
        WebSocket::from_raw(a, Role::Server, config.clone()),
        WebSocket::from_raw(b, Role::Client, config),
    )
}

async fn echo(mut server: WebSocket<DuplexStream>) -> Option<Error> {
    while let Some(item) = server.recv().await {
        match item {
            Ok(message) if message.is_data() => server.feed(message).await.ok()?,
            Ok(_) => {}
            Err(error) => return Some(error),
        }
    }
    None
}

#[tokio::test]
async fn echo_then_close_handshake() {
    let (server, mut client) = pair(Config::default());
    let server = tokio::spawn(echo(server));
    for i in 0..100 {
        client
            .send(Message::text(format!("message {i}")))
            .await
            .unwrap();
    }
    client
        .send(Message::binary(vec![9u8; 100_000]))
        .await
        .unwrap();
    for i in 0..100 {
        assert_eq!(
            client.recv().await.unwrap().unwrap(),
            Message::text(format!("message {i}"))
        );
    }
    assert_eq!(
        client.recv().await.unwrap().unwrap(),
        Message::binary(vec![9u8; 100_000])
    );
    client
        .close(Some(CloseFrame::new(4000, "done")))
        .await
        .unwrap();
    assert_eq!(client.state(), State::Closed);
    assert!(server.await.unwrap().is_none(), "server ends cleanly");
}

#[tokio::test]
async fn pings_are_answered_while_reading() {
    let (server, mut client) = pair(Config::default());
    let server = tokio::spawn(echo(server));
    client
        .send(Message::Ping(Bytes::from_static(b"are you there")))
        .await
        .unwrap();
    assert_eq!(
        client.recv().await.unwrap().unwrap(),
        Message::Pong(Bytes::from_static(b"are you there"))
    );
    drop(client);
    assert!(matches!(
        server.await.unwrap(),
        Some(Error::AbnormalClosure)
    ));
}

#[tokio::test]
async fn protocol_error_sends_close_then_errors() {
    let (a, mut raw) = tokio::io::duplex(1024);
    let mut server = WebSocket::from_raw(a, Role::Server, Config::default());
    // An unmasked text frame from a "client".
    raw.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
    let error = server.recv().await.unwrap().unwrap_err();
    assert_eq!(error.close_code(), CloseCode::PROTOCOL_ERROR);
    assert!(server.recv().await.is_none());
    let mut sent = Vec::new();
    raw.read_to_end(&mut sent).await.unwrap();
    assert_eq!(
        &sent[..4],
        &[0x88, sent[1], 0x03, 0xEA],
        "close frame with 1002"
    );
}

#[tokio::test(start_paused = true)]
async fn close_times_out_when_the_peer_never_answers() {
    let config = Config::default().close_timeout(Duration::from_secs(3));
    let (a, _silent_peer) = tokio::io::duplex(1024);
    let mut server = WebSocket::from_raw(a, Role::Server, config);
    let started = tokio::time::Instant::now();
    let result = server.close(None).await;
    assert!(matches!(result, Err(Error::CloseTimeout)), "{result:?}");
    assert!(started.elapsed() >= Duration::from_secs(3));
}

#[tokio::test]
async fn sending_after_close_is_refused() {
    let (server, mut client) = pair(Config::default());
    tokio::spawn(echo(server));
    client.close(None).await.unwrap();
    assert!(matches!(
        client.send(Message::text("late")).await,
        Err(Error::Closed)
    ));
}

#[tokio::test]
async fn a_peer_that_stops_reading_cannot_grow_our_buffer() {
    // The client floods pings and never reads; the server's pong queue must stop
    // growing at the high-water mark because the server stops reading.
    let config = Config::default().write_buffer_high_water(4096);
    let (a, b) = tokio::io::duplex(1024);
    let mut server = WebSocket::from_raw(a, Role::Server, config.clone());
    let mut client = WebSocket::from_raw(b, Role::Client, config);
    let flood = tokio::spawn(async move {
        for _ in 0..10_000 {
            if client
                .feed(Message::Ping(Bytes::from_static(&[0; 100])))
                .await
                .is_err()
            {
                break;
            }
            // Writes stall once the server stops reading: stop after a bounded wait.
            if tokio::time::timeout(Duration::from_millis(50), client.flush())
                .await
                .is_err()
            {
                return client;
            }
        }
        client
    });
    let reader = tokio::spawn(async move {
        let mut received = 0usize;
        while let Ok(Some(Ok(_))) =
            tokio::time::timeout(Duration::from_millis(200), server.recv()).await
        {
            received += 1;
            assert!(
                server.queued_bytes() <= 4096 + 200,
                "queued {}",
                server.queued_bytes()
            );
        }
        (received, server.queued_bytes())
    });
    let _client = flood.await.unwrap();
    let (received, queued) = reader.await.unwrap();
    assert!(received < 10_000, "reading paused ({received} pings read)");
    assert!(queued <= 4096 + 200);
}

#[tokio::test]
async fn split_halves_in_different_tasks() {
    let (server, client) = pair(Config::default());
    tokio::spawn(echo(server));
    let (mut sender, mut receiver) = client.split();
    let writer = tokio::spawn(async move {
        for i in 0..500u32 {
            sender
                .feed(Message::binary(i.to_be_bytes().to_vec()))
                .await
                .unwrap();
        }
        sender.flush().await.unwrap();
        sender
            .send(PreparedMessage::text("prepared"))
            .await
            .unwrap();
        sender.close().await.unwrap();
    });
    for i in 0..500u32 {
        assert_eq!(
            receiver.recv().await.unwrap().unwrap(),
            Message::binary(i.to_be_bytes().to_vec())
        );
    }
    assert_eq!(
        receiver.recv().await.unwrap().unwrap(),
        Message::text("prepared")
    );
    assert!(matches!(
        receiver.recv().await,
        Some(Ok(Message::Close(Some(_))))
    ));
    assert!(receiver.recv().await.is_none());
    writer.await.unwrap();
}

#[tokio::test]
async fn auto_fragmented_large_message() {
    let (server, mut client) = pair(Config::default().fragment_size(Some(1000)));
    tokio::spawn(echo(server));
    let big = "x".repeat(10_500);
    client.send(Message::text(big.clone())).await.unwrap();
    assert_eq!(client.recv().await.unwrap().unwrap(), Message::text(big));
}
