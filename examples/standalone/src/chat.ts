// The chat of the example: rooms, acks, and a token checked in HANDSHAKE.
import { CONNECT, DISCONNECT, EVENT, HANDSHAKE } from '@pestras/micro-socket-core';
import { SocketError } from '@pestras/micro-socket-server';
import type { Server, Socket } from 'socket.io';
import { chatEvents } from './events.js';

const TOKEN = process.env.CHAT_TOKEN ?? 'let-me-in';

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

  // Contracts validate the arguments (ERR_VALIDATION otherwise) before these methods run.
  @EVENT('join', chatEvents.join)
  async join(io: Server, socket: Socket, name: string) {
    await socket.join(name);
    socket.to(name).emit('joined', { room: name, name: socket.data.name });
    const members = (await io.in(name).fetchSockets()).length;
    return { room: name, members };
  }

  @EVENT('leave', chatEvents.leave)
  async leave(_io: Server, socket: Socket, name: string) {
    await socket.leave(name);
    socket.to(name).emit('left', { room: name, name: socket.data.name });
    return { room: name };
  }

  @EVENT('say', chatEvents.say)
  say(io: Server, socket: Socket, name: string, text: string) {
    if (!socket.rooms.has(name)) throw new SocketError('NOT_IN_ROOM', `join ${name} first`);
    io.to(name).emit('message', { room: name, from: socket.data.name, text });
    return { delivered: true };
  }

  @DISCONNECT()
  gone(io: Server, socket: Socket, reason: string) {
    io.emit('presence', { name: socket.data.name, online: false, reason });
  }
}
