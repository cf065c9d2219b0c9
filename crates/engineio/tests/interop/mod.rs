//! Shared by the integration tests that run the real Engine.IO peers of `interop/`
//! (interop/README.md, "Engine.IO") against our server: the server under test and the peer
//! programs. (`common/` serves the in-process tests with a raw Rust client.)
//!
//! Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

pub mod programs;
pub mod server;

use std::time::Duration;

/// Limit for anything that waits on a peer: a broken peer fails the test instead of hanging it.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(90);

/// Runs `future` under [`PEER_TIMEOUT`], failing the test with `what` on expiry.
pub async fn within<F: std::future::Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(PEER_TIMEOUT, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: no result within {PEER_TIMEOUT:?}"),
    }
}

/// The three ways a client reaches the server, as the peers' `--transports` spells them.
pub const MODES: [&str; 3] = ["polling", "websocket", "polling,websocket"];
