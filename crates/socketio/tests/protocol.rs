//! The server against a raw Engine.IO WebSocket client: packets as INTEROP-FACTS records the
//! reference server answering them.

use std::sync::Arc;
use std::time::Duration;

use duplex_socketio::{
    AckSender, Binary, ConnectError, Data, DisconnectReason, RawArgs, SocketIo, SocketRef, State,
};
use duplex_ws::{MaybeTlsStream, Message, WebSocket};
use tokio::sync::mpsc;

type Ws = WebSocket<MaybeTlsStream>;

struct Server {
    url: String,
    io: SocketIo,
    events: mpsc::UnboundedReceiver<String>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start(connect_timeout: Duration) -> Server {
    let io = SocketIo::builder()
        .connect_timeout(connect_timeout)
        .with_state(String::from("app state"))
        .build();
    let (tx, events) = mpsc::unbounded_channel();
    let log = Arc::new(tx);
    let on_connect = {
        let log = log.clone();
        move |socket: SocketRef| {
            let log = log.clone();
            async move {
                let _ = log.send(format!("connect {}", socket.ns()));
                let l = log.clone();
                socket.on_disconnect(move |s: SocketRef, reason: DisconnectReason| async move {
                    let _ = l.send(format!("disconnect {} {reason}", s.ns()));
                });
                socket.on(
                    "echo",
                    |s: SocketRef, Data(v): Data<serde_json::Value>, ack: AckSender| async move {
                        let _ = s.emit("echo-back", &v);
                        let _ = ack.send(&v);
                    },
                );
                socket.on(
                    "state",
                    |State(s): State<String>, ack: AckSender| async move {
                        let _ = ack.send(&s);
                    },
                );
                // No u32 was given: the handler cannot run, nothing answers.
                socket.on(
                    "no-state",
                    |State(n): State<u32>, ack: AckSender| async move {
                        let _ = ack.send(&n);
                    },
                );
                socket.on("echo-raw", |s: SocketRef, args: RawArgs| async move {
                    let _ = s.emit_raw("echo-back", &args);
                });
                socket.on("bin", |s: SocketRef, Data(b): Data<Binary>| async move {
                    let _ = s.emit("bin-back", &("x", vec![b.clone(), b]));
                });
                socket.on(
                    "join",
                    |s: SocketRef, Data(room): Data<String>, ack: AckSender| async move {
                        s.join(room);
                        let _ = ack.send(&());
                    },
                );
                socket.on(
                    "to",
                    |s: SocketRef, Data((room, text)): Data<(String, String)>| async move {
                        let _ = s.to(room).emit("room-message", &text);
                    },
                );
            }
        }
    };
    io.ns("/", on_connect.clone());
    io.ns("/chat", on_connect);
    io.ns("/private", |_s: SocketRef| async move {})
        .use_middleware(|s: SocketRef| async move {
            match s.handshake().auth::<serde_json::Value>() {
                Ok(auth) if auth["token"] == "secret" => Ok(()),
                _ => {
                    Err(ConnectError::new("not authorized")
                        .with_data(serde_json::json!({"code": 401})))
                }
            }
        });
    let listener = duplex_engineio::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn({
        let io = io.clone();
        async move {
            let _ = duplex_socketio::serve(listener, io).await;
        }
    });
    Server {
        url: format!("ws://{addr}/socket.io/?EIO=4&transport=websocket"),
        io,
        events,
        task,
    }
}

async fn open(server: &Server) -> Ws {
    let (mut ws, _) = duplex_ws::connect(&server.url).await.unwrap();
    let open = recv(&mut ws).await;
    assert!(open.starts_with("0{\"sid\":"), "{open}");
    ws
}

async fn recv(ws: &mut Ws) -> String {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.recv())
            .await
            .expect("a message in time")
            .expect("the connection open")
            .expect("no error");
        match message {
            Message::Text(t) if t.as_str() == "2" => ws.send(Message::text("3")).await.unwrap(),
            Message::Text(t) => return t.as_str().to_owned(),
            Message::Binary(b) => return format!("<binary {b:?}>"),
            _ => {}
        }
    }
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// Whether the server closes the connection within a second.
async fn closed(ws: &mut Ws) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        match tokio::time::timeout_at(deadline, ws.recv()).await {
            Err(_) => return false,
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => {}
        }
    }
}

async fn next_event(server: &mut Server) -> String {
    tokio::time::timeout(Duration::from_secs(5), server.events.recv())
        .await
        .expect("an event in time")
        .expect("the server running")
}

#[tokio::test]
async fn connect_event_ack_and_disconnect() {
    let mut server = start(Duration::from_secs(45)).await;
    let mut ws = open(&server).await;
    send(&mut ws, "40").await;
    let connected = recv(&mut ws).await;
    assert!(connected.starts_with(r#"40{"sid":""#), "{connected}");
    assert_eq!(next_event(&mut server).await, "connect /");
    send(&mut ws, r#"421["echo",{"b":1,"a":[1.5,"€"]}]"#).await;
    assert_eq!(
        recv(&mut ws).await,
        r#"42["echo-back",{"b":1,"a":[1.5,"€"]}]"#
    );
    assert_eq!(recv(&mut ws).await, r#"431[{"b":1,"a":[1.5,"€"]}]"#);
    // A namespace leaves; the connection stays for the others.
    send(&mut ws, "40/chat,").await;
    assert!(recv(&mut ws).await.starts_with(r#"40/chat,{"sid":""#));
    assert_eq!(next_event(&mut server).await, "connect /chat");
    send(&mut ws, "41").await;
    assert_eq!(
        next_event(&mut server).await,
        "disconnect / client namespace disconnect"
    );
    send(&mut ws, r#"42/chat,7["echo",1]"#).await;
    assert_eq!(recv(&mut ws).await, r#"42/chat,["echo-back",1]"#);
    assert_eq!(recv(&mut ws).await, "43/chat,7[1]");
    drop(ws);
    assert_eq!(
        next_event(&mut server).await,
        "disconnect /chat transport close"
    );
    assert!(server.io.of("/chat").is_some());
}

#[tokio::test]
async fn unknown_namespace_and_refusing_middleware() {
    let server = start(Duration::from_secs(45)).await;
    let mut ws = open(&server).await;
    send(&mut ws, "40/random,").await;
    assert_eq!(
        recv(&mut ws).await,
        r#"44/random,{"message":"Invalid namespace"}"#
    );
    send(&mut ws, r#"40/private,{"token":"wrong"}"#).await;
    assert_eq!(
        recv(&mut ws).await,
        r#"44/private,{"message":"not authorized","data":{"code":401}}"#
    );
    send(&mut ws, r#"40/private,{"token":"secret"}"#).await;
    assert!(recv(&mut ws).await.starts_with(r#"40/private,{"sid":""#));
}

#[tokio::test]
async fn malformed_packets_close_the_connection() {
    let server = start(Duration::from_secs(45)).await;
    for bad in ["4abc", "42{}", r#"42abc["x"]"#, "9", r#"42["connect"]"#] {
        let mut ws = open(&server).await;
        send(&mut ws, "40").await;
        recv(&mut ws).await;
        send(&mut ws, bad).await;
        assert!(closed(&mut ws).await, "{bad} should close the connection");
    }
}

#[tokio::test]
async fn no_namespace_within_connect_timeout_closes() {
    let server = start(Duration::from_millis(200)).await;
    let mut ws = open(&server).await;
    assert!(closed(&mut ws).await);
}

#[tokio::test]
async fn binary_attachments_and_rooms() {
    let server = start(Duration::from_secs(45)).await;
    let mut a = open(&server).await;
    let mut b = open(&server).await;
    for ws in [&mut a, &mut b] {
        send(ws, "40").await;
        recv(ws).await;
        send(ws, r#"420["join","red"]"#).await;
        assert_eq!(recv(ws).await, "430[]");
    }
    send(&mut a, r#"42["to","red","hi"]"#).await;
    assert_eq!(recv(&mut b).await, r#"42["room-message","hi"]"#);
    // Binary: placeholders and attachments come back in order.
    send(
        &mut a,
        r#"451-["echo-raw",{"data":{"_placeholder":true,"num":0}}]"#,
    )
    .await;
    a.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(
        recv(&mut a).await,
        r#"451-["echo-back",{"data":{"_placeholder":true,"num":0}}]"#
    );
    assert_eq!(recv(&mut a).await, "<binary b\"\\x01\\x02\\x03\">");
    // Placeholders out of order come back renumbered in order of appearance, attachments
    // reordered with them (as socket.io re-encodes).
    send(
        &mut a,
        r#"452-["echo-raw",{"a":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":0}]]"#,
    )
    .await;
    a.send(Message::binary(vec![0xaa])).await.unwrap();
    a.send(Message::binary(vec![0xbb, 0xcc])).await.unwrap();
    assert_eq!(
        recv(&mut a).await,
        r#"452-["echo-back",{"a":{"_placeholder":true,"num":0}},[{"_placeholder":true,"num":1}]]"#
    );
    assert_eq!(recv(&mut a).await, "<binary b\"\\xbb\\xcc\">");
    assert_eq!(recv(&mut a).await, "<binary b\"\\xaa\">");
    // Typed: one Binary in, two out (placeholders numbered in order).
    send(&mut a, r#"451-["bin",{"_placeholder":true,"num":0}]"#).await;
    a.send(Message::binary(vec![9])).await.unwrap();
    assert_eq!(
        recv(&mut a).await,
        r#"452-["bin-back","x",[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]]"#
    );
    assert_eq!(recv(&mut a).await, "<binary b\"\\t\">");
    assert_eq!(recv(&mut a).await, "<binary b\"\\t\">");
}

#[tokio::test]
async fn handlers_take_app_state() {
    let server = start(Duration::from_secs(45)).await;
    let mut ws = open(&server).await;
    send(&mut ws, "40").await;
    assert!(recv(&mut ws).await.starts_with(r#"40{"sid":""#));
    send(&mut ws, r#"421["no-state"]"#).await;
    send(&mut ws, r#"422["state"]"#).await;
    // The first event's handler did not run: the next packet is the second's ack.
    assert_eq!(recv(&mut ws).await, r#"432["app state"]"#);
    let socket = server.io.of("/").unwrap().sockets().pop().unwrap();
    assert_eq!(socket.state::<String>().as_deref(), Some("app state"));
    assert_eq!(socket.state::<u32>(), None);
}
