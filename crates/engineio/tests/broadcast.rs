//! A message prepared once reaches sessions of every transport and protocol revision, and
//! per-session application data is attached once.

use std::sync::Arc;
use std::time::Duration;

use duplex_engineio::{Config, EngineIo, Handler, Message, PreparedMessage, Socket};
use duplex_ws::Message as WsMessage;

struct Broadcast {
    engine: std::sync::OnceLock<EngineIo<Broadcast>>,
}

struct Nick(String);

impl Handler for Broadcast {
    fn on_open(&self, socket: &Arc<Socket>) {
        assert!(socket.set_data(Nick(socket.id().to_string())).is_ok());
        assert!(socket.set_data(Nick("again".into())).is_err());
    }

    fn on_message(&self, socket: &Arc<Socket>, message: Message) {
        let nick = &socket.data::<Nick>().expect("set on open").0;
        assert_eq!(nick, socket.id().as_str());
        assert!(socket.data::<String>().is_none());
        let prepared = PreparedMessage::new(message);
        for other in self.engine.get().expect("set after new").sockets() {
            other.send_prepared(&prepared).expect("queued");
        }
    }
}

async fn next_data(ws: &mut duplex_ws::WebSocket<duplex_ws::MaybeTlsStream>) -> WsMessage {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.recv())
            .await
            .expect("in time")
            .expect("open")
            .expect("no error");
        match &message {
            WsMessage::Text(t) if t.starts_with('0') || t.as_str() == "2" => {}
            _ => return message,
        }
    }
}

#[tokio::test]
async fn prepared_message_reaches_v4_and_v3_websocket_sessions() {
    let handler = Broadcast {
        engine: std::sync::OnceLock::new(),
    };
    let engine = EngineIo::new(Config::default().allow_eio3(true), handler);
    assert!(engine.handler().engine.set(engine.clone()).is_ok());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(duplex_engineio::serve(listener, engine.clone()));

    let url = |eio| format!("ws://{addr}/engine.io/?EIO={eio}&transport=websocket");
    let (mut v4, _) = duplex_ws::connect(&url(4)).await.unwrap();
    let (mut v3, _) = duplex_ws::connect(&url(3)).await.unwrap();
    for ws in [&mut v4, &mut v3] {
        match ws.recv().await.unwrap().unwrap() {
            WsMessage::Text(open) => assert!(open.starts_with("0{\"sid\":"), "{open}"),
            other => panic!("expected the open packet, got {other:?}"),
        }
    }
    while engine.session_count() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    v4.send(WsMessage::text("4hello")).await.unwrap();
    assert_eq!(next_data(&mut v4).await, WsMessage::text("4hello"));
    assert_eq!(next_data(&mut v3).await, WsMessage::text("4hello"));

    v4.send(WsMessage::binary(vec![7, 8])).await.unwrap();
    assert_eq!(next_data(&mut v4).await, WsMessage::binary(vec![7, 8]));
    // v3 frames a binary message with its type byte first.
    assert_eq!(next_data(&mut v3).await, WsMessage::binary(vec![4, 7, 8]));

    engine.shutdown().await;
    assert_eq!(engine.session_count(), 0);
    server.abort();
}
