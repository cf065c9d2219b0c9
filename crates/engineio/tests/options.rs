//! Options that change what the wire carries: `allow_request`, the `io` cookie,
//! `http_compression`, `per_message_deflate`, and CORS.

mod common;

use std::io::Read;

use bytes::Bytes;
use common::*;
use duplex_engineio::{Config, Cookie, HttpCompression, Refusal};
use duplex_ws::{ClientConfig, ClientRequest, DeflateConfig};
use http::header::{HeaderName, HeaderValue};
use http::{Method, StatusCode};
use tokio::sync::mpsc;

/// What the `allow_request` hook saw: the `x-token` header and the `room` query parameter.
type Seen = (Option<String>, Option<String>);

fn guarded() -> (Config, mpsc::UnboundedReceiver<Seen>) {
    let (seen_tx, seen) = mpsc::unbounded_channel();
    let config = Config::default().allow_request(move |request| {
        let seen_tx = seen_tx.clone();
        async move {
            let token = request
                .headers()
                .get("x-token")
                .map(|v| v.to_str().unwrap().to_owned());
            let room = request.query("room").map(str::to_owned);
            let _ = seen_tx.send((token.clone(), room));
            match token.as_deref() {
                Some("secret") => Ok(()),
                _ => Err(Refusal::new("token \"refused\"")),
            }
        }
    });
    (config, seen)
}

#[tokio::test]
async fn allow_request_sees_headers_and_query_and_its_refusal_is_a_403() {
    let (config, mut seen) = guarded();
    let (server, mut events) = echoing(config).await;
    let addr = server.addr;
    let polling = eio("EIO=4&transport=polling&room=lobby");
    let websocket = eio("EIO=4&transport=websocket&room=lobby");

    get(addr, &polling)
        .await
        .assert_error(403, 4, "token \"refused\"");
    assert_eq!(seen.recv().await, Some((None, Some("lobby".into()))));
    send(addr, ws_request(&websocket))
        .await
        .assert_error(403, 4, "token \"refused\"");
    assert_eq!(seen.recv().await, Some((None, Some("lobby".into()))));
    assert_eq!(server.engine.session_count(), 0);

    let resp = send(
        addr,
        request(
            Method::GET,
            &polling,
            &[("x-token", "secret")],
            Bytes::new(),
        ),
    )
    .await;
    assert_eq!(resp.status, StatusCode::OK);
    let sid = open_json(resp.text())["sid"].as_str().unwrap().to_owned();
    assert_eq!(
        seen.recv().await,
        Some((Some("secret".into()), Some("lobby".into())))
    );
    let socket = events.open().await;
    assert_eq!(socket.id().as_str(), sid);
    assert_eq!(socket.request().query("room"), Some("lobby"));
    let peer = socket
        .request()
        .remote_addr()
        .expect("serve records the peer");
    assert!(peer.ip().is_loopback() && peer.port() != addr.port());

    let request = ClientRequest::new(&format!("ws://{addr}{websocket}"))
        .unwrap()
        .header(
            HeaderName::from_static("x-token"),
            HeaderValue::from_static("secret"),
        );
    let (mut ws, _) = duplex_ws::connect_with(request, &ClientConfig::default())
        .await
        .expect("an accepted WebSocket handshake");
    assert!(recv_text(&mut ws).await.starts_with("0{"));
    assert_eq!(
        seen.recv().await,
        Some((Some("secret".into()), Some("lobby".into())))
    );

    // Only handshakes go through the hook: requests of an open session do not.
    let url = eio(&format!("EIO=4&transport=polling&sid={sid}"));
    assert_eq!(post(addr, &url, "4hi").await.status, StatusCode::OK);
    assert_eq!(get(addr, &url).await.text(), "4hi");
    assert!(seen.try_recv().is_err());
}

#[tokio::test]
async fn the_io_cookie_carries_the_sid_on_handshakes() {
    let (server, _events) = recording(Config::default().cookie(Some(Cookie::default()))).await;
    let resp = get(server.addr, &eio("EIO=4&transport=polling")).await;
    let sid = open_json(resp.text())["sid"].as_str().unwrap().to_owned();
    let cookies: Vec<_> = resp.headers.get_all("set-cookie").iter().collect();
    assert_eq!(
        cookies,
        [&format!("io={sid}; Path=/; HttpOnly; SameSite=Lax")]
    );
    // Requests of an open session do not set it again.
    let resp = post(
        server.addr,
        &eio(&format!("EIO=4&transport=polling&sid={sid}")),
        "4x",
    )
    .await;
    assert!(resp.headers.get("set-cookie").is_none());

    let url = format!("ws://{}{}", server.addr, eio("EIO=4&transport=websocket"));
    let (mut ws, response) = duplex_ws::connect(&url).await.unwrap();
    let sid = open_json(&recv_text(&mut ws).await)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        response.headers().get("set-cookie").unwrap(),
        &format!("io={sid}; Path=/; HttpOnly; SameSite=Lax")
    );

    let (plain, _events) = recording(Config::default()).await;
    let resp = get(plain.addr, &eio("EIO=4&transport=polling")).await;
    assert!(resp.headers.get("set-cookie").is_none(), "off by default");
}

/// One poll of `session` sent with `Accept-Encoding: accept`.
async fn poll_accepting(session: &Polling, accept: &str) -> Resp {
    let headers = [("accept-encoding", accept)];
    send(
        session.addr,
        request(Method::GET, &session.url(), &headers, Bytes::new()),
    )
    .await
}

fn gunzip(body: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(body)
        .read_to_string(&mut out)
        .expect("a gzip body");
    out
}

fn inflate(body: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::ZlibDecoder::new(body)
        .read_to_string(&mut out)
        .expect("a zlib body");
    out
}

#[tokio::test]
async fn polling_responses_over_the_threshold_are_compressed_when_accepted() {
    let threshold = HttpCompression::default().threshold;
    assert_eq!(threshold, 1024);
    let (server, _events) = echoing(Config::default()).await;
    let session = Polling::open(server.addr).await;
    let big = format!("4{}", "x".repeat(2000));

    session.post(big.clone()).await;
    let resp = poll_accepting(&session, "gzip, deflate, br").await;
    assert_eq!(resp.headers["content-encoding"], "gzip");
    assert!(resp.body.len() < 200, "{} bytes", resp.body.len());
    assert_eq!(gunzip(&resp.body), big);

    session.post(big.clone()).await;
    let resp = poll_accepting(&session, "deflate").await;
    assert_eq!(resp.headers["content-encoding"], "deflate");
    assert_eq!(inflate(&resp.body), big);

    session.post(big.clone()).await;
    let resp = poll_accepting(&session, "br").await;
    assert!(resp.headers.get("content-encoding").is_none());
    assert_eq!(resp.text(), big);

    // The threshold is inclusive: a payload of exactly 1024 bytes is compressed.
    let exactly = format!("4{}", "y".repeat(threshold - 1));
    session.post(exactly.clone()).await;
    let resp = poll_accepting(&session, "gzip").await;
    assert_eq!(resp.headers["content-encoding"], "gzip");
    assert_eq!(gunzip(&resp.body), exactly);
    session.post(exactly[..threshold - 1].to_owned()).await;
    let resp = poll_accepting(&session, "gzip").await;
    assert!(resp.headers.get("content-encoding").is_none());
    assert_eq!(resp.body.len(), threshold - 1);

    session.post("4small").await;
    let resp = poll_accepting(&session, "gzip").await;
    assert!(resp.headers.get("content-encoding").is_none());
    assert_eq!(resp.text(), "4small");

    let (plain, _events) = echoing(Config::default().http_compression(None)).await;
    let session = Polling::open(plain.addr).await;
    session.post(big.clone()).await;
    let resp = poll_accepting(&session, "gzip").await;
    assert!(resp.headers.get("content-encoding").is_none());
    assert_eq!(resp.text(), big);
}

#[tokio::test]
async fn per_message_deflate_is_negotiated_when_enabled() {
    let (server, mut events) = echoing(Config::default().per_message_deflate(true)).await;
    let url = format!("ws://{}{}", server.addr, eio("EIO=4&transport=websocket"));
    let request = ClientRequest::new(&url)
        .unwrap()
        .deflate(Some(DeflateConfig::default()));
    let (mut ws, response) = duplex_ws::connect_with(request, &ClientConfig::default())
        .await
        .unwrap();
    let extensions = response.headers()["sec-websocket-extensions"]
        .to_str()
        .unwrap();
    assert!(extensions.starts_with("permessage-deflate"), "{extensions}");
    recv_text(&mut ws).await;
    let socket = events.open().await;
    let big = format!("4{}", "abc".repeat(1000));
    send_text(&mut ws, &big).await;
    assert_eq!(recv_text(&mut ws).await, big);
    assert_eq!(events.message(socket.id()).await.len(), big.len() - 1);

    // Off by default: an offer is declined.
    let (plain, _events) = echoing(Config::default()).await;
    let url = format!("ws://{}{}", plain.addr, eio("EIO=4&transport=websocket"));
    let request = ClientRequest::new(&url)
        .unwrap()
        .deflate(Some(DeflateConfig::default()));
    let (_, response) = duplex_ws::connect_with(request, &ClientConfig::default())
        .await
        .unwrap();
    assert!(response.headers().get("sec-websocket-extensions").is_none());
}

#[tokio::test]
async fn cors_headers_are_on_every_answer_and_preflights_are_answered() {
    let cors = duplex_engineio::Cors::origins(["http://app.test"]).credentials(true);
    let (server, _events) = echoing(Config::default().cors(cors)).await;
    let handshake = eio("EIO=4&transport=polling");
    let from = |origin| [("origin", origin)];

    let resp = send(
        server.addr,
        request(
            Method::GET,
            &handshake,
            &from("http://app.test"),
            Bytes::new(),
        ),
    )
    .await;
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(
        resp.headers["access-control-allow-origin"],
        "http://app.test"
    );
    assert_eq!(resp.headers["access-control-allow-credentials"], "true");
    let sid = open_json(resp.text())["sid"].as_str().unwrap().to_owned();

    // Error answers carry them too, so a browser can read the error.
    let resp = send(
        server.addr,
        request(
            Method::GET,
            &eio("EIO=4&transport=polling&sid=nope"),
            &from("http://app.test"),
            Bytes::new(),
        ),
    )
    .await;
    resp.assert_error(400, 1, "Session ID unknown");
    assert_eq!(
        resp.headers["access-control-allow-origin"],
        "http://app.test"
    );

    let resp = send(
        server.addr,
        request(
            Method::GET,
            &handshake,
            &from("http://evil.test"),
            Bytes::new(),
        ),
    )
    .await;
    assert!(resp.headers.get("access-control-allow-origin").is_none());

    let preflight = request(
        Method::OPTIONS,
        &eio(&format!("EIO=4&transport=polling&sid={sid}")),
        &[
            ("origin", "http://app.test"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
        Bytes::new(),
    );
    let resp = send(server.addr, preflight).await;
    assert_eq!(resp.status, StatusCode::NO_CONTENT);
    assert!(resp.body.is_empty());
    assert_eq!(
        resp.headers["access-control-allow-origin"],
        "http://app.test"
    );
    assert_eq!(resp.headers["access-control-allow-headers"], "content-type");
    let methods = resp.headers["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.split(',').any(|m| m == "POST"), "{methods}");
    // The preflight is not a request of the session.
    assert!(
        server
            .engine
            .socket(duplex_engineio::Sid::parse(&sid).unwrap())
            .is_some()
    );
}
