// The same handlers written three ways: raw socket.io listeners, a class decorated for
// bindHandlers, and classes generated at run time (start-up and memory sections).
import { EVENT } from '@pestras/micro-socket-core';
import type { Server, Socket } from 'socket.io';
import { z } from 'zod';

/** The schema of the validated echo (`vecho`): the client's payload, `{ text, n }`. */
export const EchoPayload = z.object({ text: z.string(), n: z.number() });

/** What the server counts while a measurement window is open. */
export interface Counters {
  events: number;
}

export const ROOM = 'bench-room';

/** Raw socket.io: listeners written inline per connection, the way socket.io's docs show them. */
export function bindRaw(io: Server, counters: Counters): void {
  io.on('connection', (socket) => {
    socket.on('echo', (value: unknown, ack: (v: unknown) => void) => {
      counters.events++;
      ack(value);
    });
    // The same schema called by hand, the way a handler validates without a contract.
    socket.on('vecho', (value: unknown, ack: (v: unknown) => void) => {
      const parsed = EchoPayload.safeParse(value);
      if (!parsed.success) {
        ack({ error: { code: 'ERR_VALIDATION', message: parsed.error.message } });
        return;
      }
      counters.events++;
      ack(parsed.data);
    });
    socket.on('ff', (_value: unknown, ack?: (v: unknown) => void) => {
      counters.events++;
      if (typeof ack === 'function') ack(1);
    });
    socket.on('join', (room: string, ack: (v: unknown) => void) => {
      socket.join(room);
      ack(true);
    });
    socket.on('bcast', (value: unknown, ack: (v: unknown) => void) => {
      counters.events++;
      io.to(ROOM).emit('m', value);
      ack(1);
    });
  });
}

/** The same handlers as decorated methods; a returned value answers the ack. */
export class BenchHandlers {
  constructor(readonly counters: Counters) {}

  @EVENT('echo')
  echo(_io: Server, _socket: Socket, value: unknown) {
    this.counters.events++;
    return value;
  }

  @EVENT('vecho', { args: [EchoPayload] })
  vecho(_io: Server, _socket: Socket, value: z.output<typeof EchoPayload>) {
    this.counters.events++;
    return value;
  }

  @EVENT('ff')
  ff(_io: Server, _socket: Socket, _value: unknown) {
    this.counters.events++;
    return 1;
  }

  @EVENT('join')
  join(_io: Server, socket: Socket, room: string) {
    socket.join(room);
    return true;
  }

  @EVENT('bcast')
  bcast(io: Server, _socket: Socket, value: unknown) {
    this.counters.events++;
    io.to(ROOM).emit('m', value);
    return 1;
  }
}

function echoMethod(_io: unknown, _socket: unknown, value: unknown) {
  return value;
}

/**
 * A class with one decorated method per event name, built at run time exactly as `tsc` applies
 * legacy decorators: `EVENT(name)(prototype, key, descriptor)`.
 */
export function decoratedClass(className: string, events: readonly string[]): new () => object {
  const cls = { [className]: class {} }[className]!;
  events.forEach((event, i) => {
    const key = `on${i}`;
    Object.defineProperty(cls.prototype, key, { value: echoMethod, writable: true, configurable: true });
    EVENT(event)(cls.prototype, key, Object.getOwnPropertyDescriptor(cls.prototype, key));
  });
  return cls;
}

/** The 20 event names of the memory section's handler class. */
export const IDLE_EVENTS: readonly string[] = Array.from({ length: 20 }, (_, i) => `event${i}`);

/** Raw equivalent of `decoratedClass(…, IDLE_EVENTS)`: 20 inline listeners per connection. */
export function bindRawIdle(io: Server): void {
  io.on('connection', (socket) => {
    for (const event of IDLE_EVENTS) {
      socket.on(event, (value: unknown, ack?: (v: unknown) => void) => {
        if (typeof ack === 'function') ack(value);
      });
    }
  });
}
