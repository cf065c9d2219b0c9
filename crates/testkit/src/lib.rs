//! Test support shared by the duplex crates' integration tests (a dev-dependency only, never
//! published): where the peer programs of `interop/` and their runtimes are
//! ([`peers`]), the JSON verdict line the peer clients print ([`verdict`]), the example
//! binaries cargo built beside a test ([`examples`]), a strict reader of Prometheus `/metrics`
//! endpoints ([`prometheus`]), and with feature `tls` a self-signed
//! certificate (`tls`).
//!
//! Everything here fails the calling test with a message that says what to install or build,
//! instead of returning errors: a missing peer is a broken setup, not a case to handle.
//!
//! ```no_run
//! let node = duplex_testkit::peers::node(&["ws"]);
//! let output = duplex_testkit::peers::command(&node, "ws_client.mjs")
//!     .args(["--url", "ws://127.0.0.1:9001/"])
//!     .output();
//! let report = duplex_testkit::verdict::Report::from_output("ws client", output);
//! report.assert_ok();
//! ```

pub mod examples;
pub mod peers;
pub mod prometheus;
#[cfg(feature = "tls")]
pub mod tls;
pub mod verdict;
