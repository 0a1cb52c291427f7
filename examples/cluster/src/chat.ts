// The handlers every worker binds: acks that say which worker answered, rooms, and events that
// reach the sockets of the other workers through the publish bus.
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

/** Where this worker is, told to every client that asks. */
export interface WorkerIdentity {
  readonly workerId: number;
  readonly pid: number;
}

/** Publishes on this worker's bus (a function: the bus needs the socket.io server the handlers are bound to). */
export type Publish = (message: SocketIOPublishMessage, options: PublishOptions) => Promise<void>;

export class ClusterChat {
  readonly #publishOnBus: Publish;
  readonly #identity: WorkerIdentity;

  constructor(publish: Publish, identity: WorkerIdentity) {
    this.#publishOnBus = publish;
    this.#identity = identity;
  }

  // The 'blog' namespace exists on every worker, so a message published to it reaches them all.
  @CONNECT(['blog'])
  blogReader(_ns: Namespace, socket: Socket) {
    socket.emit('hello', { ...this.#identity, socketId: socket.id });
  }

  @EVENT('whoami')
  whoami(_io: Server, socket: Socket) {
    return { ...this.#identity, socketId: socket.id, transport: socket.conn.transport.name };
  }

  /** A handler that takes `ms` (up to 5 s) to answer: what a graceful shutdown must wait for. */
  @EVENT('work')
  async work(_io: Server, _socket: Socket, ms: unknown) {
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > 5_000) {
      throw new SocketError('BAD_DURATION', 'work takes 0 to 5000 ms');
    }
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { done: ms, ...this.#identity };
  }

  @EVENT('join')
  async join(_io: Server, socket: Socket, room: unknown) {
    const name = roomName(room);
    await socket.join(name);
    return { room: name };
  }

  /** Says something to a room on every worker: emitted here, published to the others. */
  @EVENT('say')
  async say(io: Server, socket: Socket, room: unknown, text: unknown) {
    const name = roomName(room);
    if (!socket.rooms.has(name)) throw new SocketError('NOT_IN_ROOM', `join ${name} first`);
    if (typeof text !== 'string' || text.length === 0 || text.length > 1000) {
      throw new SocketError('BAD_MESSAGE', 'a message is 1 to 1000 characters');
    }
    const message = { room: name, from: socket.id, text, worker: this.#identity.workerId };
    io.to(name).emit('message', message);
    await this.#publish({ event: 'message', data: [message], room: name });
    return { delivered: true };
  }

  /**
   * Publishes any bus message (demonstration of every row of the bus's semantics; a real service
   * would not let clients choose the recipients).
   */
  @EVENT('publish')
  async publish(_io: Server, _socket: Socket, message: unknown, options?: unknown) {
    const includeSelf =
      typeof options === 'object' &&
      options !== null &&
      (options as { includeSelf?: unknown }).includeSelf === true;
    await this.#publish(message as SocketIOPublishMessage, includeSelf);
    return { published: true };
  }

  async #publish(message: SocketIOPublishMessage, includeSelf = false) {
    try {
      await this.#publishOnBus(message, { includeSelf });
    } catch (err) {
      if (err instanceof PublishError) throw new SocketError(err.code, err.message);
      throw err;
    }
  }
}
