//! Socket.IO options, beside the Engine.IO ones.

use std::sync::Arc;
use std::time::Duration;

use duplex_socketio_proto::Parser;

use crate::extensions::Extensions;
use crate::metrics::SocketIoMetrics;
use crate::observe::Hooks;
use crate::recovery::RecoveryConfig;

/// Socket.IO's own options; the transport's are `duplex_engineio::Config`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SocketIoConfig {
    /// A connection that joins no namespace within this time is closed. Default 45 s.
    pub connect_timeout: Duration,
    /// Default time to wait for acknowledgements (`None`: wait until the socket
    /// disconnects). Default none, as socket.io.
    pub ack_timeout: Option<Duration>,
    /// Most binary attachments per packet. Default 10, as socket.io-parser.
    pub max_attachments: usize,
    /// The packet format every client must use. Default socket.io-parser's.
    pub parser: Parser,
    /// Connection state recovery; off by default, as socket.io.
    pub recovery: Option<RecoveryConfig>,
    /// How long an adapter operation (a broadcast to other nodes, a socket query) may take.
    /// Default 5 s, as socket.io's cluster adapters.
    pub adapter_timeout: Duration,
    /// App-wide values handlers take with [`State`](crate::State) (one per type).
    pub(crate) state: Arc<Extensions>,
    /// Who watches the server (the Admin UI instrumentation), shared by its namespaces.
    pub(crate) hooks: Arc<Hooks>,
    /// Present when metrics are on ([`SocketIoBuilder::metrics`](crate::SocketIoBuilder::metrics)).
    pub(crate) metrics: Option<Arc<SocketIoMetrics>>,
}

impl Default for SocketIoConfig {
    fn default() -> Self {
        SocketIoConfig {
            connect_timeout: Duration::from_secs(45),
            ack_timeout: None,
            max_attachments: duplex_socketio_proto::DEFAULT_MAX_ATTACHMENTS,
            parser: Parser::Default,
            adapter_timeout: Duration::from_secs(5),
            recovery: None,
            state: Arc::default(),
            hooks: Arc::default(),
            metrics: None,
        }
    }
}
