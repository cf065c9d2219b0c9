//! The Socket.IO client against the real servers — Node's `socket.io` 4.8.4 and ours, both
//! running the contract of interop/README.md, and python-socketio 5.18.1 for its part — over long-polling, WebSocket, and polling
//! upgraded to WebSocket: events and acks both ways, binary, namespaces multiplexed on one
//! connection, auth (static and per attempt), refusals with their data, timeouts, and
//! disconnects from either side.

mod client_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use client_support::{ALL_KINDS, KINDS, Kind, MODES, Server};
use duplex_socketio::Binary;
use duplex_socketio::client::{
    ClientBuilder, ConnectError, DisconnectReason, Incoming, Socket, Transport,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);

/// Every event a socket receives, as (name, arguments as JSON values).
type Heard = mpsc::UnboundedReceiver<(String, Vec<Value>)>;

fn client(url: &str, mode: &[Transport]) -> (ClientBuilder, Heard) {
    let (tx, rx) = mpsc::unbounded_channel();
    let builder = ClientBuilder::new(url)
        .transports(mode.iter().copied())
        .reconnection_delay(Duration::from_millis(100))
        .reconnection_delay_max(Duration::from_millis(300))
        .on_any(move |event: Incoming| {
            let tx = tx.clone();
            async move {
                let values: Vec<Value> = event.args().unwrap_or_default();
                let _ = tx.send((event.event().to_owned(), values));
            }
        });
    (builder, rx)
}

/// The next event named `name` (others are skipped).
async fn next_named(heard: &mut Heard, name: &str) -> Vec<Value> {
    tokio::time::timeout(WAIT, async {
        loop {
            let (event, args) = heard.recv().await.expect("the socket is alive");
            if event == name {
                return args;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {name} event"))
}

fn trace() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

async fn connected(builder: ClientBuilder) -> Socket {
    tokio::time::timeout(WAIT, builder.connect())
        .await
        .expect("connects in time")
        .expect("connects")
}

/// Runs `scenario` against each of `kinds` in every transport mode.
async fn each_server_and_mode<F, Fut>(kinds: &[Kind], scenario: F)
where
    F: Fn(String, &'static [Transport]) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    trace();
    for &kind in kinds {
        let server = Server::start(kind, 0, &[]).await;
        for mode in MODES {
            eprintln!("{kind:?} {mode:?}");
            scenario(server.url(""), mode).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_acks_both_ways_with_binary() {
    each_server_and_mode(&ALL_KINDS, |base, mode| async move {
        let (builder, mut heard) = client(&format!("{base}/"), mode);
        let socket = connected(builder.on("ask", |event: Incoming| async move {
            let args: Vec<Value> = event.args().expect("args");
            event.ack(&("answer", &args)).expect("ack sent");
        }))
        .await;
        assert_eq!(next_named(&mut heard, "auth").await, [json!({})]);
        assert!(socket.id().is_some());

        // Our ack, typed, with binary inside.
        let (n, text, bin): (u32, String, Binary) = socket
            .emit_with_ack("message-with-ack", &(7, "two", Binary::from(vec![1, 2, 3])))
            .expect("emitted")
            .timeout(WAIT)
            .await
            .expect("acked");
        assert_eq!((n, text.as_str(), &bin.0[..]), (7, "two", &[1u8, 2, 3][..]));

        // A plain emit, echoed back as an event.
        socket
            .emit("message", &(json!({"k": [1, 2]}), Binary::from(vec![9])))
            .expect("emitted");
        let back = next_named(&mut heard, "message-back").await;
        assert_eq!(back[0], json!({"k": [1, 2]}));
        // serde_json's Value cannot hold bytes: the placeholder shows; `Binary` resolves it.
        assert_eq!(back[1], json!({"_placeholder": true, "num": 0}));
        let (tx, mut binary) = mpsc::unbounded_channel();
        socket.on("message-back", move |event: Incoming| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(event.args::<(Value, Binary)>());
            }
        });
        socket
            .emit("message", &(1, Binary::from(vec![4, 5])))
            .expect("emitted");
        let (one, bytes) = tokio::time::timeout(WAIT, binary.recv())
            .await
            .expect("echoed")
            .expect("alive")
            .expect("typed");
        assert_eq!((one, &bytes.0[..]), (json!(1), &[4u8, 5][..]));
        socket.off("message-back");

        // The server's emitWithAck, answered by our handler.
        socket
            .emit("emit-with-ack", &json!({"event": "ask", "args": [1, "x"]}))
            .expect("emitted");
        let result = next_named(&mut heard, "emit-with-ack-result").await;
        assert_eq!(result, [json!({"args": ["answer", [1, "x"]]})]);

        // No answer: the timeout.
        let silent = socket
            .emit_with_ack::<Value, _>("no-ack", &())
            .expect("emitted")
            .timeout(Duration::from_millis(300))
            .await;
        assert!(
            matches!(silent, Err(duplex_socketio::AckError::Timeout)),
            "{silent:?}"
        );
        socket.disconnect();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_share_one_connection_and_refusals_carry_data() {
    each_server_and_mode(&KINDS, |base, mode| async move {
        let (builder, mut root_heard) = client(&format!("{base}/"), mode);
        let root = connected(builder).await;
        next_named(&mut root_heard, "auth").await;
        let manager = root.manager();

        // A second namespace on the same connection, with auth.
        let (tx, mut custom_heard) = mpsc::unbounded_channel();
        let custom = manager
            .socket("/custom")
            .auth(json!({"token": "abc"}))
            .on("auth", move |event: Incoming| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(("auth".to_owned(), event.args::<Vec<Value>>().unwrap()));
                }
            })
            .connect()
            .await
            .expect("connected");
        assert_eq!(next_named(&mut custom_heard, "auth").await, [json!({"token": "abc"})]);
        assert_ne!(custom.id(), root.id());
        let answer: String = custom
            .emit_with_ack("message-with-ack", "on custom")
            .unwrap()
            .timeout(WAIT)
            .await
            .unwrap();
        assert_eq!(answer, "on custom");

        // Middleware refusal, with the server's data; an unknown namespace.
        let refused = manager
            .socket("/auth")
            .auth(json!({"token": "wrong"}))
            .connect()
            .await
            .expect_err("refused");
        match refused {
            ConnectError::Refused { message, data } => {
                assert_eq!(message, "not authorized");
                assert_eq!(data, Some(json!({"code": 401})));
            }
            other => panic!("{other:?}"),
        }
        let unknown = manager.socket("/nope").connect().await.expect_err("refused");
        assert!(
            matches!(&unknown, ConnectError::Refused { message, .. } if message == "Invalid namespace"),
            "{unknown:?}"
        );

        // Auth computed at each attempt.
        let calls = Arc::new(AtomicU32::new(0));
        let counted = calls.clone();
        let auth = manager
            .socket("/auth")
            .auth_with(move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                async move { Some(json!({"token": "secret", "n": n})) }
            })
            .connect()
            .await
            .expect("accepted");
        assert!(auth.connected());
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // Everything above went over one connection: the root socket still works.
        let answer: u32 = root
            .emit_with_ack("message-with-ack", &5)
            .unwrap()
            .timeout(WAIT)
            .await
            .unwrap();
        assert_eq!(answer, 5);
        manager.close();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnects_from_either_side_have_their_reasons() {
    each_server_and_mode(&ALL_KINDS, |base, mode| async move {
        let (reasons_tx, mut reasons) = mpsc::unbounded_channel();
        let (builder, mut heard) = client(&format!("{base}/"), mode);
        let socket = connected(builder.on_disconnect(move |_, reason| {
            let _ = reasons_tx.send(reason);
        }))
        .await;
        socket.emit("server-disconnect", &false).unwrap();
        let reason = tokio::time::timeout(WAIT, reasons.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(reason, DisconnectReason::IoServerDisconnect);
        assert!(!reason.will_reconnect());
        assert!(
            !socket.active(),
            "no reconnection after the server's disconnect"
        );

        // Connecting again works, and our own disconnect is reported as such.
        socket.connect();
        tokio::time::timeout(WAIT, socket.wait_connected())
            .await
            .unwrap()
            .unwrap();
        socket.disconnect();
        let reason = tokio::time::timeout(WAIT, reasons.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(reason, DisconnectReason::IoClientDisconnect);
        // Emits made now are buffered for a later connect, not sent; volatile ones are
        // dropped.
        socket.volatile().emit("message", "dropped").unwrap();
        socket.emit("message", "later").unwrap();
        let pending = socket
            .emit_with_ack::<Value, _>("message-with-ack", "later")
            .unwrap();
        socket.connect();
        let answer = tokio::time::timeout(WAIT, pending).await.unwrap().unwrap();
        assert_eq!(answer, json!("later"));
        assert_eq!(
            next_named(&mut heard, "message-back").await,
            [json!("later")]
        );
        // Connected, a volatile emit goes.
        socket.volatile().emit("message", "now").unwrap();
        assert_eq!(next_named(&mut heard, "message-back").await, [json!("now")]);
        socket.disconnect();
    })
    .await;
}

/// `examples/client_echo.rs` against the benchmark servers (Node's and ours ack `echo` with
/// its arguments) in every transport mode: every ack checked, the JSON line printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_echo_example_checks_every_ack() {
    let example = |name: &str| {
        duplex_testkit::examples::example_binary(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_MANIFEST_DIR"),
            name,
        )
    };
    let node = duplex_testkit::peers::node(&["socket.io"]);
    let mut node = duplex_testkit::peers::command(&node, "sio_bench_server.mjs");
    node.arg("--quiet");
    let servers: [(&str, std::process::Command); 2] = [
        ("node", node),
        ("ours", std::process::Command::new(example("bench_server"))),
    ];
    for (name, mut command) in servers {
        command
            .args(["--port", "0"])
            .stdout(std::process::Stdio::piped());
        let mut command = tokio::process::Command::from(command);
        let mut child = command.kill_on_drop(true).spawn().expect("server starts");
        let stdout = child.stdout.take().expect("piped");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
        let line = tokio::time::timeout(WAIT, lines.next_line())
            .await
            .expect("in time")
            .expect("readable")
            .unwrap_or_else(|| panic!("{name}: no LISTENING line"));
        let port = duplex_testkit::peers::listening_port(&line).expect("LISTENING <port>");
        for transport in ["polling", "websocket", "any"] {
            let output = tokio::process::Command::new(example("client_echo"))
                .args(["--url", &format!("http://127.0.0.1:{port}/")])
                .args([
                    "--count",
                    "300",
                    "--in-flight",
                    "8",
                    "--transport",
                    transport,
                ])
                .output()
                .await
                .expect("client_echo runs");
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{name} {transport}: {stdout} {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let line: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
            assert_eq!(line["acks"], 300, "{name} {transport}: {line}");
            assert_eq!(line["mismatches"], 0, "{name} {transport}: {line}");
        }
        let _ = child.kill().await;
    }
}

/// The msgpack parser (`socket.io-msgpack-parser` on Node's side) in every transport mode:
/// acks both ways, with binary inside.
#[cfg(feature = "msgpack")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_msgpack_parser_against_node_and_ours() {
    trace();
    for kind in KINDS {
        let server = Server::start(kind, 0, &["--parser", "msgpack"]).await;
        for mode in MODES {
            eprintln!("{kind:?} {mode:?}");
            let (builder, mut heard) = client(&server.url("/"), mode);
            let socket = connected(builder.parser(duplex_socketio::proto::Parser::MsgPack).on(
                "ask",
                |event: Incoming| async move {
                    let n: u32 = event.args().expect("a number");
                    event.ack(&(n + 1)).expect("ack sent");
                },
            ))
            .await;
            assert_eq!(next_named(&mut heard, "auth").await, [json!({})]);
            let (text, bin): (String, Binary) = socket
                .emit_with_ack("message-with-ack", &("x", Binary::from(vec![7, 8])))
                .unwrap()
                .timeout(WAIT)
                .await
                .expect("acked");
            assert_eq!((text.as_str(), &bin.0[..]), ("x", &[7u8, 8][..]));
            socket
                .emit("emit-with-ack", &json!({"event": "ask", "args": [41]}))
                .unwrap();
            let result = next_named(&mut heard, "emit-with-ack-result").await;
            assert_eq!(result, [json!({"args": [42]})]);
            socket.disconnect();
        }
    }
}

/// A handler that panics is skipped; the socket and the events after it go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_does_not_stop_the_socket() {
    let server = Server::start(Kind::Ours, 0, &[]).await;
    let (tx, mut survived) = mpsc::unbounded_channel();
    let socket = connected(
        ClientBuilder::new(server.url("/"))
            .transports([Transport::WebSocket])
            .on("message-back", move |event: Incoming| {
                let tx = tx.clone();
                async move {
                    let text: String = event.args().expect("a string");
                    assert_ne!(text, "boom", "a handler bug");
                    let _ = tx.send(text);
                }
            })
            .on_connect(|_| panic!("a callback bug")),
    )
    .await;
    socket.emit("message", "boom").unwrap();
    socket.emit("message", "after").unwrap();
    let after = tokio::time::timeout(WAIT, survived.recv()).await.unwrap();
    assert_eq!(after.as_deref(), Some("after"));
    assert!(socket.connected());
    socket.disconnect();
}
