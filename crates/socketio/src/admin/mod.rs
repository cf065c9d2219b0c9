//! The server side of the [Socket.IO Admin UI](https://socket.io/docs/v4/admin-ui/)
//! (npm `@socket.io/admin-ui`): an `/admin` namespace that reports this server's sockets,
//! rooms, namespaces, traffic and events to the UI, and runs its commands (emit, join,
//! leave, disconnect). The UI is the package's web page, hosted anywhere; it connects to this
//! server with `socket.io-client`, so the server needs CORS for the page's origin.
//!
//! ```no_run
//! use duplex_socketio::SocketIo;
//! use duplex_socketio::admin::{AdminAuth, AdminOptions, instrument};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let io = SocketIo::builder().build();
//! io.ns("/", |_socket| async {});
//! // A bcrypt hash (what the Node package takes) or the password itself.
//! instrument(&io, AdminOptions::new(Some(AdminAuth::basic("admin", "changeit"))))?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! duplex_socketio::serve(listener, io).await?;
//! # Ok(())
//! # }
//! ```

mod auth;
mod commands;
mod observer;
mod serialize;
mod stats;

use std::sync::Arc;
use std::time::Duration;

pub use auth::{AdminAuth, AdminPassword};

use crate::error::ConnectError;
use crate::handler::SocketRef;
use crate::io::SocketIo;
use observer::Admin;

/// What the UI may see: everything, or the server's stats only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AdminMode {
    /// Every socket, room and event, as they happen (the package's default outside
    /// `NODE_ENV=production`).
    #[default]
    Development,
    /// Only the periodic stats: connection counts, namespaces, traffic. Costs nothing per
    /// event.
    Production,
}

/// How [`instrument`] sets the Admin UI up.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AdminOptions {
    /// Who may connect; `None` lets anyone in (the package's `auth: false`). No default:
    /// [`AdminOptions::new`] takes it.
    pub auth: Option<AdminAuth>,
    /// The namespace the UI connects to. Default `/admin`.
    pub namespace: String,
    /// When set, the UI's commands are refused (not advertised, not handled). Default off.
    pub read_only: bool,
    /// This server's name in the UI's server list. Default the host name.
    pub server_id: Option<String>,
    /// Default [`AdminMode::Development`].
    pub mode: AdminMode,
    /// Time between two `server_stats`. Default 2 s, as the package.
    pub stats_interval: Duration,
    /// Most login sessions remembered (the UI reconnects with its session id instead of the
    /// password); past it the oldest is forgotten. Default 1,000.
    pub max_sessions: usize,
}

impl AdminOptions {
    /// The defaults, with `auth`.
    pub fn new(auth: Option<AdminAuth>) -> AdminOptions {
        AdminOptions {
            auth,
            namespace: "/admin".to_owned(),
            read_only: false,
            server_id: None,
            mode: AdminMode::Development,
            stats_interval: Duration::from_secs(2),
            max_sessions: 1000,
        }
    }

    /// Sets [`namespace`](AdminOptions::namespace).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Sets [`read_only`](AdminOptions::read_only).
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Sets [`server_id`](AdminOptions::server_id).
    pub fn server_id(mut self, server_id: impl Into<String>) -> Self {
        self.server_id = Some(server_id.into());
        self
    }

    /// Sets [`mode`](AdminOptions::mode).
    pub fn mode(mut self, mode: AdminMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets [`stats_interval`](AdminOptions::stats_interval).
    pub fn stats_interval(mut self, interval: Duration) -> Self {
        self.stats_interval = interval;
        self
    }

    /// Sets [`max_sessions`](AdminOptions::max_sessions).
    pub fn max_sessions(mut self, max: usize) -> Self {
        self.max_sessions = max;
        self
    }
}

/// Why [`instrument`] refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum InstrumentError {
    /// The server is instrumented already.
    #[error("this server is instrumented already")]
    AlreadyInstrumented,
    /// The namespace is served by the application.
    #[error("namespace {0} is taken")]
    NamespaceTaken(String),
    /// An [`AdminPassword::Bcrypt`] that is not a bcrypt hash.
    #[error("the password must be a valid bcrypt hash")]
    InvalidPasswordHash,
    /// A zero stats interval.
    #[error("the stats interval must not be zero")]
    ZeroInterval,
}

/// Serves the Admin UI's namespace on `io` (socket.io's `instrument(io, options)`). Call it
/// inside a Tokio runtime (the stats are sent by a task, which ends with the server), before
/// or after declaring the application's namespaces: all of them are watched.
pub fn instrument(io: &SocketIo, options: AdminOptions) -> Result<(), InstrumentError> {
    if let Some(AdminAuth::Basic { password, .. }) = &options.auth {
        password.validate()?;
    }
    if options.stats_interval.is_zero() {
        return Err(InstrumentError::ZeroInterval);
    }
    let inner = io.inner();
    if inner.namespace(&options.namespace).is_some() {
        return Err(InstrumentError::NamespaceTaken(options.namespace));
    }
    let admin = Arc::new_cyclic(|me| Admin::new(&options, Arc::downgrade(inner), me.clone()));
    if !inner.config.hooks.set(admin.clone()) {
        return Err(InstrumentError::AlreadyInstrumented);
    }
    let on_connect = admin.clone();
    let admin_ns = io.ns(options.namespace.clone(), move |socket: SocketRef| {
        on_connect.clone().welcome(socket)
    });
    if let Some(auth) = options.auth.clone() {
        let guard = admin.clone();
        admin_ns.use_middleware(move |socket: SocketRef| {
            let (guard, auth) = (guard.clone(), auth.clone());
            async move { guard.authenticate(&socket, auth).await }
        });
    }
    if let Some(ns) = inner.namespace(&options.namespace) {
        admin.set_namespace(&ns);
    }
    tokio::spawn(admin.clone().send_stats(options.stats_interval));
    Ok(())
}

/// The session id a login opened, kept on the socket until the connection handler sends it.
#[derive(Clone)]
struct NewSession(String);

impl Admin {
    /// The namespace middleware: a known session id, or the right username and password.
    async fn authenticate(&self, socket: &SocketRef, auth: AdminAuth) -> Result<(), ConnectError> {
        let credentials: auth::Credentials = socket.handshake().auth().unwrap_or_default();
        if let Some(id) = &credentials.session_id {
            if self.sessions.contains(id) {
                return Ok(());
            }
        }
        let AdminAuth::Basic { username, password } = auth;
        if let (Some(name), Some(candidate)) = (credentials.username, credentials.password) {
            if name == username {
                let matches = tokio::task::spawn_blocking(move || password.matches(&candidate))
                    .await
                    .unwrap_or(false);
                if matches {
                    socket.extensions.insert(NewSession(self.sessions.open()));
                    return Ok(());
                }
            }
        }
        Err(ConnectError::new("invalid credentials"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn instrument_refuses_what_the_package_refuses_and_a_second_time() {
        let io = SocketIo::builder().build();
        io.ns("/taken", |_socket: SocketRef| async {});
        let bad_hash = AdminAuth::Basic {
            username: "admin".into(),
            password: AdminPassword::Bcrypt("$2b$10$nope".into()),
        };
        assert_eq!(
            instrument(&io, AdminOptions::new(Some(bad_hash))),
            Err(InstrumentError::InvalidPasswordHash)
        );
        assert_eq!(
            instrument(&io, AdminOptions::new(None).stats_interval(Duration::ZERO)),
            Err(InstrumentError::ZeroInterval)
        );
        assert_eq!(
            instrument(&io, AdminOptions::new(None).namespace("/taken")),
            Err(InstrumentError::NamespaceTaken("/taken".into()))
        );
        assert_eq!(instrument(&io, AdminOptions::new(None)), Ok(()));
        assert_eq!(
            instrument(&io, AdminOptions::new(None).namespace("/admin2")),
            Err(InstrumentError::AlreadyInstrumented)
        );
        assert!(io.of("/admin").is_some() && io.of("/admin2").is_none());
    }
}
