//! Our server and client against Node `ws` (interop/ws_client.mjs,
//! interop/ws_echo_server.mjs), over the whole permessage-deflate table.
//! Needs `scripts/setup`.

mod common;

use common::peers::Peer;
use common::suite;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_vs_our_server_every_deflate_case() {
    suite::for_each_case(Peer::Node, suite::peer_client_vs_our_server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_vs_our_server_without_deflate() {
    suite::peer_client_vs_our_server_without_deflate(Peer::Node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_vs_node_server_every_deflate_case() {
    suite::for_each_case(Peer::Node, suite::our_client_vs_peer_server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_vs_node_server_without_deflate() {
    suite::our_client_vs_peer_server_without_deflate(Peer::Node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_offers_vs_our_server_every_deflate_case() {
    suite::for_each_case(Peer::Node, suite::peer_client_offer_vs_our_server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_offers_vs_node_server_every_deflate_case() {
    suite::for_each_case(Peer::Node, suite::our_client_offer_vs_peer_server).await;
}

/// The table the tests above run through is what its doc promises.
#[test]
fn the_table_covers_every_window_pair_and_flag_pairing() {
    let cases = common::cases::deflate_cases();
    let pairs: std::collections::BTreeSet<(u8, u8)> = cases
        .iter()
        .map(|c| (c.server_max_window_bits, c.client_max_window_bits))
        .collect();
    assert_eq!(
        pairs.len(),
        common::cases::WINDOW_BITS.len() * common::cases::WINDOW_BITS.len()
    );
    for bits in common::cases::WINDOW_BITS {
        for flags in [(false, false), (false, true), (true, false), (true, true)] {
            let has = |f: &dyn Fn(&common::cases::DeflateCase) -> u8| {
                cases.iter().any(|c| {
                    f(c) == bits
                        && (c.server_no_context_takeover, c.client_no_context_takeover) == flags
                })
            };
            assert!(
                has(&|c| c.server_max_window_bits),
                "server {bits} with {flags:?}"
            );
            assert!(
                has(&|c| c.client_max_window_bits),
                "client {bits} with {flags:?}"
            );
        }
    }
}
