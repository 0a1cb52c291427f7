// A chat with rooms on @pestras/micro 1.2.5 with two workers, usable from a browser: open
// http://localhost:3001 (PORT to change it). Each client stays on its worker (sticky sessions
// routed by the primary MicroSocket runs), and MicroSocket.publish carries room messages,
// presence and whispers to the clients of the other worker.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { Micro, SERVICE } from '@pestras/micro';
import {
  CONNECT,
  DISCONNECT,
  EVENT,
  HANDSHAKE,
  MicroSocket,
  RECONNECT,
  SocketError,
} from '@pestras/micro-socket';
import type { Server, Socket } from 'socket.io';
import { chatEvents, pushedEvents } from './events.js';
import { CHAT_PAGE } from './page.js';

const PORT = Number(process.env.PORT ?? 3001);
const NAME = /^[\p{L}\p{N} _.-]{1,32}$/u;

// The page and everything that is not socket.io. With workers, the primary owns the port and
// hands each request to a worker; this server only answers what it is handed.
const web = createServer((req, res) => {
  if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.end(CHAT_PAGE);
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
});

// The events' contracts as an AsyncAPI 3.0 document, at GET /asyncapi.json.
const asyncapi = {
  path: '/asyncapi.json',
  title: 'micro-chat',
  version: '1.0.0',
  emits: { default: pushedEvents },
};
Micro.plugin(new MicroSocket({ port: PORT, asyncapi }, web));

/** Who a socket is, as the page lists it: the id to whisper to, the name, the worker. */
function member(socket: Socket) {
  return { id: socket.id, name: socket.data.name as string, worker: cluster.worker?.id ?? 0 };
}

/** To every member of `room` but `socket`, on every worker. */
function toOthersIn(room: string, socket: Socket, event: 'joined' | 'left', data: object) {
  return MicroSocket.publish(
    { event, data: [{ room, ...data }], room, socketId: socket.id, broadcast: true },
    { includeSelf: true },
  );
}

function roomsOf(socket: Socket): Set<string> {
  socket.data.rooms ??= new Set<string>();
  return socket.data.rooms as Set<string>;
}

@SERVICE({ workers: 2 })
class Chat {
  @HANDSHAKE()
  login(_io: Server, socket: Socket, next: (err?: Error) => void) {
    const name = socket.handshake.auth?.name;
    if (typeof name !== 'string' || !NAME.test(name.trim())) {
      return next(new Error('a name is 1 to 32 letters, digits, spaces, _ . or -'));
    }
    socket.data.name = name.trim();
    next();
  }

  @CONNECT()
  welcome(_io: Server, socket: Socket) {
    socket.emit('welcome', { ...member(socket), recovered: false, rooms: [] });
  }

  // A session recovered within connection state recovery's window: same id, same rooms, and the
  // messages it missed were delivered. The page rebuilds its member lists from the answers to
  // 'joined'.
  @RECONNECT()
  async back(_io: Server, socket: Socket) {
    socket.emit('welcome', { ...member(socket), recovered: true, rooms: [...roomsOf(socket)] });
    for (const room of roomsOf(socket)) await toOthersIn(room, socket, 'joined', member(socket));
  }

  // Contracts validate the arguments (ERR_VALIDATION otherwise) before these methods run.
  @EVENT('join', chatEvents.join)
  async join(_io: Server, socket: Socket, name: string) {
    if (roomsOf(socket).size >= 10 && !roomsOf(socket).has(name)) {
      throw new SocketError('TOO_MANY_ROOMS', 'leave a room first (10 at most)');
    }
    await socket.join(name);
    roomsOf(socket).add(name);
    await toOthersIn(name, socket, 'joined', member(socket));
    return { room: name, worker: cluster.worker?.id ?? 0 };
  }

  @EVENT('leave', chatEvents.leave)
  async leave(_io: Server, socket: Socket, name: string) {
    if (!roomsOf(socket).delete(name)) throw new SocketError('NOT_IN_ROOM', `you are not in ${name}`);
    await socket.leave(name);
    await toOthersIn(name, socket, 'left', member(socket));
    return { room: name };
  }

  @EVENT('say', chatEvents.say)
  async say(_io: Server, socket: Socket, name: string, text: string) {
    if (!socket.rooms.has(name)) throw new SocketError('NOT_IN_ROOM', `join ${name} first`);
    const body = { room: name, from: socket.data.name, text, at: Date.now() };
    // the room on this worker (the sender included) and on the other worker, once each
    await MicroSocket.publish({ event: 'message', data: [body], room: name }, { includeSelf: true });
    return { delivered: true };
  }

  @EVENT('whisper', chatEvents.whisper)
  async whisper(_io: Server, socket: Socket, to: string, text: string) {
    const body = { from: socket.data.name, fromId: socket.id, text };
    // to that one socket, whichever worker it is connected to
    await MicroSocket.publish({ event: 'whisper', data: [body], socketId: to }, { includeSelf: true });
    return { sent: true };
  }

  // The answer of a member to 'joined': tells the newcomer `to` that this socket is in `room`,
  // so that every page lists who is online without a list kept across workers.
  @EVENT('here', chatEvents.here)
  async here(_io: Server, socket: Socket, room: string, to: string) {
    if (!socket.rooms.has(room)) throw new SocketError('NOT_IN_ROOM', `join ${room} first`);
    const present = { room, ...member(socket) };
    await MicroSocket.publish({ event: 'present', data: [present], socketId: to }, { includeSelf: true });
    return { sent: true };
  }

  @DISCONNECT()
  async gone(_io: Server, socket: Socket) {
    for (const room of roomsOf(socket)) {
      // shutting down: the other worker is going too
      await toOthersIn(room, socket, 'left', member(socket)).catch(() => {});
    }
  }
}

Micro.start(Chat).then(() => {
  if (cluster.isPrimary && PORT !== 0) console.log(`micro-chat: open http://localhost:${PORT}`);
});
