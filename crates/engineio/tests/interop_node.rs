//! The official `engine.io-client` in Node (interop/eio_client.mjs) against our server: every
//! scenario in every transport mode (polling, websocket, polling then upgrade), Engine.IO v4
//! (engine.io-client 6) and v3 (engine.io-client 3, with `allow_eio3`). Needs `scripts/setup`.

mod interop;

use duplex_engineio::CloseReason;
use interop::MODES;
use interop::programs::{self, Verdicts};
use interop::server::{TestServer, scenario_config};

/// Runs `scenario` in every mode against one server; `server_reason` is how our side must
/// have seen the session end.
async fn every_mode(scenario: &str, eio3: bool, server_reason: Option<CloseReason>) {
    let server = TestServer::start(scenario_config(scenario).allow_eio3(eio3)).await;
    let mut verdicts = Verdicts::default();
    for mode in MODES {
        let report = programs::node_client(&server.url(), mode, scenario, eio3).await;
        let extra = server.wrong_close_reason(&report, server_reason).await;
        verdicts.record(&report, extra);
    }
    verdicts.assert_all_passed();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_text_and_binary_and_a_burst_across_the_upgrade() {
    every_mode("echo", false, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_at_the_payload_limit_echo() {
    every_mode("at-limit", false, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_limit_closes_the_session() {
    every_mode("over-limit", false, Some(CloseReason::TransportError)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_answering_pings_is_closed() {
    every_mode("heartbeat-expiry", false, Some(CloseReason::PingTimeout)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_closes_a_session() {
    every_mode("server-close", false, Some(CloseReason::ForcedClose)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_closes_a_session() {
    every_mode("client-close", false, Some(CloseReason::TransportClose)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eio3_echo_text_and_binary_and_a_burst_across_the_upgrade() {
    every_mode("echo", true, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eio3_messages_at_the_payload_limit_echo() {
    every_mode("at-limit", true, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eio3_a_message_over_the_limit_closes_the_session() {
    every_mode("over-limit", true, Some(CloseReason::TransportError)).await;
}

/// Unlike Node's engine.io, whose upgraded v3 sessions never time out (interop/README.md),
/// ours must expire in every mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eio3_a_client_that_stops_pinging_is_closed() {
    every_mode("heartbeat-expiry", true, Some(CloseReason::PingTimeout)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eio3_the_server_closes_a_session() {
    every_mode("server-close", true, Some(CloseReason::ForcedClose)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eio3_the_client_closes_a_session() {
    every_mode("client-close", true, Some(CloseReason::TransportClose)).await;
}
