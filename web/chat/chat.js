/**
 * The demo chat of `duplex serve`: nickname, rooms, members, typing, history, delivery acks,
 * images as binary, and a connection badge. The server's events are described in
 * crates/duplex/src/serve/chat.rs; every ack is `{ok: true, ...}` or `{ok: false, error}`.
 *
 * The client is imported from this one URL only, so a test can swap in socket.io-client's
 * own ESM bundle there: the page uses nothing socket.io-client lacks.
 *
 * After a reconnection the server may be a new one (restarted: new session, nothing known
 * about us), so each `connect` says hello again and joins every room again; what was written
 * meanwhile waits in the outbox until its room is joined.
 */
import { io } from '/socket.io/client/index.js';
import * as view from './view.js';

/** The server's limit on an image (chat.rs `MAX_IMAGE`), checked here to say so at once. */
const MAX_IMAGE = 2 * 1024 * 1024;
/** How long an answer may take before the entry shows as failed. */
const ACK_TIMEOUT = 10000;
/** Quiet typing for this long ends "is typing". */
const TYPING_IDLE = 2000;
/** While typing goes on, "typing" is said again this often (the notices are volatile)... */
const TYPING_REPEAT = 3000;
/** ... and someone else's "is typing" without news for this long is dropped. */
const TYPING_EXPIRE = 6000;
/** Entries kept per room in the page. */
const MAX_ENTRIES = 500;

const { els } = view;
const params = new URLSearchParams(location.search);
const transports = (params.get('transports') ?? '')
  .split(',')
  .map((t) => t.trim())
  .filter(Boolean);
const socket = io(transports.length ? { transports } : {});

const state = {
  /** Our nickname once the server accepted it. */
  nick: null,
  /** The socket id the server knows our nickname on. */
  helloSid: null,
  /** @type {Map<string, Room>} joined rooms (and rooms being joined), in joining order */
  rooms: new Map(),
  /** The room shown. */
  current: null,
  /** Sends waiting for their room to be joined on the current connection: {room, send}. */
  outbox: [],
  typingRoom: null,
  typingSentAt: 0,
  typingTimer: undefined,
};

/**
 * @typedef {{name: string, entries: object[], keys: Set<string>, members: string[],
 *   typing: Map<string, number>, unread: number, joinedSid: string | null}} Room
 */

/** @returns {Room} */
function newRoom(name) {
  return { name, entries: [], keys: new Set(), members: [], typing: new Map(), unread: 0, joinedSid: null };
}

/** The answer of `event` as a Promise: the server's `{ok, ...}`, or `{ok: false, transient}`. */
function call(event, arg) {
  return new Promise((resolve) => {
    socket.timeout(ACK_TIMEOUT).emit(event, arg, (err, answer) => {
      if (err) resolve({ ok: false, transient: true, error: `no answer from the server (${err.message})` });
      else resolve(answer ?? { ok: false, error: 'an empty answer' });
    });
  });
}

const keyOf = (entry) => `${entry.id}:${entry.ts}:${entry.nick}`;
const saidHello = () => socket.connected && state.helloSid === socket.id;
const canSend = (room) => saidHello() && room.joinedSid === socket.id;

/** A server entry (a `message` or `image` event, or history) as the page keeps it. */
function fromServer(raw) {
  const entry = { kind: raw.kind === 'image' ? 'image' : 'message', id: raw.id, ts: raw.ts, nick: String(raw.nick) };
  if (entry.kind === 'image') {
    entry.name = String(raw.name ?? '');
    // Only image types go into the Blob: the browser shows it in an <img>, nothing else.
    const mime = /^image\/[\w.+-]+$/.test(raw.mime ?? '') ? raw.mime : '';
    entry.url = URL.createObjectURL(new Blob([raw.data], { type: mime }));
  } else {
    entry.text = String(raw.text ?? '');
  }
  entry.key = keyOf(entry);
  return entry;
}

/** Adds `entry` to `room` (and to the page if the room is shown), dropping the oldest. */
function add(room, entry) {
  room.entries.push(entry);
  if (entry.key) room.keys.add(entry.key);
  while (room.entries.length > MAX_ENTRIES) forget(room, room.entries.shift());
  if (room.name === state.current) view.appendEntry(entry);
  else if (!entry.own) {
    room.unread += 1;
    view.renderRooms(state.rooms, state.current);
  }
}

function forget(room, entry) {
  room.keys.delete(entry.key);
  if (entry.url) URL.revokeObjectURL(entry.url);
  entry.el?.remove();
}

function typingNicks(room) {
  return room ? [...room.typing.keys()] : [];
}

function renderCurrent() {
  const room = state.rooms.get(state.current);
  view.renderRooms(state.rooms, state.current);
  view.renderMembers(room?.members ?? [], state.nick);
  view.renderMessages(room?.entries ?? []);
  view.renderTyping(typingNicks(room));
}

function switchTo(name) {
  if (state.typingRoom && state.typingRoom !== name) stopTyping();
  state.current = name;
  const room = state.rooms.get(name);
  if (room) room.unread = 0;
  renderCurrent();
}

/** Joins `name` (shown at once unless `show` is false) and takes its members and history. */
async function join(name, show = true) {
  let room = state.rooms.get(name);
  const fresh = !room;
  if (fresh) {
    room = newRoom(name);
    state.rooms.set(name, room);
  }
  if (show) switchTo(name);
  // Not known to the server on this connection yet: resume() joins every room once it is.
  if (!saidHello() || (!fresh && canSend(room))) return;
  const answer = await call('join', name);
  if (state.rooms.get(name) !== room) return; // left meanwhile
  if (!answer.ok) {
    // A refusal is final; a lost answer is tried again on the next connection.
    if (!answer.transient && fresh) {
      state.rooms.delete(name);
      if (state.current === name) switchTo(state.rooms.keys().next().value ?? null);
      else view.renderRooms(state.rooms, state.current);
    }
    view.showError(`cannot join ${name}: ${answer.error}`);
    return;
  }
  room.joinedSid = socket.id;
  room.members = answer.members ?? [];
  for (const raw of answer.history ?? []) {
    const entry = fromServer(raw);
    if (room.keys.has(entry.key)) {
      if (entry.url) URL.revokeObjectURL(entry.url);
    } else {
      add(room, entry);
    }
  }
  if (state.current === name) view.renderMembers(room.members, state.nick);
  flush(name);
}

async function leave(name) {
  const room = state.rooms.get(name);
  if (!room) return;
  if (state.typingRoom === name) stopTyping();
  const joined = canSend(room);
  state.rooms.delete(name);
  state.outbox = state.outbox.filter((o) => o.room !== name);
  for (const entry of room.entries) forget(room, entry);
  for (const timer of room.typing.values()) clearTimeout(timer);
  if (state.current === name) switchTo(state.rooms.keys().next().value ?? null);
  else view.renderRooms(state.rooms, state.current);
  if (joined) {
    const answer = await call('leave', name);
    if (!answer.ok && !answer.transient) view.showError(`cannot leave ${name}: ${answer.error}`);
  }
}

/** Sends what waited for `name` to be joined. */
function flush(name) {
  const waiting = state.outbox.filter((o) => o.room === name);
  state.outbox = state.outbox.filter((o) => o.room !== name);
  for (const o of waiting) o.send();
}

/** An entry of ours, shown at once as pending. */
function ownEntry(kind, fields) {
  return { kind, nick: state.nick, ts: Date.now(), own: true, state: 'pending', ...fields };
}

/** Sends `event` for `entry` now or once its room is joined; the ack marks it delivered. */
function deliver(room, entry, event, payload) {
  const send = async () => {
    const answer = await call(event, payload);
    if (answer.ok) {
      entry.id = answer.id;
      entry.ts = answer.ts;
      entry.key = keyOf(entry);
      room.keys.add(entry.key);
      entry.state = 'delivered';
    } else {
      entry.state = 'failed';
      entry.error = answer.error;
    }
    view.updateEntry(entry);
  };
  entry.retry = () => {
    entry.state = 'pending';
    view.updateEntry(entry);
    deliver(room, entry, event, payload);
  };
  if (canSend(room)) send();
  else state.outbox.push({ room: room.name, send });
}

function startTyping() {
  const room = state.rooms.get(state.current);
  if (!room || !canSend(room)) return;
  if (!els.text.value) return stopTyping();
  const now = Date.now();
  if (state.typingRoom !== room.name || now - state.typingSentAt > TYPING_REPEAT) {
    if (state.typingRoom && state.typingRoom !== room.name) stopTyping();
    socket.volatile.emit('typing', { room: room.name, typing: true });
    state.typingRoom = room.name;
    state.typingSentAt = now;
  }
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(stopTyping, TYPING_IDLE);
}

function stopTyping() {
  clearTimeout(state.typingTimer);
  if (!state.typingRoom) return;
  if (socket.connected) socket.volatile.emit('typing', { room: state.typingRoom, typing: false });
  state.typingRoom = null;
}

function setTyping(room, nick, typing) {
  clearTimeout(room.typing.get(nick));
  if (typing) {
    const expire = () => setTyping(room, nick, false);
    room.typing.set(nick, setTimeout(expire, TYPING_EXPIRE));
  } else {
    room.typing.delete(nick);
  }
  if (room.name === state.current) view.renderTyping(typingNicks(room));
}

async function login(candidate) {
  const nick = candidate.trim();
  if (!nick) return view.showError('a nickname has 1 to 32 characters');
  els.loginBtn.disabled = true;
  const answer = await call('hello', nick);
  els.loginBtn.disabled = false;
  if (!answer.ok) return view.showError(`cannot log in: ${answer.error}`);
  state.nick = answer.nick;
  state.helloSid = socket.id;
  view.showError('');
  view.loggedIn(state.nick);
  await join(params.get('room')?.trim() || 'lobby');
}

/** After a reconnection: the nickname and every room again (the server may have restarted). */
async function resume() {
  const sid = socket.id;
  const answer = await call('hello', state.nick);
  if (socket.id !== sid) return; // connected again meanwhile: that connection resumes
  if (!answer.ok) return view.showError(`cannot log in again: ${answer.error}`);
  state.helloSid = sid;
  for (const name of [...state.rooms.keys()]) await join(name, false);
}

// Connection state.
socket.on('connect', () => {
  view.setBadge('connected');
  view.setTransport(socket.io.engine?.transport?.name);
  if (state.nick) resume();
});
socket.on('disconnect', () => {
  view.setBadge(socket.active ? 'reconnecting' : 'offline');
  clearTimeout(state.typingTimer);
  state.typingRoom = null;
  for (const room of state.rooms.values()) for (const nick of [...room.typing.keys()]) setTyping(room, nick, false);
});
socket.on('connect_error', () => view.setBadge(socket.active ? 'reconnecting' : 'offline'));
socket.io.on('reconnect_attempt', () => view.setBadge('reconnecting'));
socket.io.on('reconnect_failed', () => view.setBadge('offline'));
socket.io.on('open', () => {
  const engine = socket.io.engine;
  view.setTransport(engine.transport?.name);
  // socket.io-client passes the transport, ours its name.
  engine.on('upgrade', (t) => view.setTransport(typeof t === 'string' ? t : t?.name ?? engine.transport?.name));
});

// The server's events.
socket.on('presence', ({ room: name, members }) => {
  const room = state.rooms.get(name);
  if (!room) return;
  room.members = members ?? [];
  for (const nick of [...room.typing.keys()]) if (!room.members.includes(nick)) setTyping(room, nick, false);
  if (name === state.current) view.renderMembers(room.members, state.nick);
});
socket.on('typing', ({ room: name, nick, typing }) => {
  const room = state.rooms.get(name);
  if (room) setTyping(room, String(nick), Boolean(typing));
});
for (const event of ['message', 'image']) {
  socket.on(event, (raw) => {
    const room = state.rooms.get(raw?.room);
    if (!room) return;
    const entry = fromServer(raw);
    if (room.typing.has(entry.nick)) setTyping(room, entry.nick, false);
    if (!room.keys.has(entry.key)) add(room, entry);
  });
}

// The page's forms.
els.login.addEventListener('submit', (e) => {
  e.preventDefault();
  login(els.nick.value);
});
els.roomForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const name = els.roomName.value.trim();
  if (!name) return;
  els.roomName.value = '';
  join(name);
});
els.rooms.addEventListener('click', (e) => {
  const li = e.target.closest('li[data-room]');
  if (!li) return;
  if (e.target.closest('button.leave')) leave(li.dataset.room);
  else switchTo(li.dataset.room);
});
els.messages.addEventListener('click', (e) => {
  const li = e.target.closest('li.entry[data-state="failed"]');
  const room = state.rooms.get(state.current);
  const entry = li && room?.entries.find((x) => x.el === li);
  if (entry?.retry) entry.retry();
});
els.text.addEventListener('input', startTyping);
els.composer.addEventListener('submit', (e) => {
  e.preventDefault();
  const room = state.rooms.get(state.current);
  const text = els.text.value;
  if (!room || !text.trim()) return;
  els.text.value = '';
  stopTyping();
  const entry = ownEntry('message', { text });
  add(room, entry);
  deliver(room, entry, 'message', { room: room.name, text });
});
els.image.addEventListener('change', async () => {
  const file = els.image.files?.[0];
  els.image.value = '';
  const room = state.rooms.get(state.current);
  if (!file || !room) return;
  if (!file.type.startsWith('image/')) return view.showError(`${file.name} is not an image`);
  if (file.size === 0) return view.showError(`${file.name} is empty`);
  if (file.size > MAX_IMAGE) {
    const mib = (file.size / 1024 / 1024).toFixed(1);
    return view.showError(`${file.name} is too large (${mib} MiB): images are limited to 2 MiB`);
  }
  const data = await file.arrayBuffer();
  const url = URL.createObjectURL(new Blob([data], { type: file.type }));
  const entry = ownEntry('image', { name: file.name, mime: file.type, url });
  add(room, entry);
  deliver(room, entry, 'image', { room: room.name, name: file.name, mime: file.type, data });
});

view.setBadge(socket.connected ? 'connected' : 'reconnecting');
view.renderRooms(state.rooms, state.current);
const startNick = params.get('nick');
if (startNick) {
  els.nick.value = startNick;
  login(startNick);
}
window.chatReady = true;
