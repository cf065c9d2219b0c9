//! Cross-origin Engine.IO from headless Chromium (interop/eio_chromium_cors.mjs): a page on
//! another origin runs engine.io-client's browser bundle over preflighted long-polling against
//! our server. Needs `scripts/setup` (chromium, playwright-core).

mod interop;

use std::time::Duration;

use duplex_engineio::{Config, Cors};
use interop::programs::{self, Report};
use interop::server::{TestServer, test_config};

async fn chromium(server: &TestServer, extra: &[&str]) -> Report {
    let mut args: Vec<String> = vec![
        "--url".into(),
        server.url(),
        "--timeout".into(),
        "60".into(),
    ];
    args.push("--executable".into());
    args.push(duplex_testkit::peers::chromium().display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    programs::run(&programs::node(), "eio_chromium_cors.mjs", &args).await
}

/// [`test_config`] with a pong deadline that a page can meet on a loaded machine: every pong
/// is a preflighted POST (two requests through Chromium), and with 200 ms one once missed it,
/// which closed the session mid-test. Pings still come every 300 ms.
fn browser_config() -> Config {
    test_config().ping_timeout(Duration::from_secs(3))
}

/// A loopback port nobody listens on right now, for the page's own server: the test must
/// know the page's origin before it configures ours.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_origin_passes_the_preflight_and_echoes() {
    let server = TestServer::start(browser_config().cors(Cors::any())).await;
    let report = chromium(&server, &[]).await;
    assert!(report.ok(), "{}", report.explain());
    let preflight = &report.json["preflights"][0]["response_headers"];
    assert_eq!(
        preflight["access-control-allow-origin"], "*",
        "{}",
        report.json
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_origin_with_credentials_passes_the_preflight_and_echoes() {
    let page_port = free_port();
    let origin = format!("http://127.0.0.1:{page_port}");
    let cors = Cors::origins([origin.clone()]).credentials(true);
    let server = TestServer::start(browser_config().cors(cors)).await;
    let port = page_port.to_string();
    let report = chromium(&server, &["--page-port", &port, "--with-credentials"]).await;
    assert!(report.ok(), "{}", report.explain());
    let preflight = &report.json["preflights"][0]["response_headers"];
    assert_eq!(
        preflight["access-control-allow-origin"],
        origin.as_str(),
        "{}",
        report.json
    );
    assert_eq!(
        preflight["access-control-allow-credentials"], "true",
        "{}",
        report.json
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_origin_is_refused_by_the_browser() {
    let server =
        TestServer::start(browser_config().cors(Cors::origins(["http://other.test"]))).await;
    let report = chromium(&server, &["--expect", "refused"]).await;
    assert!(report.ok(), "{}", report.explain());
    assert_eq!(server.engine.session_count(), 0, "no session may open");
}
