/**
 * The chat's browser page: plain HTML and script, using the socket.io client that socket.io
 * serves itself at /socket.io/socket.io.js. Text from other users is inserted with textContent,
 * never as HTML.
 */
export const CHAT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>micro-chat</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; }
  header, form { display: flex; gap: .5em; padding: .6em; background: #f3f3f3; align-items: center; }
  #log { flex: 1; overflow-y: auto; padding: .6em; margin: 0; list-style: none; }
  #log li { padding: .15em 0; }
  .meta { color: #777; font-size: 90%; }
  .whisper { color: #6a2c91; }
  input[name=text] { flex: 1; }
</style>
</head>
<body>
<header>
  <form id="login"><input name="user" placeholder="your name" maxlength="32" required><button>connect</button></form>
  <form id="room"><input name="room" placeholder="room" value="general" maxlength="32" required><button>join</button></form>
  <span id="status" class="meta">not connected</span>
</header>
<ul id="log"></ul>
<form id="say"><input name="text" placeholder="message, or /w <socket id> <text> to whisper" autocomplete="off"><button>send</button></form>
<script src="/socket.io/socket.io.js"></script>
<script>
  const log = document.getElementById('log');
  const status = document.getElementById('status');
  let socket;
  let room;
  function line(text, className) {
    const li = document.createElement('li');
    li.textContent = text;
    if (className) li.className = className;
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }
  function answer(res) {
    if (res && res.error) line('! ' + res.error.message, 'meta');
    return res;
  }
  document.getElementById('login').onsubmit = (e) => {
    e.preventDefault();
    if (socket) socket.disconnect();
    socket = io({ auth: { name: e.target.user.value } });
    socket.on('welcome', (w) => { status.textContent = w.name + ' (' + w.id + ') on worker ' + w.worker; });
    socket.on('connect_error', (err) => { status.textContent = 'refused: ' + err.message; });
    socket.on('disconnect', (reason) => { status.textContent = 'disconnected: ' + reason; });
    socket.on('message', (m) => line('[' + m.room + '] ' + m.from + ': ' + m.text));
    socket.on('whisper', (m) => line(m.from + ' (' + m.fromId + ') whispers: ' + m.text, 'whisper'));
    socket.on('joined', (m) => line(m.name + ' joined ' + m.room, 'meta'));
    socket.on('left', (m) => line(m.name + ' left ' + m.room, 'meta'));
  };
  document.getElementById('room').onsubmit = async (e) => {
    e.preventDefault();
    if (!socket) return line('! connect first', 'meta');
    const res = answer(await socket.emitWithAck('join', e.target.room.value));
    if (res && res.room) { room = res.room; line('you joined ' + room + ' (worker ' + res.worker + ')', 'meta'); }
  };
  document.getElementById('say').onsubmit = async (e) => {
    e.preventDefault();
    const text = e.target.text.value;
    if (!socket || !text) return;
    e.target.text.value = '';
    const whisper = /^\\/w\\s+(\\S+)\\s+(.+)$/.exec(text);
    if (whisper) answer(await socket.emitWithAck('whisper', whisper[1], whisper[2]));
    else answer(await socket.emitWithAck('say', room, text));
  };
</script>
</body>
</html>
`;
