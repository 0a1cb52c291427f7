// Type tests, compiled by `pnpm typecheck` twice: with TC39 decorators (tsconfig.json) and with
// experimentalDecorators (tsconfig.legacy-decorators.json). Each `@ts-expect-error` must fail.
import { type } from 'arktype';
import type { Namespace, Server, Socket } from 'socket.io';
import { type Socket as ClientSocket, io } from 'socket.io-client';
import * as v from 'valibot';
import { z } from 'zod';
import {
  type AckFailure,
  type ClientToServerEvents,
  defineEvents,
  EVENT,
  type ServerToClientEvents,
} from './index';

const Point = z.object({ x: z.number(), y: z.number().default(0) });

export class Handlers {
  @EVENT('plain')
  plain(_io: Server, _socket: Socket, anything: number) {
    return anything;
  }

  @EVENT('add', { args: [z.number(), z.number()], ack: z.number() })
  add(_io: Server, _socket: Socket, a: number, b: number) {
    return a + b;
  }

  @EVENT('mixed', ['blog'], { args: [z.number(), v.string()], ack: type('number') })
  async mixed(_ns: Namespace, _socket: Socket, a: number, _b: string, ack?: (n: number) => void) {
    ack?.(a);
  }

  @EVENT('point', 'blog', { args: [Point] })
  point(_ns: Namespace, _socket: Socket, p: { x: number; y: number }) {
    return p.x + p.y;
  }

  @EVENT('fewer', { args: [z.string(), z.string()] })
  fewer(_io: Server, _socket: Socket) {}

  // @ts-expect-error the schema's output is a number, the parameter a string
  @EVENT('wrongParam', { args: [z.number()] })
  wrongParam(_io: Server, _socket: Socket, _a: string) {}

  // @ts-expect-error the answer does not fit the ack schema
  @EVENT('wrongReturn', { args: [z.number()], ack: z.number() })
  wrongReturn(_io: Server, _socket: Socket, _a: number) {
    return 'x';
  }

  // @ts-expect-error the asynchronous answer does not fit the ack schema
  @EVENT('wrongAsyncReturn', { args: [z.number()], ack: z.number() })
  async wrongAsyncReturn(_io: Server, _socket: Socket, _a: number) {
    return 'x';
  }

  // @ts-expect-error the ack may be undefined (the client asked for none) and takes a number
  @EVENT('wrongAck', { args: [z.number()], ack: z.number() })
  wrongAck(_io: Server, _socket: Socket, _a: number, _ack: (n: string) => void) {}

  // @ts-expect-error the handler receives the output ({ x: number, y: number }), not the input
  @EVENT('wrongObject', { args: [Point] })
  wrongObject(_io: Server, _socket: Socket, _p: { x: string }) {}

  // @ts-expect-error more data parameters than schemas: the ack would land in `_b`
  @EVENT('tooMany', { args: [z.number()] })
  tooMany(_io: Server, _socket: Socket, _a: number, _b: number, _c: number) {}
}

// Shared by the server (`@EVENT('join', chat.join)`) and a typed client.
const chat = defineEvents({
  join: { args: [z.string()], ack: z.object({ room: z.string(), members: z.number() }) },
  say: { args: [z.string(), v.pipe(v.string(), v.maxLength(10))] },
});
const pushed = defineEvents({ message: { args: [z.object({ text: z.string() })] } });

export class Chat {
  @EVENT('join', chat.join)
  join(_io: Server, _socket: Socket, room: string) {
    return { room, members: 1 };
  }

  // @ts-expect-error the contract's answer has `members`
  @EVENT('join', chat.join)
  joinWrong(_io: Server, _socket: Socket, room: string) {
    return { room };
  }
}

export async function typedClient(): Promise<void> {
  const socket: ClientSocket<ServerToClientEvents<typeof pushed>, ClientToServerEvents<typeof chat>> = io(
    'http://127.0.0.1:1',
    { autoConnect: false },
  );
  const res = await socket.emitWithAck('join', 'lobby');
  if ('error' in res) {
    const failure: AckFailure = res;
    failure.error.issues?.[0]?.path[0];
  } else {
    res.members.toFixed();
    // @ts-expect-error the ack schema has no such field
    res.nope;
  }
  socket.emit('join', 'lobby', (answer) => answer);
  // @ts-expect-error a room is a string
  socket.emit('join', 42, () => {});
  socket.emit('say', 'lobby', 'hi');
  // @ts-expect-error the text is a string
  socket.emit('say', 'lobby', 3);
  // @ts-expect-error no such event in the contracts
  socket.emit('nope');
  socket.on('message', (m) => m.text.toUpperCase());
  // @ts-expect-error the pushed message has no such field
  socket.on('message', (m) => m.nope);
}
