//! The application's callbacks on one socket, and the task that calls them one after
//! another, in the order things happened.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;

use super::socket::SocketShared;
use super::{ConnectError, DisconnectReason, Incoming, Socket};

pub(crate) type EventHandler = Arc<dyn Fn(Incoming) -> BoxFuture<'static, ()> + Send + Sync>;
type ConnectHandler = Arc<dyn Fn(&Socket) + Send + Sync>;
type DisconnectHandler = Arc<dyn Fn(&Socket, DisconnectReason) + Send + Sync>;
type ErrorHandler = Arc<dyn Fn(&Socket, &ConnectError) + Send + Sync>;

/// Boxes an async event handler.
pub(crate) fn event_handler<F, Fut>(handler: F) -> EventHandler
where
    F: Fn(Incoming) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |incoming| Box::pin(handler(incoming)))
}

/// Every callback registered on a socket.
#[derive(Default, Clone)]
pub(crate) struct Handlers {
    pub(crate) events: HashMap<String, EventHandler>,
    pub(crate) any: Vec<EventHandler>,
    pub(crate) connect: Vec<ConnectHandler>,
    pub(crate) disconnect: Vec<DisconnectHandler>,
    pub(crate) connect_error: Vec<ErrorHandler>,
}

impl Handlers {
    pub(crate) fn on_connect(&mut self, f: impl Fn(&Socket) + Send + Sync + 'static) {
        self.connect.push(Arc::new(f));
    }

    pub(crate) fn on_disconnect(
        &mut self,
        f: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static,
    ) {
        self.disconnect.push(Arc::new(f));
    }

    pub(crate) fn on_connect_error(
        &mut self,
        f: impl Fn(&Socket, &ConnectError) + Send + Sync + 'static,
    ) {
        self.connect_error.push(Arc::new(f));
    }
}

/// Something for the application, queued in order.
pub(crate) enum Dispatch {
    Connect,
    ConnectError(ConnectError),
    Disconnect(DisconnectReason),
    Event(String, duplex_socketio_proto::Packet),
}

/// Runs the callbacks of `socket` for each dispatch, awaiting each event handler before the
/// next (socket.io-client calls its listeners in order too). Ends when the socket is gone. A
/// callback that panics is logged and skipped: the ones after it still run.
pub(crate) async fn run(socket: Weak<SocketShared>, mut rx: mpsc::UnboundedReceiver<Dispatch>) {
    while let Some(dispatch) = rx.recv().await {
        let Some(shared) = socket.upgrade() else {
            return;
        };
        let socket = Socket { shared };
        let handlers = lock(&socket.shared.handlers);
        match dispatch {
            Dispatch::Connect => {
                for f in &handlers.connect {
                    guarded("connect", || f(&socket));
                }
            }
            Dispatch::ConnectError(error) => {
                for f in &handlers.connect_error {
                    guarded("connect_error", || f(&socket, &error));
                }
            }
            Dispatch::Disconnect(reason) => {
                for f in &handlers.disconnect {
                    guarded("disconnect", || f(&socket, reason));
                }
            }
            Dispatch::Event(name, packet) => {
                // `onAny` listeners first, as socket.io-client calls them.
                for handler in &handlers.any {
                    guarded_async(&name, handler(incoming(&socket, &name, &packet))).await;
                }
                if let Some(handler) = handlers.events.get(&name) {
                    let incoming = Incoming {
                        socket: socket.clone(),
                        name: name.clone(),
                        packet,
                    };
                    guarded_async(&name, handler(incoming)).await;
                }
            }
        }
    }
}

fn guarded(callback: &str, f: impl FnOnce()) {
    if std::panic::catch_unwind(AssertUnwindSafe(f)).is_err() {
        tracing::error!(callback, "a client callback panicked");
    }
}

async fn guarded_async(event: &str, handler: BoxFuture<'static, ()>) {
    if AssertUnwindSafe(handler).catch_unwind().await.is_err() {
        tracing::error!(event, "a client event handler panicked");
    }
}

fn incoming(socket: &Socket, name: &str, packet: &duplex_socketio_proto::Packet) -> Incoming {
    Incoming {
        socket: socket.clone(),
        name: name.to_owned(),
        packet: packet.clone(),
    }
}

/// The callbacks as they are now, so none runs under the lock (a callback may register
/// another): registering copies the set, dispatching only clones the `Arc`.
fn lock(handlers: &Mutex<Arc<Handlers>>) -> Arc<Handlers> {
    handlers.lock().map(|h| h.clone()).unwrap_or_default()
}

/// Changes the callbacks of a socket.
pub(crate) fn update(handlers: &Mutex<Arc<Handlers>>, f: impl FnOnce(&mut Handlers)) {
    if let Ok(mut current) = handlers.lock() {
        f(Arc::make_mut(&mut current));
    }
}
