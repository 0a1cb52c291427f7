import { EVENT, type StandardSchemaV1 } from '@pestras/micro-socket-core';
import { client, connected, Resources, request, waitFor } from '@pestras/micro-socket-testing';
import { type } from 'arktype';
import type { Server, Socket } from 'socket.io';
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSocketServer } from '../test/helpers';
import { INTERNAL_ERROR } from './errors';
import { MAX_VALIDATION_ISSUES } from './validate';

const resources = new Resources();
afterEach(() => resources.stopAll());

/** The same schemas written with each library. */
interface Kit {
  number: StandardSchemaV1<unknown, number>;
  text: StandardSchemaV1<unknown, string>;
  maybeNumber: StandardSchemaV1<unknown, number | undefined>;
  /** `{ x: number, y: number }`, `y` defaulting to 0. */
  point: StandardSchemaV1<unknown, { x: number; y: number }>;
  /** A string checked asynchronously: 'taken' fails. */
  freeName: StandardSchemaV1<unknown, string>;
  sum: StandardSchemaV1<unknown, { sum: number }>;
  numbers: StandardSchemaV1<unknown, number[]>;
}

const isFree = async (name: string) => name !== 'taken';

const kits: Record<string, Kit> = {
  'zod 4': {
    number: z.number(),
    text: z.string().min(1),
    maybeNumber: z.number().optional(),
    point: z.object({ x: z.number(), y: z.number().default(0) }),
    freeName: z.string().refine(isFree, 'taken'),
    sum: z.object({ sum: z.number() }),
    numbers: z.array(z.number()),
  },
  'valibot 1': {
    number: v.number(),
    text: v.pipe(v.string(), v.minLength(1)),
    maybeNumber: v.optional(v.number()),
    point: v.object({ x: v.number(), y: v.optional(v.number(), 0) }),
    freeName: v.pipeAsync(v.string(), v.checkAsync(isFree, 'taken')),
    sum: v.object({ sum: v.number() }),
    numbers: v.array(v.number()),
  },
  'arktype 2': {
    number: type('number'),
    text: type('string > 0'),
    maybeNumber: type('number | undefined'),
    point: type({ x: 'number', y: 'number = 0' }),
    // arktype validates synchronously only: its schema behind an asynchronous Standard Schema.
    freeName: asyncSchema(type('string')),
    sum: type({ sum: 'number' }),
    numbers: type('number[]'),
  },
};

function asyncSchema<T>(inner: StandardSchemaV1<unknown, T>): StandardSchemaV1<unknown, T> {
  return {
    '~standard': {
      version: 1,
      vendor: inner['~standard'].vendor,
      validate: async (value) => {
        const result = await inner['~standard'].validate(value);
        if (result.issues || !(await isFree(result.value as string))) {
          return { issues: result.issues ?? [{ message: 'taken' }] };
        }
        return result;
      },
    },
  };
}

type Ack = ((answer: unknown) => void) | undefined;

function service(kit: Kit) {
  const calls: Array<[string, ...unknown[]]> = [];
  class Calc {
    @EVENT('add', { args: [kit.number, kit.number], ack: kit.sum })
    add(_io: Server, _socket: Socket, a: number, b: number, ack: Ack) {
      calls.push(['add', a, b, typeof ack]);
      return { sum: a + b };
    }

    @EVENT('place', { args: [kit.point] })
    place(_io: Server, _socket: Socket, point: { x: number; y: number }, ack: Ack) {
      calls.push(['place', point, typeof ack]);
      return point;
    }

    @EVENT('optional', { args: [kit.text, kit.maybeNumber] })
    optional(_io: Server, _socket: Socket, text: string, count: number | undefined, ack: Ack) {
      return [text, count ?? 'missing', typeof ack];
    }

    @EVENT('claim', { args: [kit.freeName] })
    async claim(_io: Server, _socket: Socket, name: string) {
      calls.push(['claim', name]);
      return { claimed: name };
    }

    @EVENT('total', { args: [kit.numbers] })
    total(_io: Server, _socket: Socket, numbers: number[]) {
      return numbers.length;
    }

    @EVENT('wrongAnswer', { args: [kit.number], ack: kit.sum })
    wrongAnswer(_io: Server, _socket: Socket, n: number) {
      return { sum: String(n) } as unknown as { sum: number };
    }

    @EVENT('wrongAck', { args: [kit.number], ack: kit.sum })
    wrongAck(_io: Server, _socket: Socket, n: number, ack: ((answer: { sum: number }) => void) | undefined) {
      setImmediate(() => ack?.({ sum: `${n}` } as unknown as { sum: number }));
    }

    @EVENT('ackOnly', { ack: kit.sum })
    ackOnly(_io: Server, _socket: Socket, ...rest: unknown[]) {
      return { sum: rest.length };
    }

    @EVENT('fire', { args: [kit.text] })
    fire(_io: Server, _socket: Socket, text: string, ack: Ack) {
      calls.push(['fire', text, typeof ack]);
    }

    @EVENT('plain')
    plain(_io: Server, _socket: Socket, first: unknown, second: unknown) {
      return [first, typeof second];
    }
  }
  return { calls, instance: new Calc() };
}

type Failure = {
  error: { code: string; message: string; issues?: Array<{ path: unknown[]; message: string }> };
};

for (const [library, kit] of Object.entries(kits)) {
  describe(`event contracts with ${library}, through a real socket.io-client`, () => {
    async function start() {
      const { calls, instance } = service(kit);
      const { url, logger, server } = await startSocketServer(resources, [instance]);
      const socket = await connected(client(resources, url));
      return { calls, logger, socket, server };
    }

    it('hands the handler exactly the schemas’ outputs, then the ack', async () => {
      const { calls, socket } = await start();
      expect(await request(socket, 'add', 2, 3)).toEqual({ sum: 5 });
      expect(await request(socket, 'place', { x: 1 })).toEqual({ x: 1, y: 0 });
      expect(calls).toEqual([
        ['add', 2, 3, 'function'],
        ['place', { x: 1, y: 0 }, 'function'],
      ]);
    });

    it('calls the handler in the same tick when every schema is synchronous, later when one is not', async () => {
      const { calls, socket, server } = await start();
      const serverSocket = server.io.sockets.sockets.get(socket.id as string) as Socket;
      const listener = (event: string) => serverSocket.listeners(event)[0] as (...args: unknown[]) => void;
      const answers: unknown[] = [];
      listener('add').call(serverSocket, 1, 2, (answer: unknown) => answers.push(answer));
      expect(calls).toEqual([['add', 1, 2, 'function']]);
      expect(answers).toEqual([{ sum: 3 }]);
      listener('claim').call(serverSocket, 'free', (answer: unknown) => answers.push(answer));
      expect(calls).toHaveLength(1);
      await waitFor('the asynchronous schema, then the handler', () => answers.length === 2);
      expect(answers[1]).toEqual({ claimed: 'free' });
    });

    it('gives a missing argument to its schema as undefined: optional schemas pass', async () => {
      const { socket } = await start();
      expect(await request(socket, 'optional', 'hi')).toEqual(['hi', 'missing', 'function']);
      expect(await request(socket, 'optional', 'hi', 4)).toEqual(['hi', 4, 'function']);
    });

    it('refuses a missing, a wrong or an extra argument with ERR_VALIDATION; the handler is not called', async () => {
      const { calls, socket, logger } = await start();
      const missing = await request<Failure>(socket, 'add', 2);
      expect(missing.error.code).toBe('ERR_VALIDATION');
      expect(missing.error.issues?.[0]?.path).toEqual([1]);
      expect(missing.error.message).toMatch(/^argument 1: [^\n]+$/);

      const wrong = await request<Failure>(socket, 'add', '2', 3);
      expect(wrong.error.issues?.map((i) => i.path)).toEqual([[0]]);

      const extra = await request<Failure>(socket, 'add', 2, 3, 4);
      expect(extra.error).toMatchObject({
        code: 'ERR_VALIDATION',
        message: 'argument 2: expected 2 arguments, got 3',
      });
      expect(extra.error.issues).toEqual([{ path: [2], message: 'expected 2 arguments, got 3' }]);

      const nested = await request<Failure>(socket, 'place', { x: 'a' });
      expect(nested.error.code).toBe('ERR_VALIDATION');
      expect(nested.error.issues?.[0]?.path).toEqual([0, 'x']);
      expect(nested.error.message).toMatch(/^argument 0 \(x\): /);

      expect(calls).toEqual([]);
      // a client's mistake is not a server error
      expect(logger.lines.filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([]);
      expect(logger.lines.filter((l) => l.level === 'debug')).toHaveLength(4);
    });

    it('caps the issues of one answer at MAX_VALIDATION_ISSUES', async () => {
      const { socket } = await start();
      const many = await request<Failure>(
        socket,
        'total',
        Array.from({ length: 1000 }, () => 'x'),
      );
      expect(many.error.code).toBe('ERR_VALIDATION');
      expect(many.error.issues?.length).toBe(MAX_VALIDATION_ISSUES);
      expect(many.error.issues?.[3]?.path).toEqual([0, 3]);
      expect(await request(socket, 'total', [1, 2, 3])).toBe(3);
    });

    it('awaits asynchronous schemas', async () => {
      const { calls, socket } = await start();
      expect(await request(socket, 'claim', 'free')).toEqual({ claimed: 'free' });
      const taken = await request<Failure>(socket, 'claim', 'taken');
      expect(taken.error).toMatchObject({ code: 'ERR_VALIDATION', message: 'argument 0: taken' });
      expect(calls).toEqual([['claim', 'free']]);
    });

    it('drops an invalid event sent without an ack, logged at debug only', async () => {
      const { calls, socket, logger } = await start();
      socket.emit('fire', 42);
      socket.emit('fire', 'after');
      await waitFor('the valid event sent after the invalid one', () => calls.length > 0);
      expect(calls).toEqual([['fire', 'after', 'undefined']]);
      expect(logger.lines.map((l) => l.level)).toEqual(['debug']);
      expect(logger.lines[0]?.message).toMatch(/EVENT 'fire' from \S+ refused: argument 0/);
    });

    it('checks the answer against the ack schema: a mismatch is logged as an error and the client gets ERR_INTERNAL', async () => {
      const { socket, logger } = await start();
      expect(await request(socket, 'wrongAnswer', 1)).toEqual(INTERNAL_ERROR);
      expect(await request(socket, 'wrongAck', 1)).toEqual(INTERNAL_ERROR);
      const errors = logger.lines.filter((l) => l.level === 'error');
      expect(errors.map((l) => l.message)).toEqual([
        "micro-socket: EVENT 'wrongAnswer' Calc.wrongAnswer answered a value its ack schema refuses",
        "micro-socket: EVENT 'wrongAck' Calc.wrongAck answered a value its ack schema refuses",
      ]);
      // an ack schema alone leaves the arguments as the client sent them, the ack last
      expect(await request(socket, 'ackOnly', 'a', 'b')).toEqual({ sum: 3 });
    });

    it('leaves events without a contract as they were: the ack lands where the client put it', async () => {
      const { socket } = await start();
      expect(await request(socket, 'plain', 'only')).toEqual(['only', 'function']);
    });
  });
}

describe('one contract per event', () => {
  it('refuses handlers of one event with different contracts: the one without would get the input the other refuses', async () => {
    const say = { args: [z.string().min(1)] } as const;
    class Chat {
      @EVENT('say', say)
      say(_io: Server, _socket: Socket, text: string) {
        return text;
      }
    }
    class Audit {
      readonly seen: unknown[] = [];
      @EVENT('say')
      log(_io: Server, _socket: Socket, text: unknown) {
        this.seen.push(text);
      }
    }
    await expect(startSocketServer(resources, [new Chat(), new Audit()])).rejects.toMatchObject({
      code: 'ERR_CONTRACT_CONFLICT',
      message: expect.stringMatching(/EVENT 'say' in namespace \/: Chat\.say and Audit\.log/),
    });

    // the same contract object on both: every handler gets only valid input
    class SharedAudit {
      readonly seen: unknown[] = [];
      @EVENT('say', say)
      log(_io: Server, _socket: Socket, text: unknown) {
        this.seen.push(text);
      }
    }
    const audit = new SharedAudit();
    const { url } = await startSocketServer(resources, [new Chat(), audit]);
    const socket = await connected(client(resources, url));
    expect(await request(socket, 'say', '')).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
    expect(await request(socket, 'say', 'hi')).toBe('hi');
    expect(audit.seen).toEqual(['hi']);
  });
});
