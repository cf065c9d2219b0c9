//! The local room index of a namespace: which sockets are in which room.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::sid_hash::{SidMap, SidSet};

use duplex_engineio::Sid;

/// A room name.
pub type Room = Cow<'static, str>;

/// Room names, from one or many.
pub trait IntoRooms {
    /// The rooms.
    fn into_rooms(self) -> Vec<Room>;
}

impl IntoRooms for &'static str {
    fn into_rooms(self) -> Vec<Room> {
        vec![Cow::Borrowed(self)]
    }
}

impl IntoRooms for String {
    fn into_rooms(self) -> Vec<Room> {
        vec![Cow::Owned(self)]
    }
}

/// A borrowed name (from an event's arguments, say) is copied: rooms outlive it.
impl IntoRooms for &String {
    fn into_rooms(self) -> Vec<Room> {
        vec![Cow::Owned(self.clone())]
    }
}

impl IntoRooms for &Room {
    fn into_rooms(self) -> Vec<Room> {
        vec![self.clone()]
    }
}

impl IntoRooms for Room {
    fn into_rooms(self) -> Vec<Room> {
        vec![self]
    }
}

impl IntoRooms for Sid {
    fn into_rooms(self) -> Vec<Room> {
        vec![Cow::Owned(self.to_string())]
    }
}

impl<T: IntoRooms> IntoRooms for Vec<T> {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().flat_map(IntoRooms::into_rooms).collect()
    }
}

impl<T: IntoRooms, const N: usize> IntoRooms for [T; N] {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().flat_map(IntoRooms::into_rooms).collect()
    }
}

/// Rooms to sockets and back.
///
/// Every socket starts in the room named by its id. Those rooms are kept apart, as one set
/// of ids: a map entry, a member set and a room list per socket would be most of an idle
/// socket's bookkeeping, for rooms that never hold anyone else.
#[derive(Debug, Default)]
pub(crate) struct RoomIndex {
    /// Rooms joined by name (a socket's own room is never here).
    members: HashMap<Room, SidSet>,
    rooms_of: SidMap<Vec<Room>>,
    /// Sockets in their own room.
    own: SidSet,
}

impl RoomIndex {
    pub(crate) fn join(&mut self, sid: Sid, rooms: &[Room]) {
        for room in rooms {
            if room == sid.as_str() {
                self.own.insert(sid);
                continue;
            }
            let mine = self.rooms_of.entry(sid).or_default();
            if !mine.contains(room) {
                mine.push(room.clone());
                self.members.entry(room.clone()).or_default().insert(sid);
            }
        }
    }

    pub(crate) fn leave(&mut self, sid: Sid, rooms: &[Room]) {
        for room in rooms {
            if room == sid.as_str() {
                self.own.remove(&sid);
                continue;
            }
            let Some(mine) = self.rooms_of.get_mut(&sid) else {
                continue;
            };
            let Some(at) = mine.iter().position(|r| r == room) else {
                continue;
            };
            mine.remove(at);
            if mine.is_empty() {
                self.rooms_of.remove(&sid);
            }
            self.remove_member(room, sid);
        }
    }

    pub(crate) fn leave_all(&mut self, sid: Sid) {
        self.own.remove(&sid);
        if let Some(mine) = self.rooms_of.remove(&sid) {
            for room in &mine {
                self.remove_member(room, sid);
            }
        }
    }

    fn remove_member(&mut self, room: &Room, sid: Sid) {
        if let Some(members) = self.members.get_mut(room) {
            members.remove(&sid);
            if members.is_empty() {
                self.members.remove(room);
            }
        }
    }

    /// The rooms of `sid`: its own first (while it is in it), then the others in the order
    /// joined.
    pub(crate) fn rooms_of(&self, sid: Sid) -> Vec<Room> {
        let own = self
            .own
            .contains(&sid)
            .then(|| Room::Owned(sid.to_string()));
        let joined = self.rooms_of.get(&sid).into_iter().flatten().cloned();
        own.into_iter().chain(joined).collect()
    }

    /// The members of `room`: those who joined it by name, and the socket whose id it is.
    fn members_of<'a>(&'a self, room: &Room) -> impl Iterator<Item = Sid> + 'a {
        let named = self.members.get(room).into_iter().flatten().copied();
        let owner = Sid::parse(room).filter(|sid| self.own.contains(sid));
        named.chain(owner)
    }

    /// The sockets in any of `rooms`, none of `except`; every socket when `rooms` is empty
    /// (`all` lists them), each once, passed to `visit`.
    pub(crate) fn select(
        &self,
        rooms: &[Room],
        except: &[Room],
        all: impl Iterator<Item = Sid>,
        mut visit: impl FnMut(Sid),
    ) {
        let excluded: SidSet = except
            .iter()
            .flat_map(|room| self.members_of(room))
            .collect();
        let keep = |sid: Sid| {
            if !excluded.contains(&sid) {
                visit(sid);
            }
        };
        match rooms {
            [] => all.for_each(keep),
            // The common broadcast: one room's members are distinct already (a socket's own
            // room is never among the named ones).
            [room] => self.members_of(room).for_each(keep),
            _ => {
                let mut seen = SidSet::default();
                rooms
                    .iter()
                    .flat_map(|room| self.members_of(room))
                    .filter(|sid| seen.insert(*sid))
                    .for_each(keep);
            }
        }
    }

    /// Every room that has members.
    pub(crate) fn all_rooms(&self) -> Vec<Room> {
        let own = self
            .own
            .iter()
            .filter(|sid| !self.members.contains_key(sid.as_str()))
            .map(|sid| Room::Owned(sid.to_string()));
        self.members.keys().cloned().chain(own).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_select_leave() {
        let (a, b, c) = (Sid::generate(), Sid::generate(), Sid::generate());
        let mut index = RoomIndex::default();
        index.join(a, &"red".into_rooms());
        index.join(b, &["red", "blue"].into_rooms());
        index.join(c, &"blue".into_rooms());
        let select = |rooms: &[Room], except: &[Room], all: &[Sid]| {
            let mut found = Vec::new();
            index.select(rooms, except, all.iter().copied(), |sid| found.push(sid));
            found
        };
        let mut red = select(&"red".into_rooms(), &[], &[]);
        red.sort_by_key(|s| s.to_string());
        let mut want = vec![a, b];
        want.sort_by_key(|s| s.to_string());
        assert_eq!(red, want);
        let both = select(&["red", "blue"].into_rooms(), &[], &[]);
        assert_eq!(both.len(), 3);
        let except = select(&"red".into_rooms(), &"blue".into_rooms(), &[]);
        assert_eq!(except, vec![a]);
        let all = select(&[], &"red".into_rooms(), &[a, b, c]);
        assert_eq!(all, vec![c]);
        index.leave_all(b);
        assert_eq!(index.rooms_of(b), Vec::<Room>::new());
        index.leave(a, &"red".into_rooms());
        assert_eq!(index.all_rooms(), vec![Room::from("blue")]);
    }

    #[test]
    fn own_rooms_are_rooms_like_the_others() {
        let (a, b) = (Sid::generate(), Sid::generate());
        let own = |sid: Sid| Room::from(sid.to_string());
        let mut index = RoomIndex::default();
        index.join(a, &[own(a)]);
        index.join(b, &[own(b)]);
        // b also joins a room named like a's id: both are its members, once each.
        index.join(b, &[own(a), Room::from("x")]);
        index.join(a, &[own(a), Room::from("x")]);
        assert_eq!(index.rooms_of(a), [own(a), Room::from("x")]);
        assert_eq!(index.rooms_of(b), [own(b), own(a), Room::from("x")]);
        let select = |index: &RoomIndex, rooms: &[Room], except: &[Room]| {
            let mut found = Vec::new();
            index.select(rooms, except, [a, b].into_iter(), |sid| found.push(sid));
            found.sort_by_key(|s| s.to_string());
            found
        };
        let mut both = vec![a, b];
        both.sort_by_key(|s| s.to_string());
        assert_eq!(select(&index, &[own(a)], &[]), both);
        assert_eq!(select(&index, &[own(b)], &[]), [b]);
        assert_eq!(select(&index, &[own(b), Room::from("x")], &[]), both);
        assert_eq!(select(&index, &[Room::from("x")], &[own(b)]), [a]);
        assert_eq!(select(&index, &[], &[own(a)]), Vec::<Sid>::new());
        let mut all = index.all_rooms();
        all.sort();
        let mut want = vec![own(a), own(b), Room::from("x")];
        want.sort();
        assert_eq!(all, want);
        // Leaving one's own room, as socket.io allows: no longer reached by its id.
        index.leave(b, &[own(b)]);
        assert_eq!(select(&index, &[own(b)], &[]), Vec::<Sid>::new());
        assert_eq!(index.rooms_of(b), [own(a), Room::from("x")]);
        index.leave_all(a);
        assert_eq!(index.rooms_of(a), Vec::<Room>::new());
        assert_eq!(select(&index, &[own(a)], &[]), [b]);
    }
}
