//! [`Manager`]: one connection to a server, shared by the namespaces opened on it, and the
//! reconnection callbacks.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use super::builder::SocketBuilder;
use super::socket::SocketShared;
use super::{ClientConfig, ConnectError, driver};

/// A connection to one server (socket.io-client's `Manager`): it opens the Engine.IO
/// session when a namespace wants it, reconnects with backoff when it is lost, and closes
/// it when no namespace is active. Cheap to clone.
#[derive(Clone)]
pub struct Manager {
    pub(crate) shared: Arc<ManagerShared>,
}

type Count = Arc<dyn Fn(u32) + Send + Sync>;
type OnError = Arc<dyn Fn(&ConnectError) + Send + Sync>;

/// The reconnection callbacks.
#[derive(Default, Clone)]
pub(crate) struct ManagerHandlers {
    pub(crate) attempt: Vec<Count>,
    pub(crate) reconnect: Vec<Count>,
    pub(crate) error: Vec<OnError>,
    pub(crate) failed: Vec<Arc<dyn Fn() + Send + Sync>>,
}

pub(crate) struct ManagerShared {
    /// `scheme://host:port` and the query of the URL given.
    pub(crate) base: String,
    pub(crate) query: String,
    pub(crate) config: ClientConfig,
    /// The namespaces that asked for the connection since it was last idle.
    sockets: Mutex<Vec<Arc<SocketShared>>>,
    /// The running connection task's commands; `None` while none runs.
    driver: Mutex<Option<mpsc::UnboundedSender<driver::Command>>>,
    pub(crate) handlers: Mutex<ManagerHandlers>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Manager {
    /// A manager for the server at `url` (`http://host:port`, any path ignored: the
    /// Engine.IO path is [`ClientConfig::path`]). Nothing connects until a socket does.
    pub fn new(url: &str, config: ClientConfig) -> Manager {
        let (base, _, query) = split_url(url);
        Manager {
            shared: Arc::new(ManagerShared {
                base: base.to_owned(),
                query: query.to_owned(),
                config,
                sockets: Mutex::new(Vec::new()),
                driver: Mutex::new(None),
                handlers: Mutex::new(ManagerHandlers::default()),
            }),
        }
    }

    /// A socket for namespace `nsp` on this connection, to configure and connect.
    pub fn socket(&self, nsp: &str) -> SocketBuilder {
        SocketBuilder::new(self.clone(), nsp)
    }

    /// Called before each reconnection attempt, with its number (from 1).
    pub fn on_reconnect_attempt(&self, f: impl Fn(u32) + Send + Sync + 'static) {
        lock(&self.shared.handlers).attempt.push(Arc::new(f));
    }

    /// Called when a reconnection succeeded, with the number of attempts it took.
    pub fn on_reconnect(&self, f: impl Fn(u32) + Send + Sync + 'static) {
        lock(&self.shared.handlers).reconnect.push(Arc::new(f));
    }

    /// Called when a reconnection attempt failed.
    pub fn on_reconnect_error(&self, f: impl Fn(&ConnectError) + Send + Sync + 'static) {
        lock(&self.shared.handlers).error.push(Arc::new(f));
    }

    /// Called when reconnection gives up after `reconnection_attempts`.
    pub fn on_reconnect_failed(&self, f: impl Fn() + Send + Sync + 'static) {
        lock(&self.shared.handlers).failed.push(Arc::new(f));
    }

    /// Disconnects every socket of this connection, which then closes.
    pub fn close(&self) {
        for socket in self.shared.sockets() {
            super::Socket { shared: socket }.disconnect();
        }
    }
}

impl fmt::Debug for Manager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manager")
            .field("url", &self.shared.base)
            .finish()
    }
}

impl ManagerShared {
    /// The Engine.IO URL: the base, the configured path and the query.
    pub(crate) fn engine_url(&self) -> String {
        let mut url = format!("{}{}", self.base, self.config.path);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
        }
        url
    }

    pub(crate) fn sockets(&self) -> Vec<Arc<SocketShared>> {
        lock(&self.sockets).clone()
    }

    pub(crate) fn socket_for(&self, nsp: &str) -> Option<Arc<SocketShared>> {
        lock(&self.sockets)
            .iter()
            .find(|socket| socket.nsp == nsp)
            .cloned()
    }

    pub(crate) fn any_active(&self) -> bool {
        lock(&self.sockets).iter().any(|socket| socket.is_active())
    }

    /// A socket wants the connection: registers it and tells the connection's task,
    /// starting one if none runs.
    pub(crate) fn activate(self: &Arc<Self>, socket: &Arc<SocketShared>) {
        {
            let mut sockets = lock(&self.sockets);
            // One socket per namespace, as socket.io-client keeps one: a newer one replaces it.
            sockets.retain(|other| other.nsp != socket.nsp || Arc::ptr_eq(other, socket));
            if !sockets.iter().any(|other| Arc::ptr_eq(other, socket)) {
                sockets.push(socket.clone());
            }
        }
        let mut driver = lock(&self.driver);
        if let Some(commands) = driver.as_ref() {
            if commands
                .send(driver::Command::Activate(socket.clone()))
                .is_ok()
            {
                return;
            }
        }
        let (commands, rx) = mpsc::unbounded_channel();
        let _ = commands.send(driver::Command::Activate(socket.clone()));
        *driver = Some(commands);
        tokio::spawn(driver::run(self.clone(), rx));
    }

    /// A socket stopped wanting the connection: the task closes it if none wants it.
    pub(crate) fn release(&self) {
        if let Some(commands) = lock(&self.driver).as_ref() {
            let _ = commands.send(driver::Command::Release);
        }
    }

    /// Ends the connection's task if nothing needs it (no active socket, no command waiting):
    /// forgets the inactive sockets. `false` if it must go on.
    pub(crate) fn retire(&self, commands: &mpsc::UnboundedReceiver<driver::Command>) -> bool {
        let mut driver = lock(&self.driver);
        if !commands.is_empty() || self.any_active() {
            return false;
        }
        *driver = None;
        lock(&self.sockets).retain(|socket| socket.is_active());
        true
    }

    pub(crate) fn handlers(&self) -> ManagerHandlers {
        lock(&self.handlers).clone()
    }
}

/// `(scheme://authority, path, query)` of a URL; the path is `/` when absent.
pub(crate) fn split_url(url: &str) -> (&str, &str, &str) {
    let (url, query) = url.split_once('?').unwrap_or((url, ""));
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    match url[authority_start..].find('/') {
        Some(slash) => {
            let (base, path) = url.split_at(authority_start + slash);
            (base, path, query)
        }
        None => (url, "/", query),
    }
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_into_base_namespace_and_query() {
        assert_eq!(
            split_url("http://h:1/chat?x=1"),
            ("http://h:1", "/chat", "x=1")
        );
        assert_eq!(split_url("http://h:1"), ("http://h:1", "/", ""));
        assert_eq!(split_url("http://h:1/"), ("http://h:1", "/", ""));
        assert_eq!(split_url("https://h?a=b"), ("https://h", "/", "a=b"));
    }
}
