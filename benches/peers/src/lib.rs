//! Servers of the WebSocket and Socket.IO libraries `duplex` is measured against, written
//! as a typical user of each library would write them, plus a stand-in load generator used
//! only to validate `benches/echo.py` until `duplex bench ws-echo` exists.
//!
//! Every WebSocket echo server runs on a current-thread tokio runtime: the harness pins each
//! server to one core, and a multi-thread runtime would only add work-stealing overhead
//! there, so all peers (and ours) are compared on the same single-threaded footing. The
//! Socket.IO peer (`socketioxide_bench`) is the exception: it keeps the `#[tokio::main]`
//! multi-thread runtime socketioxide's docs show, as our Socket.IO bench server does.

use std::net::SocketAddr;

use clap::Parser;

/// Command line shared by the echo servers.
#[derive(Debug, Parser)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9001")]
    pub addr: SocketAddr,
}

/// The runtime every server here runs on: one thread, I/O and timers enabled.
pub fn current_thread_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
