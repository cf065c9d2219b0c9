//! The local room index of a namespace: which sockets are in which room.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

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
#[derive(Debug, Default)]
pub(crate) struct RoomIndex {
    members: HashMap<Room, SidSet>,
    rooms_of: SidMap<HashSet<Room>>,
}

impl RoomIndex {
    pub(crate) fn join(&mut self, sid: Sid, rooms: &[Room]) {
        let mine = self.rooms_of.entry(sid).or_default();
        for room in rooms {
            mine.insert(room.clone());
            self.members.entry(room.clone()).or_default().insert(sid);
        }
    }

    pub(crate) fn leave(&mut self, sid: Sid, rooms: &[Room]) {
        let Some(mine) = self.rooms_of.get_mut(&sid) else {
            return;
        };
        let mut left = Vec::with_capacity(rooms.len());
        for room in rooms {
            if mine.remove(room) {
                left.push(room);
            }
        }
        if mine.is_empty() {
            self.rooms_of.remove(&sid);
        }
        for room in left {
            self.remove_member(room, sid);
        }
    }

    pub(crate) fn leave_all(&mut self, sid: Sid) {
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

    pub(crate) fn rooms_of(&self, sid: Sid) -> Vec<Room> {
        self.rooms_of
            .get(&sid)
            .map(|rooms| rooms.iter().cloned().collect())
            .unwrap_or_default()
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
            .filter_map(|room| self.members.get(room))
            .flatten()
            .copied()
            .collect();
        let keep = |sid: Sid| {
            if !excluded.contains(&sid) {
                visit(sid);
            }
        };
        match rooms {
            [] => all.for_each(keep),
            // The common broadcast: one room's members are distinct already.
            [room] => self
                .members
                .get(room)
                .into_iter()
                .flatten()
                .copied()
                .for_each(keep),
            _ => {
                let mut seen = SidSet::default();
                rooms
                    .iter()
                    .filter_map(|room| self.members.get(room))
                    .flatten()
                    .copied()
                    .filter(|sid| seen.insert(*sid))
                    .for_each(keep);
            }
        }
    }

    /// Every room that has members.
    pub(crate) fn all_rooms(&self) -> Vec<Room> {
        self.members.keys().cloned().collect()
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
}
