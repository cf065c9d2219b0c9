//! One Engine.IO connection seen by Socket.IO: its packet decoder and the sockets it has
//! opened in namespaces; the Engine.IO handler that routes packets to them.

use std::sync::{Arc, Mutex};

use duplex_engineio::{CloseReason, Handler, Message};
use duplex_socketio_proto::{Decoder, Packet, PacketType, Utf8Bytes};

use crate::handler::run;
use crate::io::IoInner;
use crate::reason::DisconnectReason;
use crate::socket::Socket;

/// Per-connection state, attached to the Engine.IO socket.
struct Client {
    decoder: Mutex<Decoder>,
    /// The sockets opened, one per namespace: a connection joins few, so a list beats a map
    /// (an idle connection's memory counts).
    sockets: Mutex<Vec<Arc<Socket>>>,
    /// Set when Socket.IO itself ends the connection, so its sockets see the real reason.
    closing: Mutex<Option<DisconnectReason>>,
    /// The `connect_timeout` timer, stopped once a namespace is joined.
    connect_timer: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Client {
    fn socket(&self, nsp: &str) -> Option<Arc<Socket>> {
        lock(&self.sockets).iter().find(|s| s.ns() == nsp).cloned()
    }

    fn remove(&self, nsp: &str) -> Option<Arc<Socket>> {
        let mut sockets = lock(&self.sockets);
        let at = sockets.iter().position(|s| s.ns() == nsp)?;
        Some(sockets.swap_remove(at))
    }

    fn take_all(&self) -> Vec<Arc<Socket>> {
        std::mem::take(&mut *lock(&self.sockets))
    }
}

/// The Engine.IO handler of a Socket.IO server (the type parameter of its layer and service).
pub struct EngineHandler {
    pub(crate) io: Arc<IoInner>,
}

impl Handler for EngineHandler {
    fn on_open(&self, conn: &Arc<duplex_engineio::Socket>) {
        let client = Client {
            decoder: Mutex::new(Decoder::with_parser(
                self.io.config.parser,
                self.io.config.max_attachments,
            )),
            sockets: Mutex::default(),
            closing: Mutex::default(),
            connect_timer: Mutex::default(),
        };
        let _ = conn.set_data(client);
        if let Some(observer) = self.io.config.hooks.get() {
            observer.connection_opened(conn);
        }
        // A connection that joins no namespace in time is closed.
        let watched = conn.clone();
        let timeout = self.io.config.connect_timeout;
        let timer = tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(timeout) => {
                    let joined = watched.data::<Client>().is_some_and(|c| !lock(&c.sockets).is_empty());
                    if !joined {
                        tracing::debug!(sid = %watched.id(), transport = %watched.transport(), "no namespace joined within connect_timeout");
                        watched.close();
                    }
                }
                () = watched.closed() => {}
            }
        });
        if let Some(client) = conn.data::<Client>() {
            *lock(&client.connect_timer) = Some(timer.abort_handle());
        }
    }

    fn on_message(&self, conn: &Arc<duplex_engineio::Socket>, message: Message) {
        let Some(client) = conn.data::<Client>() else {
            return;
        };
        if let Some(observer) = self.io.config.hooks.get() {
            observer.message_in(message.len());
        }
        let decoded = lock(&client.decoder).decode(message);
        let packet = match decoded {
            Ok(Some(packet)) => packet,
            Ok(None) => return,
            Err(e) => {
                tracing::debug!(sid = %conn.id(), transport = %conn.transport(), error = %e, "malformed packet");
                *lock(&client.closing) = Some(DisconnectReason::ParseError);
                conn.close();
                return;
            }
        };
        match packet.kind {
            PacketType::Connect => self.connect(conn, client, packet),
            PacketType::Disconnect => {
                let socket = client.remove(packet.nsp.as_str());
                match socket {
                    Some(socket) => socket.close(DisconnectReason::ClientNamespaceDisconnect),
                    None => conn.close(),
                }
            }
            PacketType::Event | PacketType::Ack => {
                let socket = client.socket(packet.nsp.as_str());
                match (socket, packet.kind) {
                    (Some(socket), PacketType::Event) => socket.on_event(packet),
                    (Some(socket), _) => socket.on_ack(packet),
                    // As socket.io: a packet for a namespace not joined closes the connection.
                    (None, _) => {
                        tracing::debug!(sid = %conn.id(), namespace = %packet.nsp, transport = %conn.transport(), "packet for a namespace not joined");
                        conn.close();
                    }
                }
            }
            // Server-to-client types coming from a client.
            _ => {
                tracing::debug!(sid = %conn.id(), transport = %conn.transport(), kind = ?packet.kind, "packet type only a server sends");
                *lock(&client.closing) = Some(DisconnectReason::ParseError);
                conn.close();
            }
        }
    }

    fn on_close(&self, conn: &Arc<duplex_engineio::Socket>, reason: CloseReason) {
        if let Some(observer) = self.io.config.hooks.get() {
            observer.connection_closed(conn, reason.as_str());
        }
        let Some(client) = conn.data::<Client>() else {
            return;
        };
        let reason = lock(&client.closing)
            .take()
            .unwrap_or_else(|| reason.into());
        for socket in client.take_all() {
            socket.close(reason);
        }
    }
}

impl EngineHandler {
    fn connect(&self, conn: &Arc<duplex_engineio::Socket>, client: &Client, packet: Packet) {
        let name = packet.nsp.as_str();
        let Some(ns) = self.io.namespace(name) else {
            tracing::debug!(sid = %conn.id(), namespace = %name, transport = %conn.transport(), "unknown namespace");
            let error = Packet::connect_error(
                name,
                Utf8Bytes::from_static(r#"{"message":"Invalid namespace"}"#),
            );
            for message in self.io.config.parser.encode(&error) {
                let _ = conn.send(message);
            }
            return;
        };
        if client.socket(name).is_some() {
            // A second CONNECT for a joined namespace: an invalid state, which socket.io
            // answers by closing the connection (reason `forced close`).
            tracing::debug!(sid = %conn.id(), namespace = %name, transport = %conn.transport(), "already connected to this namespace");
            conn.close();
            return;
        }
        let restored = ns.restore(packet.data.as_deref());
        let socket = Arc::new(Socket::new(ns.clone(), conn.clone(), packet.data, restored));
        // Registered before the middlewares run, so a client's later packets for this
        // namespace find it (the client sends none before the connect answer anyway).
        lock(&client.sockets).push(socket.clone());
        let conn = conn.clone();
        let name = name.to_owned();
        run(async move {
            let connected = ns.connect(socket.clone()).await;
            if let Some(client) = conn.data::<Client>() {
                if connected {
                    if let Some(timer) = lock(&client.connect_timer).take() {
                        timer.abort();
                    }
                } else {
                    client.remove(&name);
                }
            }
        });
    }
}

/// Unregisters a socket that left its namespace from its connection.
pub(crate) fn forget(conn: &duplex_engineio::Socket, socket: &Arc<Socket>) {
    if let Some(client) = conn.data::<Client>() {
        lock(&client.sockets).retain(|s| !Arc::ptr_eq(s, socket));
    }
}

/// Every socket of a connection leaves its namespace (`server namespace disconnect`), then the
/// connection closes: socket.io's `socket.disconnect(true)`.
pub(crate) fn disconnect_all(conn: &duplex_engineio::Socket) {
    let sockets: Vec<Arc<Socket>> = match conn.data::<Client>() {
        Some(client) => client.take_all(),
        None => Vec::new(),
    };
    for socket in sockets {
        socket.disconnect();
    }
    conn.close();
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
