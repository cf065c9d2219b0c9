//! Shared by the integration tests that talk to real peers: finding and spawning
//! the programs under `interop/`, the permessage-deflate case table, our echo
//! server, and our client's side of the echo conversation.
//!
//! Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

pub mod cases;
pub mod conversation;
pub mod echo;
pub mod peers;
pub mod suite;

use std::time::Duration;

/// Limit for anything that waits on a peer: a broken peer fails the test instead
/// of hanging it.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(45);

/// Runs `future` under [`PEER_TIMEOUT`], failing the test with `what` on expiry.
pub async fn within<F: std::future::Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(PEER_TIMEOUT, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: no result within {PEER_TIMEOUT:?}"),
    }
}
