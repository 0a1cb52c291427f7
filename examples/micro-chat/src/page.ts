/**
 * The chat's browser page: plain HTML, CSS and script, no framework and no build step. It uses
 * the socket.io client that socket.io serves itself at /socket.io/socket.io.js. Text from other
 * users is inserted with textContent, never as HTML.
 *
 * What it shows: who you are and which worker serves you (and over which transport), your rooms,
 * who is online in the current room, the conversation, whispers, and every refusal or error
 * answer inline, where it happened. After a reconnection or a reload it says whether the session
 * was recovered and, if not, why.
 */
export const CHAT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>micro-chat</title>
<style>
  :root {
    --bg: #f6f7f9; --panel: #fff; --line: #e3e6ea; --text: #1d2430; --muted: #6b7380;
    --accent: #2f6fed; --accent-soft: #e8effd; --ok: #1f9d55; --warn: #c98a00; --bad: #d64545;
    --whisper: #7b3fc4; --whisper-soft: #f3ecfb;
  }
  * { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: var(--text);
    background: var(--bg); height: 100vh; display: flex; flex-direction: column; }
  header { display: flex; align-items: center; gap: .8em; padding: .55em 1em; background: var(--panel);
    border-bottom: 1px solid var(--line); }
  header h1 { font-size: 1.05em; margin: 0; letter-spacing: .02em; }
  header h1 span { color: var(--accent); }
  #status { margin-left: auto; display: flex; align-items: center; gap: .45em; color: var(--muted); font-size: .92em; }
  #status::before { content: ""; width: .6em; height: .6em; border-radius: 50%; background: #b8bec7; }
  #status.online::before { background: var(--ok); }
  #status.waiting::before { background: var(--warn); }
  #status.refused::before { background: var(--bad); }
  #status b { color: var(--text); font-weight: 600; }
  button { font: inherit; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 6px;
    padding: .35em .9em; cursor: pointer; }
  button.quiet { background: transparent; color: var(--muted); border-color: var(--line); }
  input { font: inherit; padding: .4em .6em; border: 1px solid var(--line); border-radius: 6px; min-width: 0; }
  input:focus { outline: 2px solid var(--accent-soft); border-color: var(--accent); }
  .error { color: var(--bad); font-size: .9em; margin: .35em 0 0; min-height: 1.2em; }
  .hint { color: var(--muted); font-size: .85em; margin: .5em 0 0; }
  [hidden] { display: none !important; }

  #signin { flex: 1; display: grid; place-items: center; }
  #login { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 1.4em 1.6em; width: 22em;
    display: grid; gap: .7em; box-shadow: 0 6px 24px rgba(20, 30, 50, .06); }
  #login h2 { margin: 0 0 .2em; font-size: 1.15em; }
  #login label { display: grid; gap: .25em; font-size: .9em; color: var(--muted); }

  #chat { flex: 1; display: grid; grid-template-columns: 15em 1fr; min-height: 0; }
  aside { background: var(--panel); border-right: 1px solid var(--line); padding: .8em; overflow-y: auto; }
  aside h2 { font-size: .75em; text-transform: uppercase; letter-spacing: .08em; color: var(--muted); margin: .4em 0 .5em; }
  aside section + section { margin-top: 1.4em; }
  aside ul { list-style: none; margin: 0; padding: 0; }
  #rooms li { display: flex; align-items: center; border-radius: 6px; }
  #rooms li button.room { flex: 1; text-align: left; background: none; border: 0; color: var(--text); padding: .3em .5em; }
  #rooms li.active { background: var(--accent-soft); }
  #rooms li.active button.room { color: var(--accent); font-weight: 600; }
  #rooms li button.leave { background: none; border: 0; color: var(--muted); padding: .2em .5em; }
  #join { display: flex; gap: .4em; margin-top: .5em; }
  #join input { flex: 1; width: 0; }
  #members li button { width: 100%; display: flex; align-items: center; gap: .5em; background: none; border: 0;
    color: var(--text); padding: .3em .5em; border-radius: 6px; text-align: left; }
  #members li button:hover:not(:disabled) { background: var(--whisper-soft); }
  #members li button:disabled { cursor: default; }
  #members li button::before { content: ""; width: .5em; height: .5em; border-radius: 50%; background: var(--ok); flex: none; }
  #members .worker { margin-left: auto; color: var(--muted); font-size: .8em; }
  #members .you { color: var(--muted); font-size: .85em; }

  .conversation { display: flex; flex-direction: column; min-height: 0; }
  .conversation h2 { margin: 0; padding: .6em 1em; font-size: 1em; border-bottom: 1px solid var(--line); background: var(--panel); }
  #notice { margin: .6em 1em 0; padding: .5em .8em; border-radius: 6px; background: #fff8e6; border: 1px solid #f1dca6;
    font-size: .9em; }
  #notice.good { background: #eaf7ef; border-color: #b9e2c8; }
  #log { flex: 1; overflow-y: auto; margin: 0; padding: .6em 1em; list-style: none; }
  #log li { padding: .2em 0; display: flex; gap: .6em; align-items: baseline; }
  #log time { color: var(--muted); font-size: .78em; font-variant-numeric: tabular-nums; flex: none; width: 3.2em; }
  #log .body { display: flex; gap: .5em; flex-wrap: wrap; align-items: baseline; }
  #log .from { font-weight: 600; }
  #log li.mine .from { color: var(--accent); }
  #log li.system { color: var(--muted); font-size: .88em; }
  #log li.whisper { color: var(--whisper); }
  #log li.whisper .text { background: var(--whisper-soft); border-radius: 6px; padding: 0 .4em; }
  #log li.failed { color: var(--bad); font-size: .9em; }
  #say { display: flex; gap: .5em; align-items: center; padding: .7em 1em; background: var(--panel); border-top: 1px solid var(--line); }
  #say input { flex: 1; }
  #to { font-size: .85em; padding: .25em .6em; border-radius: 999px; background: var(--accent-soft); color: var(--accent); white-space: nowrap; }
  #to.whisper { background: var(--whisper-soft); color: var(--whisper); }
  #to button { background: none; border: 0; color: inherit; padding: 0 0 0 .3em; }
  #say-error { margin: 0 1em .5em; }
</style>
</head>
<body>
<header>
  <h1>micro<span>·</span>chat</h1>
  <span id="status" role="status">not connected</span>
  <button id="signout" class="quiet" hidden>sign out</button>
</header>

<main id="signin">
  <form id="login">
    <h2>Join the chat</h2>
    <label>Your name <input name="user" maxlength="32" required autocomplete="nickname" autofocus></label>
    <label>Room <input name="room" value="general" maxlength="32" required></label>
    <button>Connect</button>
    <p id="login-error" class="error" role="alert"></p>
    <p class="hint">Open a second window to chat across the service's two workers.</p>
  </form>
</main>

<main id="chat" hidden>
  <aside>
    <section>
      <h2>Rooms</h2>
      <ul id="rooms"></ul>
      <form id="join"><input name="room" placeholder="another room" maxlength="32" required><button>Join</button></form>
      <p id="join-error" class="error" role="alert"></p>
    </section>
    <section>
      <h2>Online in <span id="members-room">no room</span></h2>
      <ul id="members"></ul>
      <p class="hint">Click a name to whisper to them.</p>
    </section>
  </aside>
  <section class="conversation">
    <h2 id="room-title">No room</h2>
    <p id="notice" role="status" hidden></p>
    <ol id="log" aria-live="polite"></ol>
    <p id="say-error" class="error" role="alert"></p>
    <form id="say">
      <span id="to"></span>
      <input name="text" placeholder="Write a message" autocomplete="off" maxlength="1000">
      <button id="send">Send</button>
    </form>
  </section>
</main>

<script src="/socket.io/socket.io.js"></script>
<script>
  'use strict';
  const $ = (id) => document.getElementById(id);
  const SAVED = 'micro-chat';
  // What this tab knows; also kept in sessionStorage so that a reload comes back to it.
  const state = {
    socket: null,
    name: '',
    me: null, // { id, name, worker } from the last 'welcome'
    rooms: new Map(), // room -> Map(name -> { id, name, worker }): who is online there
    active: null, // the room shown
    whisperTo: null, // { id, name } while whispering
    joining: [], // rooms to join once connected
    previous: null, // { worker } of the session before a reconnection or reload
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function clock(at) {
    return new Date(at || Date.now()).toTimeString().slice(0, 5);
  }
  // One line of the conversation; 'room' lines show in that room only, the others everywhere.
  function line(kind, parts, room, at) {
    const li = el('li', kind);
    if (room) li.dataset.room = room;
    li.appendChild(el('time', '', clock(at)));
    const body = el('span', 'body');
    for (const [className, text] of parts) body.appendChild(el('span', className, text));
    li.appendChild(body);
    li.hidden = Boolean(room) && room !== state.active;
    $('log').appendChild(li);
    $('log').scrollTop = $('log').scrollHeight;
  }
  function system(text, room) {
    line('system', [['text', text]], room);
  }
  function notice(text, good) {
    $('notice').textContent = text;
    $('notice').className = good ? 'good' : '';
    $('notice').hidden = !text;
  }
  function status(kind, parts) {
    const node = $('status');
    node.className = kind;
    node.replaceChildren();
    for (const part of parts) node.appendChild(typeof part === 'string' ? document.createTextNode(part) : part);
  }
  function showOnline() {
    const transport = state.socket.io.engine ? state.socket.io.engine.transport.name : '?';
    status('online', [el('b', '', state.me.name), ' · worker ' + state.me.worker + ' · ' + transport]);
  }
  // An error answer is { error: { code, message } }: shown where the user acted.
  function failed(where, res) {
    if (res && res.error) {
      $(where).textContent = res.error.message + ' (' + res.error.code + ')';
      return true;
    }
    $(where).textContent = '';
    return false;
  }
  async function ask(where, event, ...args) {
    try {
      const res = await state.socket.timeout(10000).emitWithAck(event, ...args);
      return failed(where, res) ? null : res;
    } catch (err) {
      $(where).textContent = 'no answer from the server (' + err.message + ')';
      return null;
    }
  }

  function save() {
    if (!state.name) return; // signed out
    const socket = state.socket;
    sessionStorage.setItem(SAVED, JSON.stringify({
      name: state.name,
      rooms: [...state.rooms.keys()],
      active: state.active,
      worker: state.me ? state.me.worker : null,
      // socket.io-client 4.8 keeps connection state recovery's session id and last offset in
      // these two fields and asks the server to recover them when it reconnects; a reload would
      // lose them. They are written back before the reloaded page connects (see connect()).
      pid: socket && socket._pid,
      offset: socket && socket._lastOffset,
    }));
  }

  function renderRooms() {
    const list = $('rooms');
    list.replaceChildren();
    for (const room of state.rooms.keys()) {
      const li = el('li', room === state.active ? 'active' : '');
      const open = el('button', 'room', '# ' + room);
      open.type = 'button';
      open.onclick = () => show(room);
      const leave = el('button', 'leave', '×');
      leave.type = 'button';
      leave.title = 'leave ' + room;
      leave.onclick = () => leaveRoom(room);
      li.append(open, leave);
      list.appendChild(li);
    }
    const members = $('members');
    members.replaceChildren();
    $('members-room').textContent = state.active ? '#' + state.active : 'no room';
    $('room-title').textContent = state.active ? '# ' + state.active : 'Join a room to start';
    const present = state.active ? [...state.rooms.get(state.active).values()] : [];
    present.sort((a, b) => a.name.localeCompare(b.name));
    for (const who of present) {
      const mine = state.me && who.id === state.me.id;
      const button = el('button', '');
      button.type = 'button';
      button.append(el('span', 'name', who.name));
      if (mine) button.append(el('span', 'you', '(you)'));
      button.append(el('span', 'worker', 'worker ' + who.worker));
      button.disabled = mine;
      button.onclick = () => whisperTo(who);
      const li = el('li');
      li.dataset.name = who.name;
      li.appendChild(button);
      members.appendChild(li);
    }
    renderTo();
  }
  function renderTo() {
    const to = $('to');
    to.replaceChildren();
    to.className = state.whisperTo ? 'whisper' : '';
    if (state.whisperTo) {
      to.append('whisper to ' + state.whisperTo.name);
      const stop = el('button', '', '×');
      stop.id = 'to-room';
      stop.type = 'button';
      stop.title = 'back to the room';
      stop.onclick = () => whisperTo(null);
      to.append(stop);
    } else {
      to.append(state.active ? 'to #' + state.active : 'no room');
    }
  }
  function show(room) {
    state.active = room;
    for (const li of $('log').children) li.hidden = Boolean(li.dataset.room) && li.dataset.room !== room;
    renderRooms();
    save();
  }
  function whisperTo(who) {
    state.whisperTo = who ? { id: who.id, name: who.name } : null;
    renderTo();
    document.querySelector('#say input').focus();
  }
  // Names are listed once per room: a user whose worker died comes back with a new id, and
  // nobody was told that the old one left.
  function present(room, who) {
    const members = state.rooms.get(room);
    if (!members) return false;
    const known = members.has(who.name);
    members.set(who.name, { id: who.id, name: who.name, worker: who.worker });
    if (room === state.active) renderRooms();
    return !known;
  }

  async function joinRoom(room, quiet) {
    const res = await ask('join-error', 'join', room);
    if (!res) return false;
    if (!state.rooms.has(res.room)) state.rooms.set(res.room, new Map());
    present(res.room, state.me);
    if (!quiet) system('you joined #' + res.room + ' on worker ' + res.worker, res.room);
    show(res.room);
    return true;
  }
  async function leaveRoom(room) {
    if (!(await ask('join-error', 'leave', room))) return;
    state.rooms.delete(room);
    system('you left #' + room);
    show(state.rooms.keys().next().value || null);
  }

  function connect(name, saved) {
    state.name = name;
    const socket = io({ auth: { name }, autoConnect: false });
    state.socket = socket;
    if (saved && saved.pid) {
      socket._pid = saved.pid; // see save()
      socket._lastOffset = saved.offset;
    }
    socket.on('connect', () => {
      socket.io.engine.once('upgrade', () => state.me && showOnline());
    });
    socket.on('welcome', onWelcome);
    socket.on('connect_error', (err) => {
      if (!state.me) {
        $('login-error').textContent = err.message;
        status('refused', ['not connected']); // the reason shows under the form
        socket.disconnect();
        state.socket = null;
        return;
      }
      status('waiting', ['reconnecting: ' + err.message]);
    });
    socket.on('disconnect', (reason) => {
      if (!state.me) return;
      state.previous = { worker: state.me.worker };
      if (reason === 'io client disconnect') return;
      // The server ended this session on purpose (a flooding tab kicked, say): socket.io-client
      // does not reconnect after it, and neither does the page. A restart or a deploy closes the
      // connection instead ('transport close'), which socket.io-client reconnects after by itself.
      if (reason === 'io server disconnect') {
        status('refused', ['disconnected by the server']);
        notice('The server ended this session; reload the page to join again.', false);
        return;
      }
      status('waiting', ['reconnecting… (' + reason + ')']);
      notice('Connection to worker ' + state.me.worker + ' lost (' + reason + '); reconnecting.', false);
    });
    socket.on('message', (m) => {
      const mine = state.me && m.from === state.me.name;
      line(mine ? 'message mine' : 'message', [['from', m.from], ['text', m.text]], m.room, m.at);
    });
    socket.on('whisper', (m) => {
      line('whisper', [['from', m.from + ' → you'], ['text', m.text]]);
    });
    socket.on('joined', (m) => {
      if (present(m.room, m)) system(m.name + ' joined (worker ' + m.worker + ')', m.room);
      socket.emit('here', m.room, m.id); // so that the newcomer lists us too
    });
    socket.on('present', (m) => present(m.room, m));
    socket.on('left', (m) => {
      const members = state.rooms.get(m.room);
      if (!members || !members.has(m.name) || members.get(m.name).id !== m.id) return;
      members.delete(m.name);
      system(m.name + ' left', m.room);
      if (m.room === state.active) renderRooms();
    });
    socket.connect();
  }

  async function onWelcome(w) {
    const before = state.previous;
    state.me = { id: w.id, name: w.name, worker: w.worker };
    state.previous = null;
    $('signin').hidden = true;
    $('chat').hidden = false;
    $('signout').hidden = false;
    $('login-error').textContent = '';
    showOnline();
    // The member lists are rebuilt from the answers to our 'joined'.
    for (const members of state.rooms.values()) members.clear();
    const rooms = state.joining.length ? state.joining : [...state.rooms.keys()];
    state.joining = [];
    if (w.recovered) {
      for (const room of w.rooms) {
        if (!state.rooms.has(room)) state.rooms.set(room, new Map());
        present(room, state.me);
      }
      notice('Session recovered on worker ' + w.worker + ': you are still in ' + list(w.rooms) +
        ', and what was said meanwhile has been delivered.', true);
      show(state.active && state.rooms.has(state.active) ? state.active : w.rooms[0] || null);
      return;
    }
    state.rooms.clear();
    const active = state.active;
    for (const room of rooms) await joinRoom(room, Boolean(before));
    if (active && state.rooms.has(active)) show(active);
    if (!before) {
      notice('', false);
      return;
    }
    const why = before.worker === w.worker
      ? 'the previous session had expired'
      : 'your previous session was held by worker ' + before.worker + ', and only the worker holding a session can recover it';
    notice('New session on worker ' + w.worker + ' (' + why + '). ' +
      (rooms.length ? 'Rejoined ' + list(rooms) + '; messages sent while you were away were not delivered.' : ''), false);
    save();
  }
  function list(rooms) {
    return rooms.length ? rooms.map((room) => '#' + room).join(', ') : 'no room';
  }

  $('login').onsubmit = (e) => {
    e.preventDefault();
    const form = e.target;
    if (state.socket) return;
    state.joining = [form.room.value];
    status('waiting', ['connecting…']);
    connect(form.user.value, null);
  };
  $('join').onsubmit = async (e) => {
    e.preventDefault();
    if (await joinRoom(e.target.room.value)) e.target.room.value = '';
  };
  $('say').onsubmit = async (e) => {
    e.preventDefault();
    const input = e.target.text;
    const text = input.value;
    if (!text) return;
    if (state.whisperTo) {
      const to = state.whisperTo;
      if (await ask('say-error', 'whisper', to.id, text)) {
        line('whisper', [['from', 'you → ' + to.name], ['text', text]]);
        input.value = '';
      }
      return;
    }
    if (!state.active) return void ($('say-error').textContent = 'join a room first');
    if (await ask('say-error', 'say', state.active, text)) input.value = '';
  };
  $('signout').onclick = () => {
    state.name = '';
    sessionStorage.removeItem(SAVED);
    location.reload();
  };
  // Leaving or reloading: keep what is needed to come back (the connection itself closes and
  // the server keeps the session for its recovery window).
  addEventListener('pagehide', save);

  const saved = JSON.parse(sessionStorage.getItem(SAVED) || 'null');
  if (saved && saved.name) {
    state.previous = saved.worker ? { worker: saved.worker } : null;
    state.joining = saved.rooms || [];
    state.active = saved.active;
    for (const room of state.joining) state.rooms.set(room, new Map());
    status('waiting', ['reconnecting as ' + saved.name + '…']);
    connect(saved.name, saved);
  }
</script>
</body>
</html>
`;
