//! `duplex serve`, the demo chat's server, driven by duplex's Socket.IO client: nicknames,
//! rooms, presence, typing, messages with delivery acks, images as binary, the bounded
//! history for late joiners, refusals, and the graceful shutdown on SIGTERM.

use std::time::Duration;

use duplex_socketio::Binary;
use duplex_socketio::client::{ClientBuilder, DisconnectReason, Incoming, Socket, Transport};
use serde_json::{Value, json};
use tokio::sync::mpsc;

mod server;
use server::serve;

const WAIT: Duration = Duration::from_secs(10);

type Heard = mpsc::UnboundedReceiver<(String, Value)>;

/// A connected client recording every event (first argument, binary as bytes arrays).
async fn client(port: u16, transports: &[Transport]) -> (Socket, Heard) {
    let (tx, rx) = mpsc::unbounded_channel();
    let socket = ClientBuilder::new(format!("http://127.0.0.1:{port}/"))
        .transports(transports.iter().copied())
        .on_any(move |event: Incoming| {
            let tx = tx.clone();
            async move {
                let first = match event.event() {
                    // An image's data is an attachment: decoded through `Binary`.
                    "image" => event.args::<ImageEntry>().map(|i| {
                        let mut value = i.rest;
                        value["data"] = json!(i.data.0.to_vec());
                        value
                    }),
                    _ => event.args::<Value>(),
                };
                let _ = tx.send((event.event().to_owned(), first.unwrap_or(Value::Null)));
            }
        })
        .connect();
    let socket = tokio::time::timeout(WAIT, socket).await.unwrap().unwrap();
    (socket, rx)
}

#[derive(serde::Deserialize)]
struct ImageEntry {
    data: Binary,
    #[serde(flatten)]
    rest: Value,
}

async fn call(socket: &Socket, event: &str, args: &Value) -> Value {
    socket
        .emit_with_ack::<Value, _>(event, args)
        .unwrap()
        .timeout(WAIT)
        .await
        .unwrap()
}

async fn next(heard: &mut Heard, name: &str) -> Value {
    tokio::time::timeout(WAIT, async {
        loop {
            let (event, value) = heard.recv().await.expect("alive");
            if event == name {
                return value;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {name}"))
}

fn sorted(members: &Value) -> Vec<String> {
    let mut names: Vec<String> = serde_json::from_value(members.clone()).unwrap();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_works_end_to_end_and_shuts_down_gracefully() {
    let (mut server, port) = serve(&["--history", "3"]).await;

    for transports in [&[Transport::WebSocket][..], &[Transport::Polling]] {
        let room = format!("lobby-{transports:?}");
        let (ada, mut ada_heard) = client(port, transports).await;
        let (bob, mut bob_heard) = client(port, transports).await;

        // Nicknames first; refusals say why.
        let early = call(&bob, "join", &json!(room)).await;
        assert_eq!(early["ok"], false, "{early}");
        assert_eq!(call(&ada, "hello", &json!("")).await["ok"], false);
        assert_eq!(
            call(&ada, "hello", &json!(" ada ")).await,
            json!({"ok": true, "nick": "ada"})
        );
        assert_eq!(call(&bob, "hello", &json!("bob")).await["ok"], true);

        // Joining: members and history in the ack, presence to the others.
        let joined = call(&ada, "join", &json!(room)).await;
        assert_eq!(joined["ok"], true);
        assert_eq!(sorted(&joined["members"]), ["ada"]);
        assert_eq!(joined["history"], json!([]));
        let joined = call(&bob, "join", &json!(room)).await;
        assert_eq!(sorted(&joined["members"]), ["ada", "bob"]);
        let presence = next(&mut ada_heard, "presence").await;
        assert_eq!(sorted(&presence["members"]), ["ada", "bob"]);

        // Typing, a message with its delivery ack, an image as binary.
        bob.emit("typing", &json!({"room": room, "typing": true}))
            .unwrap();
        let typing = next(&mut ada_heard, "typing").await;
        assert_eq!(typing, json!({"room": room, "nick": "bob", "typing": true}));
        let sent = call(&ada, "message", &json!({"room": room, "text": "hi"})).await;
        assert_eq!(sent["ok"], true);
        let got = next(&mut bob_heard, "message").await;
        assert_eq!(got["kind"], "message");
        assert_eq!(
            (&got["nick"], &got["text"], &got["id"]),
            (&json!("ada"), &json!("hi"), &sent["id"])
        );
        let sent = ada
            .emit_with_ack::<Value, _>(
                "image",
                &ImageOut {
                    room: room.clone(),
                    name: "dot.png".into(),
                    mime: "image/png".into(),
                    data: Binary::from(vec![137, 80, 78, 71]),
                },
            )
            .unwrap()
            .timeout(WAIT)
            .await
            .unwrap();
        assert_eq!(sent["ok"], true, "{sent}");
        let got = next(&mut bob_heard, "image").await;
        assert_eq!(
            (&got["name"], &got["data"]),
            (&json!("dot.png"), &json!([137, 80, 78, 71]))
        );
        let outside = call(&ada, "message", &json!({"room": "elsewhere", "text": "x"})).await;
        assert_eq!(outside["ok"], false);

        // A late joiner gets the last 3 entries (the history's bound).
        for text in ["one", "two"] {
            call(&bob, "message", &json!({"room": room, "text": text})).await;
        }
        let (cy, _cy_heard) = client(port, transports).await;
        call(&cy, "hello", &json!("cy")).await;
        let joined = call(&cy, "join", &json!(room)).await;
        let kinds: Vec<&str> = joined["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["image", "message", "message"]);
        assert_eq!(joined["history"][2]["text"], "two");

        // Leaving and disconnecting update the presence of those who stay.
        bob.disconnect();
        cy.disconnect();
        let mut presence = next(&mut ada_heard, "presence").await;
        while sorted(&presence["members"]) != ["ada"] {
            presence = next(&mut ada_heard, "presence").await;
        }
        assert_eq!(call(&ada, "leave", &json!(room)).await["ok"], true);
        if transports == [Transport::WebSocket] {
            ada.disconnect();
        } else {
            // SIGTERM: the connected client is told, and the server exits cleanly.
            let (tx, mut reasons) = mpsc::unbounded_channel();
            ada.on_disconnect(move |_, reason| {
                let _ = tx.send(reason);
            });
            let pid = server.id().expect("running");
            let status = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            let reason = tokio::time::timeout(WAIT, reasons.recv())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(reason, DisconnectReason::TransportClose);
            let exit = tokio::time::timeout(WAIT, server.wait())
                .await
                .unwrap()
                .unwrap();
            assert!(exit.success(), "{exit:?}");
            ada.disconnect();
        }
    }
}

#[derive(serde::Serialize)]
struct ImageOut {
    room: String,
    name: String,
    mime: String,
    data: Binary,
}

/// `--tls-cert`/`--tls-key`: the chat over HTTPS and WSS, reached by the client trusting the
/// certificate; a plain-HTTP client is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_is_served_over_tls() {
    let cert = duplex_testkit::tls::TestCert::new("serve");
    let tls_args = [
        "--tls-cert".as_ref(),
        cert.cert.as_os_str(),
        "--tls-key".as_ref(),
        cert.key.as_os_str(),
    ];
    let (_server, port) = serve(&tls_args).await;
    let modes: [&[Transport]; 3] = [
        &[Transport::WebSocket],
        &[Transport::Polling],
        &[Transport::Polling, Transport::WebSocket],
    ];
    for transports in modes {
        let socket = ClientBuilder::new(format!("https://127.0.0.1:{port}/"))
            .transports(transports.iter().copied())
            .tls(cert.trusted())
            .connect();
        let socket = tokio::time::timeout(WAIT, socket).await.unwrap().unwrap();
        let hello = call(&socket, "hello", &json!("tls")).await;
        assert_eq!(hello, json!({"ok": true, "nick": "tls"}), "{transports:?}");
        socket.disconnect();
    }
    let plain = ClientBuilder::new(format!("http://127.0.0.1:{port}/"))
        .transports([Transport::WebSocket])
        .reconnection(false)
        .connect_timeout(Duration::from_secs(2))
        .connect();
    let refused = tokio::time::timeout(WAIT, plain).await.unwrap();
    assert!(refused.is_err(), "plain HTTP on a TLS port");
}
