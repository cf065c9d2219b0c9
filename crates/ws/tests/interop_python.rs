//! Our server and client against Python `websockets` (interop/py_client.py,
//! interop/py_echo_server.py), over the whole permessage-deflate table.
//! Needs `scripts/setup`.

mod common;

use common::peers::Peer;
use common::suite;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_vs_our_server_every_deflate_case() {
    suite::for_each_case(Peer::Python, suite::peer_client_vs_our_server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_vs_our_server_without_deflate() {
    suite::peer_client_vs_our_server_without_deflate(Peer::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_vs_python_server_every_deflate_case() {
    suite::for_each_case(Peer::Python, suite::our_client_vs_peer_server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_vs_python_server_without_deflate() {
    suite::our_client_vs_peer_server_without_deflate(Peer::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_offers_vs_our_server_every_deflate_case() {
    suite::for_each_case(Peer::Python, suite::peer_client_offer_vs_our_server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_offers_vs_python_server_every_deflate_case() {
    suite::for_each_case(Peer::Python, suite::our_client_offer_vs_peer_server).await;
}
