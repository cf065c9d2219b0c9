//! The server flags the two test servers (`echo` and `contract_server`) share, as the interop
//! tests and `interop/sio_compare.mjs` pass them (interop/README.md), and the builder they
//! make. Included by both with `#[path]`; the user-facing examples stay standalone.

use std::time::Duration;

use duplex_socketio::{Cors, SocketIoBuilder};

/// The Socket.IO options both test servers take.
#[derive(clap::Args, Debug)]
pub struct ServerFlags {
    /// Milliseconds between pings.
    #[arg(long, default_value_t = 25_000)]
    pub ping_interval: u64,
    /// Milliseconds to wait for a pong.
    #[arg(long, default_value_t = 20_000)]
    pub ping_timeout: u64,
    /// Largest message / polling body in bytes.
    #[arg(long, default_value_t = 1_000_000)]
    pub max_payload: usize,
    /// Milliseconds a connection has to join a namespace.
    #[arg(long, default_value_t = 45_000)]
    pub connect_timeout: u64,
    /// Allowed origins: `*`, or a comma-separated list.
    #[arg(long)]
    pub cors: Option<String>,
    /// Packet format: `default`, or `msgpack` (built with feature `msgpack`).
    #[arg(long, default_value = "default")]
    pub parser: String,
}

impl ServerFlags {
    /// A builder with these options; an unknown `--parser` is an error.
    pub fn builder(&self) -> Result<SocketIoBuilder, String> {
        let mut builder = duplex_socketio::SocketIo::builder()
            .ping_interval(Duration::from_millis(self.ping_interval))
            .ping_timeout(Duration::from_millis(self.ping_timeout))
            .max_http_buffer_size(self.max_payload)
            .connect_timeout(Duration::from_millis(self.connect_timeout));
        match self.cors.as_deref() {
            None => {}
            Some("*") => builder = builder.cors(Cors::any()),
            Some(list) => builder = builder.cors(Cors::origins(list.split(','))),
        }
        match self.parser.as_str() {
            "default" => Ok(builder),
            #[cfg(feature = "msgpack")]
            "msgpack" => Ok(builder.parser(duplex_socketio::proto::Parser::MsgPack)),
            other => Err(format!("unknown parser {other:?}")),
        }
    }
}
