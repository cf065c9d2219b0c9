//! Internal notifications of what happens on the server (connections, sockets, rooms, bytes),
//! for the Admin UI instrumentation. One observer per server, set once: until then every hook
//! is a single atomic load, so an uninstrumented server pays nothing else.

use std::sync::{Arc, OnceLock, RwLock};

use duplex_engineio::{Message, Sid};

use crate::rooms::{Room, RoomIndex};
use crate::socket::Socket;

/// What the server tells its observer. Called on the task doing the work, never under one of
/// the server's locks, so an observer may emit (to its own namespace) from any of them.
pub(crate) trait Observer: Send + Sync + 'static {
    /// An Engine.IO connection opened.
    fn connection_opened(&self, conn: &Arc<duplex_engineio::Socket>);
    /// An Engine.IO connection closed, for `reason` (engine.io's name).
    fn connection_closed(&self, conn: &Arc<duplex_engineio::Socket>, reason: &str);
    /// A message arrived from a client, `bytes` long.
    fn message_in(&self, bytes: usize);
    /// Messages are queued for one client.
    fn messages_out(&self, messages: &mut dyn Iterator<Item = &Message>);
    /// Whether it wants the socket-level notifications below (sockets, data, rooms): when
    /// not, room changes are not worked out for it.
    fn watches_sockets(&self) -> bool;
    /// A socket joined its namespace (its rooms joined already), before the connection
    /// handler runs.
    fn socket_connected(&self, socket: &Arc<Socket>);
    /// The socket's application data changed.
    fn data_updated(&self, socket: &Socket);
    /// Socket `sid` of namespace `ns` is now in `rooms` (only those it was not in before).
    fn rooms_joined(&self, ns: &str, sid: Sid, rooms: &[Room]);
    /// Socket `sid` of namespace `ns` is no longer in `rooms` (only those it was in).
    fn rooms_left(&self, ns: &str, sid: Sid, rooms: &[Room]);
}

/// The server's observer slot, shared by its namespaces and connections.
#[derive(Default)]
pub(crate) struct Hooks {
    observer: OnceLock<Arc<dyn Observer>>,
}

impl Hooks {
    /// The observer, when one is set.
    pub(crate) fn get(&self) -> Option<&Arc<dyn Observer>> {
        self.observer.get()
    }

    /// Sets the observer; `false` when one was set already.
    #[cfg(any(test, feature = "admin-ui"))]
    pub(crate) fn set(&self, observer: Arc<dyn Observer>) -> bool {
        self.observer.set(observer).is_ok()
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("observed", &self.observer.get().is_some())
            .finish()
    }
}

/// The rooms one socket joined and left in one change of a namespace's room index.
pub(crate) struct RoomChange {
    observer: Arc<dyn Observer>,
    joined: Vec<Room>,
    left: Vec<Room>,
}

impl RoomChange {
    /// Tells the observer; called once the room index is unlocked.
    pub(crate) fn report(self, ns: &str, sid: Sid) {
        if !self.joined.is_empty() {
            self.observer.rooms_joined(ns, sid, &self.joined);
        }
        if !self.left.is_empty() {
            self.observer.rooms_left(ns, sid, &self.left);
        }
    }
}

/// Applies `change` to a namespace's room index; with an observer, also returns what the
/// change did to `sid`'s rooms (socket.io's adapter reports only real joins and leaves).
pub(crate) fn room_change(
    hooks: &Hooks,
    rooms: &RwLock<RoomIndex>,
    sid: Sid,
    change: impl FnOnce(&mut RoomIndex),
) -> Option<RoomChange> {
    let mut index = rooms.write().unwrap_or_else(|e| e.into_inner());
    let Some(observer) = hooks.get().filter(|o| o.watches_sockets()) else {
        change(&mut index);
        return None;
    };
    let before = index.rooms_of(sid);
    change(&mut index);
    let after = index.rooms_of(sid);
    drop(index);
    let joined = after
        .iter()
        .filter(|r| !before.contains(r))
        .cloned()
        .collect();
    let left = before.into_iter().filter(|r| !after.contains(r)).collect();
    Some(RoomChange {
        observer: observer.clone(),
        joined,
        left,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records the room notifications.
    #[derive(Default)]
    struct Rooms(Mutex<Vec<String>>);

    impl Observer for Rooms {
        fn connection_opened(&self, _: &Arc<duplex_engineio::Socket>) {}
        fn connection_closed(&self, _: &Arc<duplex_engineio::Socket>, _: &str) {}
        fn message_in(&self, _: usize) {}
        fn messages_out(&self, _: &mut dyn Iterator<Item = &Message>) {}
        fn watches_sockets(&self) -> bool {
            true
        }
        fn socket_connected(&self, _: &Arc<Socket>) {}
        fn data_updated(&self, _: &Socket) {}
        fn rooms_joined(&self, ns: &str, _: Sid, rooms: &[Room]) {
            let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
            seen.extend(rooms.iter().map(|r| format!("+{ns}{r}")));
        }
        fn rooms_left(&self, ns: &str, _: Sid, rooms: &[Room]) {
            let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
            seen.extend(rooms.iter().map(|r| format!("-{ns}{r}")));
        }
    }

    #[test]
    fn only_real_joins_and_leaves_are_reported() {
        let observer = Arc::new(Rooms::default());
        let hooks = Hooks::default();
        let index = RwLock::new(RoomIndex::default());
        let sid = Sid::generate();
        let apply = |change: &dyn Fn(&mut RoomIndex)| {
            if let Some(change) = room_change(&hooks, &index, sid, change) {
                change.report("/", sid);
            }
        };
        let a: Vec<Room> = vec!["a".into()];
        let own: Vec<Room> = vec![sid.to_string().into()];
        apply(&|i| i.join(sid, &a));
        // Unobserved so far: nothing reported, the change made all the same.
        assert!(observer.0.lock().unwrap().is_empty());
        assert!(hooks.set(observer.clone()));
        assert!(!hooks.set(observer.clone()), "set once");
        apply(&|i| i.join(sid, &a));
        apply(&|i| i.join(sid, &own));
        apply(&|i| i.join(sid, &["b".into(), "b".into()]));
        apply(&|i| i.leave(sid, &["c".into()]));
        apply(&|i| i.leave(sid, &a));
        apply(&|i| i.leave_all(sid));
        let own = sid.to_string();
        assert_eq!(
            *observer.0.lock().unwrap(),
            [
                format!("+/{own}"),
                "+/b".into(),
                "-/a".into(),
                format!("-/{own}"),
                "-/b".into()
            ]
        );
    }
}
