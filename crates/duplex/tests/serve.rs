//! `duplex serve`, the demo chat's server, driven by duplex's Socket.IO client: nicknames,
//! rooms, presence, typing, messages with delivery acks, images as binary, the bounded
//! history for late joiners, refusals, and the graceful shutdown on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use duplex_socketio::Binary;
use duplex_socketio::client::{ClientBuilder, DisconnectReason, Incoming, Socket, Transport};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

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

/// `duplex serve` on a free port with `args`, killed when dropped; and its port.
async fn serve<A: AsRef<std::ffi::OsStr>>(args: &[A]) -> (tokio::process::Child, u16) {
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_duplex"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .next_line()
        .await
        .unwrap()
        .unwrap();
    let port: u16 = line.strip_prefix("LISTENING ").unwrap().parse().unwrap();
    (server, port)
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

/// One HTTP/1.1 request on its own connection: (status, headers with lowercase names, body).
async fn http_get(port: u16, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut response))
        .await
        .unwrap()
        .unwrap();
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8(response[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    (
        status.parse().unwrap(),
        headers,
        response[end + 4..].to_vec(),
    )
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The page, its files and the client are served from the binary beside Socket.IO, on the
/// same port; unknown paths are 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_the_client_are_served_beside_socket_io() {
    let (_server, port) = serve::<&str>(&[]).await;
    let javascript = "text/javascript; charset=utf-8";
    let files = [
        ("/", "text/html; charset=utf-8", "/chat/chat.js"),
        (
            "/?nick=ada&room=x",
            "text/html; charset=utf-8",
            "/chat/chat.css",
        ),
        (
            "/chat/chat.js",
            javascript,
            "from '/socket.io/client/index.js'",
        ),
        ("/chat/chat.css", "text/css; charset=utf-8", "--accent"),
        (
            "/socket.io/client/index.js",
            javascript,
            "export function io(",
        ),
        ("/socket.io/client/engine.js", javascript, "class Engine"),
        ("/socket.io/socket.io.js", javascript, "root.io = io;"),
    ];
    for (path, content_type, sample) in files {
        let (status, headers, body) = http_get(port, path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            header(&headers, "content-type"),
            Some(content_type),
            "{path}"
        );
        assert_eq!(
            header(&headers, "cache-control"),
            Some("no-cache"),
            "{path}"
        );
        assert!(header(&headers, "etag").is_some(), "{path}");
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains(sample), "{path} lacks {sample:?}");
    }
    let (_, _, script) = http_get(port, "/socket.io/socket.io.js").await;
    assert!(!String::from_utf8(script).unwrap().contains("\nexport "));
    for path in ["/nothing", "/chat/nothing.js", "/web/chat/chat.js"] {
        assert_eq!(http_get(port, path).await.0, 404, "{path}");
    }
    // Socket.IO's own requests are still its own.
    let (status, _, open) = http_get(port, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(status, 200);
    assert!(
        open.starts_with(b"0{\"sid\""),
        "{}",
        String::from_utf8_lossy(&open)
    );
    for transports in [&[Transport::WebSocket][..], &[Transport::Polling]] {
        let (socket, _heard) = client(port, transports).await;
        assert_eq!(call(&socket, "hello", &json!("web")).await["ok"], true);
        socket.disconnect();
    }
}

/// `/socket.io/socket.io.js` run by Node as a classic script defines `io`, which speaks
/// Socket.IO over a scripted WebSocket: the CONNECT, an event with binary, an ack, an event
/// with binary received.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_classic_script_defines_a_working_io() {
    let (_server, port) = serve::<&str>(&[]).await;
    let (_, _, script) = http_get(port, "/socket.io/socket.io.js").await;
    let dir = std::env::temp_dir().join(format!("duplex-classic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("socket.io.js");
    std::fs::write(&path, script).unwrap();
    let node = duplex_testkit::peers::node(&[]);
    let output = tokio::process::Command::new(node)
        .args(["-e", SCRIPTED_WEBSOCKET])
        .arg(&path)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(WAIT, output).await.unwrap().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        result,
        json!({
            "global": ["function", "function", "function", 5],
            "sent": ["40", "451-[\"hi\",{\"n\":1},{\"_placeholder\":true,\"num\":0}]", [1, 2, 3], "420[\"q\"]"],
            "ack": 42,
            "echo": ["ok", [9, 8]],
        })
    );
}

/// Node: loads the script named by argv[1] in this realm (so its `instanceof ArrayBuffer`
/// sees Node's buffers) with a scripted WebSocket standing in for the server.
const SCRIPTED_WEBSOCKET: &str = r#"
const fs = require('node:fs');
const vm = require('node:vm');
setTimeout(() => { console.log('timed out'); process.exit(1); }, 5000);
const sent = [];
let server;
globalThis.WebSocket = class {
  constructor() {
    server = this;
    setTimeout(() => {
      this.onopen();
      this.onmessage({ data: '0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}' });
    });
  }
  send(frame) {
    sent.push(typeof frame === 'string' ? frame : [...new Uint8Array(frame.buffer ?? frame)]);
    if (frame === '40') setTimeout(() => this.onmessage({ data: '40{"sid":"n"}' }));
  }
  close() {}
};
vm.runInThisContext(fs.readFileSync(process.argv[1], 'utf8'));
const io = globalThis.io;
const socket = io('http://127.0.0.1:1/', { transports: ['websocket'] });
socket.on('connect', () => {
  socket.emit('hi', { n: 1 }, new Uint8Array([1, 2, 3]).buffer);
  socket.emit('q', (answer) => {
    socket.on('echo', (text, bytes) => {
      console.log(JSON.stringify({
        global: [typeof io, typeof io.Manager, typeof io.connect, io.protocol],
        sent, ack: answer, echo: [text, [...new Uint8Array(bytes)]],
      }));
      process.exit(0);
    });
    server.onmessage({ data: '451-["echo","ok",{"_placeholder":true,"num":0}]' });
    server.onmessage({ data: new Uint8Array([9, 8]).buffer });
  });
  setTimeout(() => server.onmessage({ data: '430[42]' }));
});
"#;
