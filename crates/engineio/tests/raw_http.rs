//! Every protocol answer of our server, checked by hand-made HTTP and WebSocket requests
//! (interop/eio_raw_http.py) against what Node's engine.io answers: the error codes 0–5 with
//! their statuses and bodies, 413 over the limit, a second concurrent GET, malformed payloads,
//! what a pending GET returns as its session ends, the upgrade, CORS. Needs `scripts/setup`.

mod interop;

use duplex_engineio::Cors;
use interop::programs::{self, Report};
use interop::server::{TestServer, forbid_x_forbid, test_config};

async fn raw(server: &TestServer, args: &[&str]) -> Report {
    let mut all: Vec<String> = vec![
        "--url".into(),
        server.url(),
        "--timeout".into(),
        "80".into(),
    ];
    all.extend(args.iter().map(|s| s.to_string()));
    programs::run(&duplex_testkit::peers::python(), "eio_raw_http.py", &all).await
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
