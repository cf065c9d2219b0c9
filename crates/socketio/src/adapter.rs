//! The adapter: how broadcasts and socket queries reach the sockets of other nodes.
//!
//! Every node serves its own sockets itself (rooms are local, a broadcast is written once to
//! the local recipients); the adapter carries the same operation to the other nodes. Every
//! operation may cross the network, so each returns a future, and the server bounds it with
//! `SocketIoConfig::adapter_timeout`. [`LocalAdapter`], the default, is a single node: it has no
//! one to tell. A Redis adapter implements the same trait.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use duplex_engineio::Sid;
use duplex_socketio_proto::Packet;

use crate::rooms::Room;

/// What an adapter operation returns.
pub type AdapterFuture<T> = Pin<Box<dyn Future<Output = Result<T, AdapterError>> + Send>>;

/// Why an adapter operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// The other nodes did not answer in time.
    #[error("no answer from the other nodes within {0:?}")]
    Timeout(Duration),
    /// The adapter's own failure (connection to its broker, encoding, ...).
    #[error("adapter: {0}")]
    Other(String),
}

/// Which sockets an operation is for, as the broadcast operators describe them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BroadcastOptions {
    /// In any of these rooms (all sockets when empty).
    pub rooms: Vec<Room>,
    /// In none of these rooms.
    pub except: Vec<Room>,
    /// Not these sockets (the sender of `socket.broadcast`).
    pub skip: Vec<Sid>,
    /// Only to sockets that can take the packet at once.
    pub volatile: bool,
}

/// A socket as a query sees it, wherever it is connected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteSocket {
    /// The socket id.
    pub id: Sid,
    /// Its namespace.
    pub ns: String,
    /// Its rooms.
    pub rooms: Vec<Room>,
    /// Its application data (`Socket::set_data`), as JSON.
    pub data: serde_json::Value,
    /// The node it is on (`None`: this one).
    pub node: Option<String>,
}

/// Carries operations to the other nodes.
pub trait Adapter: Send + Sync + 'static {
    /// Delivers `packet` to the other nodes' sockets in `ns` that `opts` selects.
    fn broadcast(&self, ns: &str, packet: &Packet, opts: &BroadcastOptions) -> AdapterFuture<()>;

    /// The other nodes' sockets in `ns` that `opts` selects.
    fn fetch_sockets(&self, ns: &str, opts: &BroadcastOptions) -> AdapterFuture<Vec<RemoteSocket>>;

    /// Makes the other nodes' selected sockets join `rooms`.
    fn add_sockets(&self, ns: &str, opts: &BroadcastOptions, rooms: &[Room]) -> AdapterFuture<()>;

    /// Makes the other nodes' selected sockets leave `rooms`.
    fn del_sockets(&self, ns: &str, opts: &BroadcastOptions, rooms: &[Room]) -> AdapterFuture<()>;

    /// Disconnects the other nodes' selected sockets (`close`: their whole connection).
    fn disconnect_sockets(
        &self,
        ns: &str,
        opts: &BroadcastOptions,
        close: bool,
    ) -> AdapterFuture<()>;

    /// Sends an event to the other nodes' servers (not to clients).
    fn server_side_emit(&self, ns: &str, packet: &Packet) -> AdapterFuture<()>;

    /// How many nodes serve this audience, this one included.
    fn server_count(&self) -> AdapterFuture<usize>;
}

/// One node alone: there is nobody else to tell.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalAdapter;

fn done<T: Send + 'static>(value: T) -> AdapterFuture<T> {
    Box::pin(std::future::ready(Ok(value)))
}

impl Adapter for LocalAdapter {
    fn broadcast(&self, _: &str, _: &Packet, _: &BroadcastOptions) -> AdapterFuture<()> {
        done(())
    }

    fn fetch_sockets(&self, _: &str, _: &BroadcastOptions) -> AdapterFuture<Vec<RemoteSocket>> {
        done(Vec::new())
    }

    fn add_sockets(&self, _: &str, _: &BroadcastOptions, _: &[Room]) -> AdapterFuture<()> {
        done(())
    }

    fn del_sockets(&self, _: &str, _: &BroadcastOptions, _: &[Room]) -> AdapterFuture<()> {
        done(())
    }

    fn disconnect_sockets(&self, _: &str, _: &BroadcastOptions, _: bool) -> AdapterFuture<()> {
        done(())
    }

    fn server_side_emit(&self, _: &str, _: &Packet) -> AdapterFuture<()> {
        done(())
    }

    fn server_count(&self) -> AdapterFuture<usize> {
        done(1)
    }
}

/// Runs an adapter operation within `limit`.
pub(crate) async fn bounded<T>(
    limit: Duration,
    operation: AdapterFuture<T>,
) -> Result<T, AdapterError> {
    tokio::time::timeout(limit, operation)
        .await
        .map_err(|_| AdapterError::Timeout(limit))?
}
