//! A Socket.IO v5 server on `duplex-engineio`: namespaces, events with serde-typed handlers,
//! acknowledgements both ways, rooms and broadcasts encoded once, binary attachments,
//! middlewares. Wire-compatible with the official `socket.io-client`.

mod ack;
pub mod adapter;
#[cfg(feature = "admin-ui")]
pub mod admin;
#[cfg(feature = "client")]
pub mod client;
mod config;
mod connection;
mod error;
mod extensions;
mod handler;
mod io;
mod metrics;
mod namespace;
mod observe;
mod operators;
mod reason;
mod recovery;
mod rooms;
mod sid_hash;
mod socket;

pub use ack::{AckFuture, AckSender};
pub use adapter::{Adapter, AdapterError, BroadcastOptions, LocalAdapter, RemoteSocket};
pub use config::SocketIoConfig;
pub use connection::EngineHandler;
pub use duplex_engineio::{Cors, Sid, Transport};
pub use duplex_socketio_proto::{Binary, Value};
pub use error::{AckError, ConnectError, SendError};
pub use extensions::Extensions;
pub use handler::{
    Bin, Data, Event, EventContext, EventHandler, ExtractError, FromEvent, RawArgs, SocketRef,
    State, TryData,
};
pub use io::{NamespaceRef, SocketIo, SocketIoBuilder, serve, serve_with_shutdown};
pub use operators::BroadcastOperators;
pub use reason::DisconnectReason;
pub use recovery::RecoveryConfig;
pub use rooms::{IntoRooms, Room};
pub use socket::{Handshake, Socket, VolatileEmitter};

/// The protocol crates underneath.
pub use duplex_engineio as engineio;
pub use duplex_socketio_proto as proto;
