//! The Admin UI's view of the server: it observes connections, sockets, rooms and events and
//! tells the admin namespace, in the package's event names and argument order.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant, SystemTime};

use duplex_engineio::{Message, Sid};
use serde::Serialize;
use serde_json::value::RawValue;

use super::auth::Sessions;
use super::serialize::{SerializedSocket, iso_date};
use super::stats::{NamespaceStats, ServerStats, Traffic, hostname, uptime};
use super::{AdminMode, AdminOptions, NewSession};
use crate::handler::{EventContext, SocketRef};
use crate::io::IoInner;
use crate::namespace::Namespace;
use crate::observe::Observer;
use crate::operators::BroadcastOperators;
use crate::rooms::Room;
use crate::socket::Socket;

/// The instrumentation of one server.
pub(crate) struct Admin {
    /// Itself, for the handlers it puts on sockets (weak: they must not keep it alive).
    me: Weak<Admin>,
    io: Weak<IoInner>,
    /// Weak: the namespace holds the server's hooks, which hold this.
    namespace: OnceLock<Weak<Namespace>>,
    namespace_name: String,
    development: bool,
    /// The package's feature names, advertised in `config`.
    features: Vec<&'static str>,
    pub(super) sessions: Sessions,
    traffic: Traffic,
    server_id: String,
    hostname: String,
    started: Instant,
}

impl Admin {
    pub(super) fn new(options: &AdminOptions, io: Weak<IoInner>, me: Weak<Admin>) -> Admin {
        let development = options.mode == AdminMode::Development;
        // The package's feature names: the commands (unless read-only; the M- forms are
        // socket.io v4's many-socket variants, which the UI uses when advertised), then what
        // the UI may display.
        let mut features = if options.read_only {
            Vec::new()
        } else {
            vec![
                "EMIT",
                "JOIN",
                "LEAVE",
                "DISCONNECT",
                "MJOIN",
                "MLEAVE",
                "MDISCONNECT",
            ]
        };
        features.push("AGGREGATED_EVENTS");
        if development {
            features.push("ALL_EVENTS");
        }
        let hostname = hostname();
        Admin {
            me,
            io,
            namespace: OnceLock::new(),
            namespace_name: options.namespace.clone(),
            development,
            features,
            sessions: Sessions::new(options.max_sessions),
            traffic: Traffic::default(),
            server_id: options
                .server_id
                .clone()
                .unwrap_or_else(|| hostname.clone()),
            hostname,
            started: Instant::now(),
        }
    }

    pub(super) fn set_namespace(&self, ns: &Arc<Namespace>) {
        let _ = self.namespace.set(Arc::downgrade(ns));
    }

    fn read_only(&self) -> bool {
        !self.features.contains(&"EMIT")
    }

    /// Sends to every admin socket (nothing is encoded when none is connected).
    fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) {
        let Some(ns) = self.namespace.get().and_then(Weak::upgrade) else {
            return;
        };
        if ns.socket_count() == 0 {
            return;
        }
        if let Err(e) = BroadcastOperators::new(ns).emit(event, args) {
            tracing::debug!(event, error = %e, "admin event not sent");
        }
    }

    /// Every socket of every namespace, serialized (this node's: the package asks every
    /// node through the adapter).
    fn all_sockets(&self) -> Vec<SerializedSocket> {
        let Some(io) = self.io.upgrade() else {
            return Vec::new();
        };
        io.namespaces()
            .iter()
            .flat_map(|ns| ns.sockets())
            .map(|socket| SerializedSocket::of(&socket))
            .collect()
    }

    /// The admin namespace's connection handler: commands, the new session, `config`, and
    /// in development mode `all_sockets`.
    pub(super) async fn welcome(self: Arc<Self>, socket: SocketRef) {
        if !self.read_only() {
            super::commands::register(&socket, self.io.clone());
        }
        if let Some(NewSession(id)) = socket.extensions.remove::<NewSession>() {
            let _ = socket.emit("session", &id);
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Config<'a> {
            supported_features: &'a [&'static str],
        }
        let _ = socket.emit(
            "config",
            &Config {
                supported_features: &self.features,
            },
        );
        if self.development {
            let _ = socket.emit("all_sockets", &self.all_sockets());
        }
    }

    /// Sends `server_stats` every `interval` (and the transport changes seen since the last
    /// time), until the server is dropped.
    pub(super) async fn send_stats(self: Arc<Self>, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        loop {
            ticks.tick().await;
            let Some(io) = self.io.upgrade() else { return };
            let mut namespaces = io.namespaces();
            namespaces.sort_by(|a, b| a.name().cmp(b.name()));
            let (clients, polling, upgraded) = self.traffic.connections();
            let stats = ServerStats {
                server_id: self.server_id.clone(),
                hostname: self.hostname.clone(),
                pid: std::process::id(),
                uptime: uptime(self.started),
                clients_count: clients,
                polling_clients_count: polling,
                aggregated_events: self.traffic.drain(),
                namespaces: namespaces
                    .iter()
                    .map(|ns| NamespaceStats {
                        name: ns.name().to_owned(),
                        sockets_count: ns.socket_count(),
                    })
                    .collect(),
            };
            self.emit("server_stats", &(stats,));
            if self.development && !upgraded.is_empty() {
                self.report_upgrades(&namespaces, &upgraded);
            }
        }
    }

    /// `socket_updated` with the new transport for each socket of an upgraded connection.
    fn report_upgrades(
        &self,
        namespaces: &[Arc<Namespace>],
        upgraded: &[(Sid, duplex_engineio::Transport)],
    ) {
        let conns: HashSet<Sid> = upgraded.iter().map(|(sid, _)| *sid).collect();
        for socket in namespaces.iter().flat_map(|ns| ns.sockets()) {
            if conns.contains(&socket.conn.id()) {
                #[derive(Serialize)]
                struct Update<'a> {
                    id: String,
                    nsp: &'a str,
                    transport: &'static str,
                }
                let update = Update {
                    id: socket.id().to_string(),
                    nsp: socket.ns(),
                    transport: socket.transport().as_str(),
                };
                self.emit("socket_updated", &(update,));
            }
        }
    }
}

/// Raw JSON for an event's arguments (`["name", ...args]`), `[]` if it cannot be one.
fn raw_array(json: &str) -> Box<RawValue> {
    RawValue::from_string(json.to_owned())
        .unwrap_or_else(|_| RawValue::from_string("[]".to_owned()).unwrap_or_default())
}

fn now() -> String {
    iso_date(SystemTime::now())
}

impl Observer for Admin {
    fn connection_opened(&self, conn: &Arc<duplex_engineio::Socket>) {
        self.traffic.opened(conn);
    }

    fn connection_closed(&self, conn: &Arc<duplex_engineio::Socket>, reason: &str) {
        self.traffic.closed(conn, reason);
    }

    fn message_in(&self, bytes: usize) {
        self.traffic.message_in(bytes);
    }

    fn messages_out(&self, messages: &mut dyn Iterator<Item = &Message>) {
        for message in messages {
            self.traffic.message_out(message.len());
        }
    }

    fn watches_sockets(&self) -> bool {
        self.development
    }

    fn socket_connected(&self, socket: &Arc<Socket>) {
        if !self.development {
            return;
        }
        self.emit("socket_connected", &(SerializedSocket::of(socket), now()));
        if socket.ns() != self.namespace_name {
            // The admin namespace's own traffic is not reported: each report would be
            // another event to report.
            let me = self.me.clone();
            socket.on_any(move |ctx: EventContext| {
                if let Some(admin) = me.upgrade() {
                    let socket = ctx.socket();
                    admin.event("event_received", socket.ns(), socket.id(), ctx.raw());
                }
                async {}
            });
            let me = self.me.clone();
            let (nsp, sid) = (socket.ns().to_owned(), socket.id());
            socket.on_any_outgoing(move |_name, data| {
                if let Some(admin) = me.upgrade() {
                    admin.event("event_sent", &nsp, sid, data);
                }
            });
        }
        let me = self.me.clone();
        socket.on_disconnect(move |socket: Arc<Socket>, reason| async move {
            if let Some(admin) = me.upgrade() {
                admin.emit(
                    "socket_disconnected",
                    &(socket.ns(), socket.id().as_str(), reason.as_str(), now()),
                );
            }
        });
    }

    fn data_updated(&self, socket: &Socket) {
        if !self.development {
            return;
        }
        #[derive(Serialize)]
        struct Update<'a> {
            id: String,
            nsp: &'a str,
            data: serde_json::Value,
        }
        let update = Update {
            id: socket.id().to_string(),
            nsp: socket.ns(),
            data: socket.data_raw(),
        };
        self.emit("socket_updated", &(update,));
    }

    fn rooms_joined(&self, ns: &str, sid: Sid, rooms: &[Room]) {
        if self.development {
            for room in rooms {
                self.emit("room_joined", &(ns, room, sid.as_str(), now()));
            }
        }
    }

    fn rooms_left(&self, ns: &str, sid: Sid, rooms: &[Room]) {
        if self.development {
            for room in rooms {
                self.emit("room_left", &(ns, room, sid.as_str(), now()));
            }
        }
    }
}

impl Admin {
    /// `event_received` or `event_sent`: namespace, socket id, `[name, ...args]`, time.
    fn event(&self, kind: &str, ns: &str, sid: Sid, data: &str) {
        self.emit(kind, &(ns, sid.as_str(), raw_array(data), now()));
    }
}
