//! What `duplex serve` answers besides Socket.IO, on the same port: the chat page, its files and
//! our browser client (as ES modules and as one classic script run here by Node), 404 for the
//! rest; and `duplex` with no subcommand is `duplex serve`. The chat itself: serve.rs.

use std::time::Duration;

use serde_json::{Value, json};

mod server;
use server::{launch, serve};

const WAIT: Duration = Duration::from_secs(10);

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
    // Socket.IO keeps its path (serve.rs drives the whole chat through this same service).
    let (status, _, open) = http_get(port, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(status, 200);
    assert!(
        open.starts_with(b"0{\"sid\""),
        "{}",
        String::from_utf8_lossy(&open)
    );
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

/// `duplex` with no subcommand (what `cargo run --release` runs) is `duplex serve` with its
/// defaults and the `DUPLEX_*` variables: here only the address, to get a free port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_subcommand_serves_the_chat() {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_duplex"));
    command.env("DUPLEX_ADDR", "127.0.0.1:0");
    let (_server, port) = launch(command).await;
    let (status, headers, _) = http_get(port, "/").await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
}
