//! Mounting: polling over HTTP/2, the layer in front of another service in a bare hyper 1.x
//! server, and the layer in an axum Router.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::Bytes;
use common::*;
use duplex_engineio::{Config, EngineIo, Message};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tower_layer::Layer;
use tower_service::Service;

/// Checks an echoing Engine.IO server at `addr` over both transports.
async fn assert_engine_io_works(addr: SocketAddr, events: &mut Events) {
    let session = Polling::open(addr).await;
    assert_eq!(session.open["upgrades"], serde_json::json!(["websocket"]));
    let socket = events.open().await;
    assert_eq!(socket.id(), session.sid());
    session.post("4over polling").await;
    assert_eq!(session.poll().await, ["4over polling"]);
    assert_eq!(
        events.message(socket.id()).await,
        Message::text("over polling")
    );

    let (mut ws, sid) = ws_open(addr).await;
    let socket = events.open().await;
    assert_eq!(socket.id().as_str(), sid);
    send_text(&mut ws, "4over websocket").await;
    assert_eq!(recv_text(&mut ws).await, "4over websocket");

    let (mut ws, _) = upgrade(&Polling::open(addr).await).await;
    send_text(&mut ws, "4upgraded").await;
    assert_eq!(recv_text(&mut ws).await, "4upgraded");
}

#[tokio::test]
async fn polling_works_over_http2_with_prior_knowledge() {
    let (server, mut events) = echoing(Config::default()).await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .expect("HTTP/2 handshake");
    let driver = tokio::spawn(connection);
    let base = format!("http://{}/engine.io/?EIO=4&transport=polling", server.addr);
    let exchange = |method: Method, uri: String, body: &'static str| {
        let mut sender = sender.clone();
        async move {
            let request = Request::builder()
                .method(method)
                .uri(uri)
                .body(Full::new(Bytes::from_static(body.as_bytes())))
                .unwrap();
            let response = within(STEP, "an HTTP/2 exchange", sender.send_request(request))
                .await
                .expect("a response");
            assert_eq!(response.version(), http::Version::HTTP_2);
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8(body.to_vec()).unwrap())
        }
    };

    let (status, body) = exchange(Method::GET, base.clone(), "").await;
    assert_eq!(status, StatusCode::OK);
    let open = open_json(&body);
    let url = format!("{base}&sid={}", open["sid"].as_str().unwrap());
    events.open().await;

    // A long-poll and a POST in flight together on one connection.
    let poll = tokio::spawn(exchange(Method::GET, url.clone(), ""));
    assert_eq!(
        exchange(Method::POST, url.clone(), "4hello").await,
        (StatusCode::OK, "ok".to_owned())
    );
    let (status, body) = within(STEP, "the long-poll", poll).await.unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, "4hello"));

    drop(sender);
    within(STEP, "the HTTP/2 connection to end", driver)
        .await
        .unwrap()
        .unwrap();
    server.stop().await;
}

/// The application's own service, behind the Engine.IO layer.
#[derive(Clone)]
struct Inner;

impl<B> Service<Request<B>> for Inner {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let body = format!("inner {}", request.uri().path());
        std::future::ready(Ok(Response::new(Full::new(Bytes::from(body)))))
    }
}

/// Aborts the accept loop when the test ends, however it ends.
struct Serving(JoinHandle<()>);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[tokio::test]
async fn the_layer_passes_other_paths_to_the_inner_service_in_bare_hyper() {
    let (recorder, mut events) = Recorder::echo();
    let engine = EngineIo::new(Config::default(), recorder);
    let service = engine.layer().layer(Inner);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _serving = Serving(tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = service.clone();
            let service = hyper::service::service_fn(move |request: Request<_>| {
                service.clone().call(request)
            });
            tokio::spawn(
                auto::Builder::new(TokioExecutor::new())
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .into_owned(),
            );
        }
    }));

    for path in ["/other", "/", "/engine.iox"] {
        let resp = get(addr, path).await;
        assert_eq!(resp.status, StatusCode::OK);
        assert_eq!(resp.text(), format!("inner {path}"));
    }
    assert_engine_io_works(addr, &mut events).await;
    // `/engine.io` without the slash is Engine.IO's too.
    let resp = get(addr, "/engine.io?EIO=4&transport=polling").await;
    assert_eq!(resp.status, StatusCode::OK);
    assert!(resp.text().starts_with("0{"), "{resp:?}");
}

#[tokio::test]
async fn the_layer_works_in_an_axum_router() {
    let (recorder, mut events) = Recorder::echo();
    let engine = EngineIo::new(Config::default(), recorder);
    let app = axum::Router::new()
        .route("/hello", axum::routing::get(|| async { "hello from axum" }))
        .layer(engine.layer());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _serving = Serving(tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    }));

    let resp = get(addr, "/hello").await;
    assert_eq!(
        (resp.status, resp.text()),
        (StatusCode::OK, "hello from axum")
    );
    assert_eq!(get(addr, "/nowhere").await.status, StatusCode::NOT_FOUND);
    assert_engine_io_works(addr, &mut events).await;
}

#[tokio::test]
async fn graceful_shutdown_releases_a_long_poll_over_http2() {
    let (server, mut events) = recording(Config::default()).await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    let driver = tokio::spawn(connection);
    let session = Polling::open(server.addr).await;
    events.open().await;
    let request = Request::get(format!("http://{}{}", server.addr, session.url()))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let poll = tokio::spawn(async move {
        let response = sender.send_request(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, body)
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    server.stop().await;
    let (status, body) = within(STEP, "the HTTP/2 long-poll", poll).await.unwrap();
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"1"[..]));
    within(STEP, "the HTTP/2 connection to end", driver)
        .await
        .unwrap()
        .unwrap();
}
