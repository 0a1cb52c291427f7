// The handlers both processes bind. Each one publishes through the bus, so a client connected to
// either process reaches the sockets of both; each matches one row of the bus's semantics table.
import { CONNECT, EVENT } from '@pestras/micro-socket-core';
import {
  PublishError,
  type PublishOptions,
  type SocketIOPublishMessage,
} from '@pestras/micro-socket-publish';
import { SocketError } from '@pestras/micro-socket-server';
import type { Namespace, Server, Socket } from 'socket.io';

const ROOM_NAME = /^[\w-]{1,32}$/;

function roomName(room: unknown): string {
  if (typeof room !== 'string' || !ROOM_NAME.test(room)) {
    throw new SocketError('BAD_ROOM', 'a room name is 1 to 32 letters, digits, _ or -');
  }
  return room;
}

function text(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 500) {
    throw new SocketError('BAD_TEXT', 'a text is 1 to 500 characters');
  }
  return value;
}

/** Publishes on this process's bus (a function: the bus is created once socket.io exists). */
export type Publish = (message: SocketIOPublishMessage, options?: PublishOptions) => Promise<void>;

export class Newsroom {
  readonly #process: string;
  readonly #publishOnBus: Publish;

  constructor(processName: string, publish: Publish) {
    this.#process = processName;
    this.#publishOnBus = publish;
  }

  @CONNECT(['default', 'blog'])
  hello(_ns: Namespace, socket: Socket) {
    socket.emit('hello', { process: this.#process, socketId: socket.id });
  }

  @EVENT('join')
  async join(_io: Server, socket: Socket, room: unknown) {
    const name = roomName(room);
    await socket.join(name);
    return { room: name };
  }

  /** Everyone, everywhere: emitted here first, then published to the other processes (the default). */
  @EVENT('announce')
  async announce(io: Server, socket: Socket, value: unknown) {
    const news = { from: socket.id, process: this.#process, text: text(value) };
    io.local.emit('announcement', news);
    await this.#publish({ event: 'announcement', data: [news] });
    return { ok: true };
  }

  /** The sockets in one room, on every process (includeSelf: this process too). */
  @EVENT('say')
  async say(_io: Server, socket: Socket, room: unknown, value: unknown) {
    const name = roomName(room);
    const message = { room: name, from: socket.id, process: this.#process, text: text(value) };
    await this.#publish({ event: 'message', data: [message], room: name }, { includeSelf: true });
    return { ok: true };
  }

  /** One socket, on whichever process it is connected. */
  @EVENT('whisper')
  async whisper(_io: Server, socket: Socket, to: unknown, value: unknown) {
    if (typeof to !== 'string' || to.length === 0)
      throw new SocketError('BAD_SOCKET_ID', 'whisper to a socket id');
    const message = { from: socket.id, process: this.#process, text: text(value) };
    await this.#publish({ event: 'whisper', data: [message], socketId: to }, { includeSelf: true });
    return { ok: true };
  }

  /** Everyone but the sender: in the namespace, or in a room when one is given. */
  @EVENT('shout')
  async shout(_io: Server, socket: Socket, value: unknown, room?: unknown) {
    const message = { from: socket.id, process: this.#process, text: text(value) };
    await this.#publish(
      {
        event: 'shout',
        data: [message],
        socketId: socket.id,
        broadcast: true,
        // Without a room, the client's ack callback comes in its place.
        ...(room === undefined || room === null || typeof room === 'function'
          ? {}
          : { room: roomName(room) }),
      },
      { includeSelf: true },
    );
    return { ok: true };
  }

  /** The readers of the blog namespace, on every process. */
  @EVENT('post', ['blog'])
  async post(_ns: Namespace, socket: Socket, value: unknown) {
    const article = { from: socket.id, process: this.#process, text: text(value) };
    await this.#publish({ event: 'article', data: [article], namespace: 'blog' }, { includeSelf: true });
    return { ok: true };
  }

  async #publish(message: SocketIOPublishMessage, options?: PublishOptions): Promise<void> {
    try {
      await this.#publishOnBus(message, options);
    } catch (err) {
      // The client learns why (e.g. ERR_TRANSPORT while Redis is away); nothing else breaks.
      if (err instanceof PublishError) throw new SocketError(err.code, err.message);
      throw err;
    }
  }
}
