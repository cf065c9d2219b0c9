//! The demo chat: nicknames, rooms joined and left, who is in each room (presence), typing
//! indicators, a bounded history for late joiners, delivery acks, and images as binary.
//!
//! Events, client to server (each ack is `{ok: true, ...}` or `{ok: false, error}`):
//! - `hello` nickname (1 to 32 characters) → `{ok, nick}`; needed before anything else.
//! - `join` room (1 to 32 characters) → `{ok, room, members, history}`; the room gets
//!   `presence` `{room, members}`.
//! - `leave` room → `{ok, room}`; the room gets `presence`.
//! - `message` `{room, text}` → `{ok, id, ts}` once stored and sent; the room's other members
//!   get `message` (an entry, below).
//! - `image` `{room, name, mime, data: <binary>}` (at most [`MAX_IMAGE`] bytes) → `{ok, id,
//!   ts}`; the others get `image`.
//! - `typing` `{room, typing: bool}` → the others get `typing` `{room, nick, typing}`.
//!
//! An entry is `{kind: "message"|"image", id, room, nick, ts, text}` or with `name, mime,
//! data` for images; `ts` is milliseconds since the Unix epoch.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use duplex_socketio::{AckSender, Binary, Data, DisconnectReason, SocketIo, SocketRef};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Longest nickname and room name, in characters.
const MAX_NAME: usize = 32;
/// Longest message, in characters.
const MAX_TEXT: usize = 2_000;
/// Largest image, in bytes.
pub const MAX_IMAGE: usize = 2 << 20;
/// Rooms kept at most (an empty room keeps its history for late joiners).
const MAX_ROOMS: usize = 256;

/// The chat's state, shared by every socket.
pub struct Chat {
    rooms: Mutex<HashMap<String, Room>>,
    history: usize,
}

#[derive(Default)]
struct Room {
    /// Socket id → nickname.
    members: BTreeMap<String, String>,
    history: VecDeque<Entry>,
    next_id: u64,
}

/// A message or an image, as sent to clients and kept in the history.
#[derive(Serialize, Clone, Debug)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Entry {
    Message {
        id: u64,
        room: String,
        nick: String,
        ts: u64,
        text: String,
    },
    Image {
        id: u64,
        room: String,
        nick: String,
        ts: u64,
        name: String,
        mime: String,
        data: Binary,
    },
}

#[derive(Deserialize)]
struct Text {
    room: String,
    text: String,
}

#[derive(Deserialize)]
struct Image {
    room: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    mime: String,
    data: Binary,
}

#[derive(Deserialize)]
struct Typing {
    room: String,
    typing: bool,
}

/// The socket's nickname, kept in its extensions.
#[derive(Clone)]
struct Nick(String);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn refuse(ack: AckSender, error: &str) {
    let _ = ack.send(&json!({ "ok": false, "error": error }));
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= MAX_NAME && !name.chars().any(char::is_control)
}

impl Chat {
    /// A chat keeping the last `history` entries of each room.
    pub fn new(history: usize) -> Arc<Chat> {
        Arc::new(Chat {
            rooms: Mutex::new(HashMap::new()),
            history,
        })
    }

    fn rooms(&self) -> MutexGuard<'_, HashMap<String, Room>> {
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers the chat's handlers on `io`'s main namespace.
    pub fn mount(self: &Arc<Self>, io: &SocketIo) {
        let chat = self.clone();
        io.ns("/", move |socket: SocketRef| {
            let chat = chat.clone();
            async move { chat.on_connect(socket) }
        });
    }

    fn on_connect(self: Arc<Self>, socket: SocketRef) {
        socket.on(
            "hello",
            |socket: SocketRef, Data(nick): Data<String>, ack: AckSender| async move {
                let nick = nick.trim().to_owned();
                if !valid_name(&nick) {
                    return refuse(ack, "a nickname has 1 to 32 characters");
                }
                socket.extensions.insert(Nick(nick.clone()));
                let _ = ack.send(&json!({ "ok": true, "nick": nick }));
            },
        );

        let chat = self.clone();
        socket.on(
            "join",
            move |socket: SocketRef, Data(room): Data<String>, ack: AckSender| {
                let chat = chat.clone();
                async move { chat.join(&socket, room, ack) }
            },
        );

        let chat = self.clone();
        socket.on(
            "leave",
            move |socket: SocketRef, Data(room): Data<String>, ack: AckSender| {
                let chat = chat.clone();
                async move {
                    if !chat.leave(&socket, &room) {
                        return refuse(ack, "not in that room");
                    }
                    let _ = ack.send(&json!({ "ok": true, "room": room }));
                }
            },
        );

        let chat = self.clone();
        socket.on(
            "message",
            move |socket: SocketRef, Data(text): Data<Text>, ack: AckSender| {
                let chat = chat.clone();
                async move {
                    if text.text.is_empty() || text.text.chars().count() > MAX_TEXT {
                        return refuse(ack, "a message has 1 to 2000 characters");
                    }
                    chat.post(&socket, &text.room, ack, |id, room, nick, ts| {
                        Entry::Message {
                            id,
                            room,
                            nick,
                            ts,
                            text: text.text,
                        }
                    });
                }
            },
        );

        let chat = self.clone();
        socket.on(
            "image",
            move |socket: SocketRef, Data(image): Data<Image>, ack: AckSender| {
                let chat = chat.clone();
                async move {
                    if image.data.0.is_empty() || image.data.0.len() > MAX_IMAGE {
                        return refuse(ack, "an image has 1 byte to 2 MiB");
                    }
                    let (name, mime) = (image.name, image.mime);
                    chat.post(&socket, &image.room, ack, |id, room, nick, ts| {
                        Entry::Image {
                            id,
                            room,
                            nick,
                            ts,
                            name,
                            mime,
                            data: image.data,
                        }
                    });
                }
            },
        );

        socket.on(
            "typing",
            |socket: SocketRef, Data(typing): Data<Typing>| async move {
                let Some(Nick(nick)) = socket.extensions.get::<Nick>() else {
                    return;
                };
                if socket.rooms().iter().any(|r| *r == typing.room) {
                    let notice =
                        json!({ "room": typing.room, "nick": nick, "typing": typing.typing });
                    let _ = socket.to(typing.room.clone()).emit("typing", &notice);
                }
            },
        );

        let chat = self;
        socket.on_disconnecting(move |socket: SocketRef, _reason: DisconnectReason| {
            let chat = chat.clone();
            async move {
                let own = socket.id().to_string();
                for room in socket.rooms().into_iter().filter(|r| *r != own) {
                    chat.leave(&socket, &room);
                }
            }
        });
    }

    fn join(&self, socket: &SocketRef, room: String, ack: AckSender) {
        let Some(Nick(nick)) = socket.extensions.get::<Nick>() else {
            return refuse(ack, "say hello first");
        };
        if !valid_name(&room) {
            return refuse(ack, "a room name has 1 to 32 characters");
        }
        // Each socket's id is a room of its own: joining someone's would read their mail.
        let present = socket.namespace().to(&room).sockets();
        if present.iter().any(|s| s.id().as_str() == room) {
            return refuse(ack, "no such room");
        }
        let (members, history) = {
            let mut rooms = self.rooms();
            if !rooms.contains_key(&room) && rooms.len() >= MAX_ROOMS {
                // Forget an empty room (its history goes with it) to make space.
                let empty = rooms
                    .iter()
                    .find(|(_, r)| r.members.is_empty())
                    .map(|(name, _)| name.clone());
                match empty {
                    Some(name) => {
                        rooms.remove(&name);
                    }
                    None => return refuse(ack, "too many rooms"),
                }
            }
            let state = rooms.entry(room.clone()).or_default();
            state.members.insert(socket.id().to_string(), nick);
            let members: Vec<String> = state.members.values().cloned().collect();
            let history: Vec<Entry> = state.history.iter().cloned().collect();
            (members, history)
        };
        socket.join(&room);
        let presence = json!({ "room": room, "members": members });
        let _ = socket.to(room.clone()).emit("presence", &presence);
        let _ =
            ack.send(&json!({ "ok": true, "room": room, "members": members, "history": history }));
    }

    /// Takes the socket out of `room` and tells the others who is left; `false` if it was
    /// not in it.
    fn leave(&self, socket: &SocketRef, room: &str) -> bool {
        let members = {
            let mut rooms = self.rooms();
            let Some(state) = rooms.get_mut(room) else {
                return false;
            };
            if state.members.remove(socket.id().as_str()).is_none() {
                return false;
            }
            state.members.values().cloned().collect::<Vec<_>>()
        };
        socket.leave(room.to_owned());
        let presence = json!({ "room": room, "members": members });
        let _ = socket.to(room.to_owned()).emit("presence", &presence);
        true
    }

    /// Stores an entry made by `make` in `room`'s history, sends it to the room's other
    /// members and acks the sender with its id and time.
    fn post(
        &self,
        socket: &SocketRef,
        room: &str,
        ack: AckSender,
        make: impl FnOnce(u64, String, String, u64) -> Entry,
    ) {
        let Some(Nick(nick)) = socket.extensions.get::<Nick>() else {
            return refuse(ack, "say hello first");
        };
        let ts = now_ms();
        let entry = {
            let mut rooms = self.rooms();
            let Some(state) = rooms
                .get_mut(room)
                .filter(|r| r.members.contains_key(socket.id().as_str()))
            else {
                return refuse(ack, "join the room first");
            };
            state.next_id += 1;
            let entry = make(state.next_id, room.to_owned(), nick, ts);
            state.history.push_back(entry.clone());
            while state.history.len() > self.history {
                state.history.pop_front();
            }
            entry
        };
        let (event, id) = match &entry {
            Entry::Message { id, .. } => ("message", *id),
            Entry::Image { id, .. } => ("image", *id),
        };
        let _ = socket.to(room.to_owned()).emit(event, &entry);
        let _ = ack.send(&json!({ "ok": true, "id": id, "ts": ts }));
    }
}
