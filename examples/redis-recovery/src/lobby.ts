// The handlers every host binds. Rooms are joined by an event handler (socket.join), so after a
// failover they come back only if connection state recovery restored the session.
import { CONNECT, DISCONNECT, defineEvents, EVENT, RECONNECT } from '@pestras/micro-socket-core';
import type { Server, Socket } from 'socket.io';
import { z } from 'zod';

const Room = z.string().regex(/^[\w-]{1,32}$/, 'a room name is 1 to 32 letters, digits, _ or -');

/** What clients send; an invalid argument is answered ERR_VALIDATION and runs nothing. */
export const lobbyEvents = defineEvents({
  join: { args: [Room], ack: z.object({ room: z.string(), host: z.string() }) },
  say: { args: [Room, z.string().min(1).max(500)], ack: z.object({ ok: z.boolean() }) },
});

/** What the hosts send (declared for the AsyncAPI document at /asyncapi.json). */
export const pushedEvents = defineEvents({
  hello: { args: [z.object({ host: z.string(), socketId: z.string() })] },
  'welcome back': {
    args: [z.object({ host: z.string(), socketId: z.string(), rooms: z.array(z.string()) })],
  },
  message: {
    args: [z.object({ room: z.string(), from: z.string(), host: z.string(), text: z.string() })],
  },
});

export class Lobby {
  readonly #host: string;

  constructor(hostName: string) {
    this.#host = hostName;
  }

  /** A new session: nothing to restore. */
  @CONNECT()
  hello(_io: Server, socket: Socket) {
    socket.emit('hello', { host: this.#host, socketId: socket.id });
  }

  /** A session restored by connection state recovery, possibly one another host held. */
  @RECONNECT()
  welcomeBack(_io: Server, socket: Socket) {
    // the rooms the session had, without the one socket.io gives every socket (its id)
    const rooms = [...socket.rooms].filter((room) => room !== socket.id);
    socket.emit('welcome back', { host: this.#host, socketId: socket.id, rooms });
  }

  @DISCONNECT()
  bye(_io: Server, socket: Socket, reason: string) {
    // The test waits for this line: socket.io has handed the session to the adapter by then.
    console.log(`${this.#host}: ${socket.id} disconnected (${reason})`);
  }

  @EVENT('join', lobbyEvents.join)
  async join(_io: Server, socket: Socket, room: string) {
    await socket.join(room);
    return { room, host: this.#host };
  }

  /** Everyone in the room, on every host: the adapter carries the broadcast. */
  @EVENT('say', lobbyEvents.say)
  say(io: Server, socket: Socket, room: string, text: string) {
    io.to(room).emit('message', { room, from: socket.id, host: this.#host, text });
    return { ok: true };
  }
}
