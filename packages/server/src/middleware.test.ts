// One error rule for every middleware and handler, seen from a real socket.io-client.
import { EVENT, HANDSHAKE, USE, USESOCKET } from '@pestras/micro-socket-core';
import { client, connected, Resources, request } from '@pestras/micro-socket-testing';
import type { Server, Socket } from 'socket.io';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSocketServer } from '../test/helpers';
import { SocketError } from './errors';

const resources = new Resources();
afterEach(() => resources.stopAll());

type Next = (err?: Error) => void;

/** The connect_error a client receives: its message and `err.data`. */
async function refusal(url: string, auth: object): Promise<{ message: string; data: unknown }> {
  const err = (await connected(client(resources, url, { auth })).then(
    () => {
      throw new Error('the client was accepted');
    },
    (e: unknown) => e,
  )) as Error & { data?: unknown };
  return { message: err.message, data: err.data };
}

const SECRET = 'jwt secret missing at /etc/keys';

describe('HANDSHAKE and USE: one error rule', () => {
  class Gate {
    @HANDSHAKE() check(_io: Server, socket: Socket, next: Next) {
      switch (socket.handshake.auth.mode) {
        case 'next':
          return next(new Error('invalid token'));
        case 'next-socket-error':
          return next(new SocketError('TOKEN_EXPIRED', 'token expired'));
        case 'throw-socket-error':
          throw new SocketError('BANNED', 'banned until tomorrow');
        case 'reject-socket-error':
          return Promise.reject(new SocketError('BANNED', 'banned until tomorrow'));
        case 'throw':
          throw new Error(SECRET);
        case 'reject':
          return Promise.reject(new TypeError(SECRET));
        case 'throw-string':
          throw SECRET;
        default:
          next();
      }
    }
  }

  it('next(err) is an answer: its message reaches the client, as in socket.io', async () => {
    const { url, logger } = await startSocketServer(resources, [new Gate()]);
    expect(await refusal(url, { mode: 'next' })).toEqual({ message: 'invalid token', data: undefined });
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('a SocketError, passed, thrown or rejected, reaches the client with its message and code', async () => {
    const { url, logger } = await startSocketServer(resources, [new Gate()]);
    expect(await refusal(url, { mode: 'next-socket-error' })).toEqual({
      message: 'token expired',
      data: { code: 'TOKEN_EXPIRED' },
    });
    for (const mode of ['throw-socket-error', 'reject-socket-error']) {
      expect(await refusal(url, { mode })).toEqual({
        message: 'banned until tomorrow',
        data: { code: 'BANNED' },
      });
    }
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('anything else thrown or rejected is a fault: logged with its stack, the client learns nothing of it', async () => {
    const { url, logger } = await startSocketServer(resources, [new Gate()]);
    for (const mode of ['throw', 'reject', 'throw-string']) {
      expect(await refusal(url, { mode }), mode).toEqual({
        message: 'Internal server error',
        data: { code: 'ERR_MIDDLEWARE_FAILED' },
      });
    }
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.message)).toEqual(Array(3).fill('micro-socket: HANDSHAKE Gate.check failed'));
    expect((errors[0]!.meta[0] as Error).stack).toMatch(/jwt secret missing[\s\S]*middleware\.test\.ts/);
    // the server still accepts good clients
    await connected(client(resources, url, { auth: { mode: 'ok' } }));
  });

  it('a USE middleware follows the same rule on another namespace', async () => {
    class Members {
      @USE(['members']) member(_ns: unknown, socket: Socket, next: Next) {
        if (socket.handshake.auth.crash) throw new RangeError(SECRET);
        next(new SocketError('NOT_A_MEMBER', 'members only'));
      }
    }
    const { url } = await startSocketServer(resources, [new Members()]);
    expect(await refusal(`${url}/members`, {})).toEqual({
      message: 'members only',
      data: { code: 'NOT_A_MEMBER' },
    });
    expect(await refusal(`${url}/members`, { crash: true })).toEqual({
      message: 'Internal server error',
      data: { code: 'ERR_MIDDLEWARE_FAILED' },
    });
  });
});

describe('USESOCKET: the same rule, in the ack', () => {
  it('next(err) answers its message, a SocketError its code, anything thrown ERR_MIDDLEWARE_FAILED', async () => {
    class Guard {
      @USESOCKET() async guard(_io: Server, packet: unknown[], next: Next) {
        const mode = packet[1];
        if (mode === 'next') return next(new Error('forbidden'));
        if (mode === 'next-socket-error') return next(new SocketError('QUOTA', 'quota reached'));
        if (mode === 'throw-socket-error') throw new SocketError('QUOTA', 'quota reached');
        if (mode === 'throw') throw new Error(SECRET);
        next();
      }
      @EVENT('act') act() {
        return 'done';
      }
    }
    const { url, logger } = await startSocketServer(resources, [new Guard()]);
    const socket = await connected(client(resources, url));
    expect(await request(socket, 'act', 'next')).toEqual({
      error: { code: 'ERR_PACKET_REJECTED', message: 'forbidden' },
    });
    expect(await request(socket, 'act', 'next-socket-error')).toEqual({
      error: { code: 'QUOTA', message: 'quota reached' },
    });
    expect(await request(socket, 'act', 'throw-socket-error')).toEqual({
      error: { code: 'QUOTA', message: 'quota reached' },
    });
    expect(await request(socket, 'act', 'throw')).toEqual({
      error: { code: 'ERR_MIDDLEWARE_FAILED', message: 'Internal server error' },
    });
    expect(await request(socket, 'act', 'ok')).toBe('done');
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.message)).toEqual(['micro-socket: USESOCKET Guard.guard failed']);
    expect((errors[0]!.meta[0] as Error).message).toBe(SECRET);
  });
});

describe('EVENT: an unknown event with an ack', () => {
  it("is answered ERR_UNKNOWN_EVENT; an event the user's own listener takes is left alone", async () => {
    class Chat {
      @EVENT('say') say() {
        return 'said';
      }
    }
    const { url, server } = await startSocketServer(resources, [new Chat()]);
    server.io.on('connection', (socket) => {
      socket.on('own', (ack: (v: unknown) => void) => ack('mine'));
      // a listener added later counts from the moment it is there
      socket.on('enable', (ack: (v: unknown) => void) => {
        socket.on('later', (done: (v: unknown) => void) => done('later'));
        ack('enabled');
      });
    });
    const socket = await connected(client(resources, url));
    expect(await request(socket, 'missing', 1)).toEqual({
      error: { code: 'ERR_UNKNOWN_EVENT', message: "No handler for event 'missing'" },
    });
    // emitWithAck without a timeout would have waited forever
    expect(await socket.emitWithAck('later')).toEqual({
      error: { code: 'ERR_UNKNOWN_EVENT', message: "No handler for event 'later'" },
    });
    expect(await request(socket, 'own')).toBe('mine');
    expect(await request(socket, 'say')).toBe('said');
    expect(await request(socket, 'enable')).toBe('enabled');
    expect(await request(socket, 'later')).toBe('later');
    expect(await request(socket, 'x'.repeat(1000))).toEqual({
      error: { code: 'ERR_UNKNOWN_EVENT', message: `No handler for event '${'x'.repeat(100)}…'` },
    });
  });

  it('leaves the event to an onAny listener of the user, which may answer it', async () => {
    const { url, server } = await startSocketServer(resources, [
      new (class Chat {
        @EVENT('say') say() {}
      })(),
    ]);
    server.io.on('connection', (socket) => {
      socket.onAny((event: string, ...args: unknown[]) => {
        const ack = args[args.length - 1];
        if (event === 'routed' && typeof ack === 'function') ack('routed by onAny');
      });
    });
    const socket = await connected(client(resources, url));
    expect(await request(socket, 'routed')).toBe('routed by onAny');
  });
});

describe('the default logger', () => {
  it('says nothing at debug: a SocketError answered by a handler is not a fault', async () => {
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    resources.add(null, () => {
      debug.mockRestore();
      error.mockRestore();
    });
    class Blog {
      @EVENT('article') article() {
        throw new SocketError('NOT_FOUND', 'no such article');
      }
      @EVENT('crash') crash() {
        throw new Error('bug');
      }
    }
    const { url } = await startSocketServer(resources, [new Blog()], { logger: undefined });
    const socket = await connected(client(resources, url));
    expect(await request(socket, 'article')).toEqual({
      error: { code: 'NOT_FOUND', message: 'no such article' },
    });
    // a fault after it is still logged: the answer above had its chance to be logged first
    expect(await request(socket, 'crash')).toEqual({
      error: { code: 'ERR_INTERNAL', message: 'Internal server error' },
    });
    expect(error).toHaveBeenCalledWith("micro-socket: EVENT 'crash' Blog.crash failed", expect.any(Error));
    expect(debug).not.toHaveBeenCalled();
  });
});
