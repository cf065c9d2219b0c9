//! Headless Chromium's own `WebSocket` as a client of our server
//! (interop/chromium_client.mjs). Needs `scripts/setup` (chromium, playwright-core).

mod common;

use common::echo::EchoServer;
use common::peers::run_chromium;
use duplex_ws::{CloseFrame, DeflateConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_negotiates_deflate_and_echoes_through_our_server() {
    let mut server = EchoServer::start(Some(DeflateConfig::default())).await;
    let report = run_chromium(&server.url("/chromium")).await;
    report.assert_ok();
    // Chromium offers `permessage-deflate; client_max_window_bits`; with the default
    // config we answer plain `permessage-deflate`.
    assert!(
        report.extensions().starts_with("permessage-deflate"),
        "the browser's ws.extensions: {:?}",
        report.extensions()
    );
    for check in ["text-100k", "binary-1048576", "close-1000"] {
        assert!(
            report.passed(check),
            "{check} did not pass: {}",
            report.json
        );
    }
    let side = server.next_report().await;
    assert!(side.compressed, "{side:?}");
    assert_eq!(side.close, Some(CloseFrame::new(1000, "duplex bye")));
    assert_eq!(side.error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_with_a_small_server_window() {
    let deflate = DeflateConfig::default()
        .server_no_context_takeover(true)
        .server_max_window_bits(Some(9))
        .client_max_window_bits(Some(10));
    let mut server = EchoServer::start(Some(deflate)).await;
    let report = run_chromium(&server.url("/")).await;
    report.assert_ok();
    let extensions = common::cases::normalize_extensions(report.extensions());
    for param in [
        "permessage-deflate",
        "server_no_context_takeover",
        "server_max_window_bits=9",
        "client_max_window_bits=10",
    ] {
        assert!(
            extensions.contains(param),
            "{param} missing in {extensions:?}"
        );
    }
    assert!(server.next_report().await.compressed);
}
