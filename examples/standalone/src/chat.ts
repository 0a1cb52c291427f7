// The chat of the example: rooms, acks, and a token checked in HANDSHAKE.
import { CONNECT, DISCONNECT, EVENT, HANDSHAKE } from '@pestras/micro-socket-core';
import { SocketError } from '@pestras/micro-socket-server';
import type { Server, Socket } from 'socket.io';

const TOKEN = process.env.CHAT_TOKEN ?? 'let-me-in';
const ROOM_NAME = /^[\w-]{1,32}$/;

function roomName(room: unknown): string {
  if (typeof room !== 'string' || !ROOM_NAME.test(room)) {
    throw new SocketError('BAD_ROOM', 'a room name is 1 to 32 letters, digits, _ or -');
  }
  return room;
}

export class Chat {
  @HANDSHAKE()
  authenticate(_io: Server, socket: Socket, next: (err?: Error) => void) {
    const { token, name } = socket.handshake.auth ?? {};
    if (token !== TOKEN) return next(new Error('invalid token'));
    socket.data.name = typeof name === 'string' && name ? name.slice(0, 32) : 'anonymous';
    next();
  }

  @CONNECT()
  welcome(_io: Server, socket: Socket) {
    socket.emit('welcome', { id: socket.id, name: socket.data.name });
  }

  @EVENT('join')
  async join(io: Server, socket: Socket, room: unknown) {
    const name = roomName(room);
    await socket.join(name);
    socket.to(name).emit('joined', { room: name, name: socket.data.name });
    const members = (await io.in(name).fetchSockets()).length;
    return { room: name, members };
  }

  @EVENT('leave')
  async leave(_io: Server, socket: Socket, room: unknown) {
    const name = roomName(room);
    await socket.leave(name);
    socket.to(name).emit('left', { room: name, name: socket.data.name });
    return { room: name };
  }

  @EVENT('say')
  say(io: Server, socket: Socket, room: unknown, text: unknown) {
    const name = roomName(room);
    if (!socket.rooms.has(name)) throw new SocketError('NOT_IN_ROOM', `join ${name} first`);
    if (typeof text !== 'string' || text.length === 0 || text.length > 1000) {
      throw new SocketError('BAD_MESSAGE', 'a message is 1 to 1000 characters');
    }
    io.to(name).emit('message', { room: name, from: socket.data.name, text });
    return { delivered: true };
  }

  @DISCONNECT()
  gone(io: Server, socket: Socket, reason: string) {
    io.emit('presence', { name: socket.data.name, online: false, reason });
  }
}
