/**
 * The chat page's DOM: every element the page changes, and how state becomes elements. User
 * text only ever goes through `textContent` and `dataset`, never through HTML.
 *
 * The ids, classes and data attributes are a contract with the browser tests (see
 * web/README.md): change them only together.
 */

const $ = (id) => document.getElementById(id);

export const els = {
  badge: $('badge'),
  transport: $('transport'),
  me: $('me'),
  error: $('error'),
  login: $('login'),
  nick: $('nick'),
  loginBtn: $('login-btn'),
  app: $('app'),
  rooms: $('rooms'),
  roomForm: $('room-form'),
  roomName: $('room-name'),
  members: $('members'),
  roomTitle: $('room-title'),
  messages: $('messages'),
  typing: $('typing'),
  composer: $('composer'),
  text: $('text'),
  image: $('image'),
  sendBtn: $('send-btn'),
};

const BADGE_TEXT = { connected: 'connected', reconnecting: 'reconnecting…', offline: 'offline' };

/** @param {'connected' | 'reconnecting' | 'offline'} state */
export function setBadge(state) {
  els.badge.dataset.state = state;
  els.badge.textContent = BADGE_TEXT[state];
  // The member list is the last one known until the server tells again: dimmed meanwhile.
  document.body.dataset.connection = state;
}

/** @param {string} name `websocket` or `polling` */
export function setTransport(name) {
  if (name) els.transport.textContent = name;
}

let errorTimer;

/** Shows `text` as the last error for a while (empty: clears it). */
export function showError(text) {
  clearTimeout(errorTimer);
  els.error.textContent = text;
  if (text) errorTimer = setTimeout(() => (els.error.textContent = ''), 8000);
}

/** @param {string} nick */
export function loggedIn(nick) {
  els.login.hidden = true;
  els.app.hidden = false;
  els.me.textContent = nick;
  els.text.focus();
}

function button(className, text, title) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  b.title = title;
  return b;
}

/**
 * @param {Map<string, {name: string, unread: number}>} rooms
 * @param {string | null} current
 */
export function renderRooms(rooms, current) {
  const items = [];
  for (const room of rooms.values()) {
    const li = document.createElement('li');
    li.dataset.room = room.name;
    if (room.name === current) li.className = 'current';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = `# ${room.name}`;
    li.append(name);
    if (room.unread > 0) {
      const unread = document.createElement('span');
      unread.className = 'unread';
      unread.textContent = String(room.unread);
      li.append(unread);
    }
    li.append(button('leave', '×', `Leave ${room.name}`));
    items.push(li);
  }
  els.rooms.replaceChildren(...items);
  els.roomTitle.textContent = current ? `# ${current}` : 'Join a room';
  els.text.disabled = els.sendBtn.disabled = els.image.disabled = !current;
}

/**
 * @param {string[]} members nicknames, one per connected socket (a nickname twice: two tabs)
 * @param {string | null} me
 */
export function renderMembers(members, me) {
  const unique = [...new Set(members)].sort((a, b) => a.localeCompare(b));
  els.members.replaceChildren(
    ...unique.map((nick) => {
      const li = document.createElement('li');
      li.dataset.nick = nick;
      li.textContent = nick;
      if (nick === me) {
        const you = document.createElement('span');
        you.className = 'you';
        you.textContent = ' (you)';
        li.append(you);
      }
      return li;
    }),
  );
}

/** @param {string[]} nicks who is typing in the current room */
export function renderTyping(nicks) {
  let text = '';
  if (nicks.length === 1) text = `${nicks[0]} is typing…`;
  else if (nicks.length === 2) text = `${nicks[0]} and ${nicks[1]} are typing…`;
  else if (nicks.length > 2) text = `${nicks.length} people are typing…`;
  els.typing.textContent = text;
}

const STATE_MARK = { pending: '…', delivered: '✓', failed: '✗' };

function clock(ts) {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * The element of `entry` (made once, kept on the entry): `li.entry` with `.nick`, then `.text`
 * or `img`, a time and, for own entries, the delivery state.
 * @param {object} entry see chat.js
 */
export function entryElement(entry) {
  if (entry.el) return entry.el;
  const li = document.createElement('li');
  li.className = entry.own ? 'entry own' : 'entry';
  li.dataset.nick = entry.nick;
  li.dataset.kind = entry.kind;
  const head = document.createElement('div');
  head.className = 'head';
  const nick = document.createElement('span');
  nick.className = 'nick';
  nick.textContent = entry.nick;
  const time = document.createElement('time');
  time.className = 'time';
  head.append(nick, time);
  li.append(head);
  if (entry.kind === 'image') {
    const img = document.createElement('img');
    img.src = entry.url;
    img.alt = entry.name || 'image';
    img.title = entry.name || '';
    li.append(img);
  } else {
    const text = document.createElement('div');
    text.className = 'text';
    text.textContent = entry.text;
    li.append(text);
  }
  if (entry.own) {
    const mark = document.createElement('span');
    mark.className = 'state';
    head.append(mark);
  }
  entry.el = li;
  updateEntry(entry);
  return li;
}

/** Brings `entry`'s element up to date: its id, time and delivery state. */
export function updateEntry(entry) {
  const li = entry.el;
  if (!li) return;
  if (entry.id !== undefined) li.dataset.id = String(entry.id);
  const time = li.querySelector('.time');
  time.textContent = clock(entry.ts);
  time.dateTime = new Date(entry.ts).toISOString();
  if (!entry.own) return;
  li.dataset.state = entry.state;
  const mark = li.querySelector('.state');
  mark.textContent = STATE_MARK[entry.state];
  mark.title =
    entry.state === 'failed'
      ? `not delivered: ${entry.error} (click to send again)`
      : entry.state === 'delivered'
        ? 'delivered'
        : 'sending';
}

function nearBottom() {
  const m = els.messages;
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
}

/** @param {object[]} entries the current room's entries, in order */
export function renderMessages(entries) {
  els.messages.replaceChildren(...entries.map(entryElement));
  els.messages.scrollTop = els.messages.scrollHeight;
}

/** Adds `entry` at the end of the shown room, following it if the view was at the end. */
export function appendEntry(entry) {
  const follow = nearBottom() || entry.own;
  els.messages.append(entryElement(entry));
  if (follow) els.messages.scrollTop = els.messages.scrollHeight;
}
