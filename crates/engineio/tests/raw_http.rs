//! Every protocol answer of our server, checked by hand-made HTTP and WebSocket requests
//! (interop/eio_raw_http.py) against what Node's engine.io answers: the error codes 0–5 with
//! their statuses and bodies, 413 over the limit, a second concurrent GET, malformed payloads,
//! what a pending GET returns as its session ends, the upgrade, CORS. Needs `scripts/setup`.

mod common;

use common::peers::{self, Report};
use common::server::{TestServer, forbid_x_forbid, test_config};
use duplex_engineio::Cors;

async fn raw(server: &TestServer, args: &[&str]) -> Report {
    let mut all: Vec<String> = vec![
        "--url".into(),
        server.url(),
        "--timeout".into(),
        "80".into(),
    ];
    all.extend(args.iter().map(|s| s.to_string()));
    peers::run(&peers::python(), "eio_raw_http.py", &all).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_with_cors_any_and_a_refusing_allow_request() {
    let config = forbid_x_forbid(test_config().max_http_buffer_size(1000)).cors(Cors::any());
    let server = TestServer::start(config).await;
    let report = raw(
        &server,
        &["--max-payload", "1000", "--forbid", "--cors", "*"],
    )
    .await;
    assert!(report.ok(), "{}", report.explain());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_with_eio3_allowed_and_one_named_origin() {
    let cors = Cors::origins(["http://duplex.test"]).credentials(true);
    let server = TestServer::start(test_config().allow_eio3(true).cors(cors)).await;
    let report = raw(&server, &["--eio3-allowed", "--cors", "http://duplex.test"]).await;
    assert!(report.ok(), "{}", report.explain());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_without_cors() {
    let server = TestServer::start(test_config()).await;
    let report = raw(&server, &[]).await;
    assert!(report.ok(), "{}", report.explain());
}

/// A plain HTTP/1.1 GET on its own connection: the status and the body (Content-Length or
/// chunked).
async fn http_get(addr: std::net::SocketAddr, target: String) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    if !chunked {
        return (status, body.to_string());
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    (status, out)
}

/// Node's engine.io answers a pending long-poll with the close packet `1` when the server
/// shuts down (interop/README.md); ours must too, and call the session's `on_close` with
/// `server shutting down`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_releases_a_pending_poll_with_a_close_packet() {
    // The default 25 s heartbeat: no ping may answer the poll first.
    let server = TestServer::start(duplex_engineio::Config::default()).await;
    let (status, open) = http_get(server.addr, "/engine.io/?EIO=4&transport=polling".into()).await;
    assert_eq!(status, 200, "{open}");
    let open: serde_json::Value = serde_json::from_str(&open[1..]).expect("open packet JSON");
    let sid = open["sid"].as_str().expect("sid").to_string();
    let poll = tokio::spawn(http_get(
        server.addr,
        format!("/engine.io/?EIO=4&transport=polling&sid={sid}"),
    ));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    common::within("shutdown", server.engine.shutdown()).await;
    let (status, body) = common::within("the pending poll", poll)
        .await
        .expect("poll task");
    assert_eq!((status, body.as_str()), (200, "1"));
    assert_eq!(
        server.close_reason(&sid).await,
        Some(duplex_engineio::CloseReason::ServerShutdown)
    );
}
