//! python-engineio's client (interop/py_eio_client.py) against our server: every scenario in
//! every transport mode. Needs `scripts/setup`.

mod interop;

use interop::MODES;
use interop::programs::{self, Verdicts};
use interop::server::{TestServer, scenario_config};
use std::time::Duration;

use duplex_engineio::CloseReason;

/// python-engineio's threads answer a ping late while it moves a megabyte (seen missing
/// Node's 200 ms `pingTimeout` too), so only the heartbeat test keeps the short timeout; the
/// 300 ms interval still puts pings among every scenario's messages.
async fn every_mode(scenario: &str, server_reason: Option<CloseReason>) {
    let mut config = scenario_config(scenario);
    if scenario != "heartbeat-expiry" {
        config = config.ping_timeout(Duration::from_secs(5));
    }
    let server = TestServer::start(config).await;
    let mut verdicts = Verdicts::default();
    for mode in MODES {
        let report = programs::python_client(&server.url(), mode, scenario).await;
        let extra = server.wrong_close_reason(&report, server_reason).await;
        verdicts.record(&report, extra);
    }
    verdicts.assert_all_passed();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_text_and_binary() {
    every_mode("echo", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_at_the_payload_limit_echo() {
    every_mode("at-limit", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_limit_closes_the_session() {
    every_mode("over-limit", Some(CloseReason::TransportError)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_answering_pings_is_closed() {
    every_mode("heartbeat-expiry", Some(CloseReason::PingTimeout)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_closes_a_session() {
    every_mode("server-close", Some(CloseReason::ForcedClose)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_closes_a_session() {
    every_mode("client-close", Some(CloseReason::TransportClose)).await;
}
