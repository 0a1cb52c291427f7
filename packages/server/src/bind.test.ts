import { CONNECT, DISCONNECT, EVENT, HANDSHAKE, RECONNECT, USE, USESOCKET } from '@pestras/micro-socket-core';
import { client, connected, nextEvent, Resources, request, waitFor } from '@pestras/micro-socket-testing';
import { type Namespace, type Server, type Socket, Server as SocketIOServer } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { rawSocket, startSocketServer } from '../test/helpers';
import { bindHandlers } from './bind';
import { SocketError } from './errors';

const resources = new Resources();
afterEach(() => resources.stopAll());

type Next = (err?: Error) => void;

describe('HANDSHAKE and USE', () => {
  it('run as namespace middlewares in declaration order; CONNECT runs only for accepted sockets', async () => {
    const calls: string[] = [];
    class Auth {
      @USE() first(_io: Server, socket: Socket, next: Next) {
        calls.push(`use:${socket.handshake.auth.token}`);
        next();
      }
      @HANDSHAKE() second(_io: Server, socket: Socket, next: Next) {
        calls.push(`handshake:${socket.handshake.auth.token}`);
        next(socket.handshake.auth.token === 'good' ? undefined : new Error('unauthorized'));
      }
      @CONNECT() connect(_io: Server, socket: Socket) {
        calls.push(`connect:${socket.handshake.auth.token}`);
      }
      @EVENT('ping') ping() {
        calls.push('ping');
        return 'pong';
      }
    }
    const { url } = await startSocketServer(resources, [new Auth()]);

    const bad = client(resources, url, { auth: { token: 'bad' } });
    await expect(connected(bad)).rejects.toThrow('unauthorized');
    expect(calls).toEqual(['use:bad', 'handshake:bad']);

    const good = await connected(client(resources, url, { auth: { token: 'good' } }));
    expect(await request(good, 'ping')).toBe('pong');
    expect(calls.slice(2)).toEqual(['use:good', 'handshake:good', 'connect:good', 'ping']);
  });

  it('refuse the socket on a throw or a rejection, without its message, and keep serving others', async () => {
    class Faulty {
      @HANDSHAKE() check(_io: Server, socket: Socket, next: Next) {
        const mode = socket.handshake.auth.mode;
        if (mode === 'throw') throw new Error('thrown in handshake');
        if (mode === 'reject') return Promise.reject(new Error('rejected in handshake'));
        next();
      }
    }
    const { url, logger } = await startSocketServer(resources, [new Faulty()]);
    // a fault, not an answer: the client learns nothing of it (middleware.test.ts has the rule)
    await expect(connected(client(resources, url, { auth: { mode: 'throw' } }))).rejects.toThrow(
      /^Internal server error$/,
    );
    await expect(connected(client(resources, url, { auth: { mode: 'reject' } }))).rejects.toThrow(
      /^Internal server error$/,
    );
    await connected(client(resources, url, { auth: { mode: 'ok' } }));
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(2);
  });

  it('apply per namespace: a blog middleware does not guard the main server', async () => {
    class Blog {
      @HANDSHAKE(['blog']) deny(_ns: Namespace, _socket: Socket, next: Next) {
        next(new Error('members only'));
      }
    }
    const { url } = await startSocketServer(resources, [new Blog()]);
    await connected(client(resources, url));
    await expect(connected(client(resources, `${url}/blog`))).rejects.toThrow('members only');
  });
});

describe('auth', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('auth: a HANDSHAKE or USE denial never runs CONNECT or any EVENT, even for events sent right behind the CONNECT packet', async () => {
    const calls: string[] = [];
    const answered: string[] = []; // the middlewares that called next, refused or not
    class Guarded {
      @HANDSHAKE() async token(_io: Server, socket: Socket, next: Next) {
        await sleep(20); // a token check that takes a while: the events arrive meanwhile
        answered.push('token');
        next(socket.handshake.auth.token === 'good' ? undefined : new Error('unauthorized'));
      }
      @USE(['members']) async member(_ns: Namespace, socket: Socket, next: Next) {
        await sleep(20);
        answered.push('member');
        next(socket.handshake.auth.member ? undefined : new Error('members only'));
      }
      @CONNECT(['default', 'members']) connect(_t: unknown, socket: Socket) {
        calls.push(`connect ${socket.nsp.name}`);
      }
      @EVENT('ping', ['default', 'members']) ping(_t: unknown, socket: Socket) {
        calls.push(`ping ${socket.nsp.name}`);
        return 'pong';
      }
    }
    const { url } = await startSocketServer(resources, [new Guarded()]);
    for (const [nsp, auth, error] of [
      ['', '{"token":"bad"}', 'unauthorized'],
      ['/members,', '{"member":false}', 'members only'],
    ] as const) {
      // CONNECT and events back to back, one websocket message each: socket.io closes a
      // connection that sends events to a namespace it has not joined yet
      const eager = await rawSocket(resources, url);
      eager.send(`40${nsp}${auth}`);
      for (let i = 0; i < 20; i++) eager.send(i % 2 ? `42${nsp}["ping"]` : `42${nsp}${i}["ping"]`);
      await eager.closed;
      // the refusal first, then events
      const late = await rawSocket(resources, url);
      late.send(`40${nsp}${auth}`);
      expect(await late.waitFor(/^44/)).toBe(`44${nsp}{"message":"${error}"}`);
      late.send(`42${nsp}1["ping"]`);
      await late.closed;
      expect([...eager.messages, ...late.messages].filter((m) => m.startsWith('43'))).toEqual([]);
    }
    // The middlewares still running for the closed connections (two per namespace) answer
    // before anything of them could run: wait for those answers, not for a fixed time.
    await waitFor('the four refusals answered', () => answered.length === 4);
    expect(answered.sort()).toEqual(['member', 'member', 'token', 'token']);
    expect(calls).toEqual([]);
    // The same server accepts good credentials (the test could have failed), and a CONNECT of a
    // refused connection, had socket.io run one a tick after its middleware, came before this one.
    const good = await connected(client(resources, `${url}/members`, { auth: { member: true } }));
    expect(await request(good, 'ping')).toBe('pong');
    expect(calls).toEqual(['connect /members', 'ping /members']);
  });

  it('auth: a middleware that never calls next is cut off after middlewareTimeout; the client gets connect_error and its events never run', async () => {
    const calls: string[] = [];
    class Stuck {
      @HANDSHAKE() never() {}
      @CONNECT() connect() {
        calls.push('connect');
      }
      @EVENT('ping') ping() {
        calls.push('ping');
      }
    }
    const { url, logger } = await startSocketServer(resources, [new Stuck()], { middlewareTimeout: 200 });
    await expect(connected(client(resources, url))).rejects.toThrow(/did not answer in time/);
    const raw = await rawSocket(resources, url);
    raw.send('40');
    expect(await raw.waitFor(/^44/)).toBe(
      '44{"message":"Connection refused: the server did not answer in time","data":{"code":"ERR_MIDDLEWARE_TIMEOUT"}}',
    );
    raw.send('421["ping"]');
    await raw.closed;
    expect(logger.lines.some((l) => l.level === 'warn' && /did not call next/.test(l.message))).toBe(true);
    expect(calls).toEqual([]);
  });
});

describe('CONNECT and RECONNECT', () => {
  it('CONNECT gets the server on the main namespace and the namespace elsewhere', async () => {
    const seen: Array<[unknown, string]> = [];
    class Hooks {
      @CONNECT(['default', 'blog']) connect(target: Server | Namespace, socket: Socket) {
        seen.push([target, socket.nsp.name]);
      }
    }
    const { url, server } = await startSocketServer(resources, [new Hooks()]);
    await connected(client(resources, url));
    await connected(client(resources, `${url}/blog`));
    await waitFor('two CONNECT calls', () => seen.length === 2);
    expect(seen).toContainEqual([server.io, '/']);
    expect(seen).toContainEqual([server.io.of('/blog'), '/blog']);
  });

  it('RECONNECT runs instead of CONNECT for a session restored by connection state recovery', async () => {
    const calls: string[] = [];
    class Hooks {
      @CONNECT() connect(_io: Server, socket: Socket) {
        calls.push('connect');
        socket.emit('welcome');
      }
      @RECONNECT() reconnect(_io: Server, socket: Socket) {
        calls.push(`reconnect:${socket.recovered}`);
      }
    }
    const { url } = await startSocketServer(resources, [new Hooks()]);
    const socket = client(resources, url, {
      reconnection: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 50,
    });
    const welcome = nextEvent(socket, 'welcome');
    await connected(socket);
    await welcome; // recovery restores only clients that received at least one event
    socket.io.engine.close();
    await waitFor('the restored session', () => calls.length === 2 && socket.connected);
    expect(socket.recovered).toBe(true);
    expect(calls).toEqual(['connect', 'reconnect:true']);
  });

  it('runs CONNECT again after a reconnect when recovery is turned off through serverOptions', async () => {
    const calls: string[] = [];
    class Hooks {
      @CONNECT() connect(_io: Server, socket: Socket) {
        calls.push('connect');
        socket.emit('welcome');
      }
      @RECONNECT() reconnect() {
        calls.push('reconnect');
      }
    }
    const { url } = await startSocketServer(resources, [new Hooks()], {
      serverOptions: { connectionStateRecovery: false },
    });
    const socket = client(resources, url, {
      reconnection: true,
      reconnectionDelay: 50,
      reconnectionDelayMax: 50,
    });
    const welcome = nextEvent(socket, 'welcome');
    await connected(socket);
    await welcome;
    socket.io.engine.close();
    await waitFor('a second session', () => calls.length === 2);
    expect(calls).toEqual(['connect', 'connect']);
  });
});

describe('USESOCKET', () => {
  it('sees every packet with (target, packet, next, socket); a refused packet never reaches EVENT', async () => {
    const seen: unknown[] = [];
    const handled: string[] = [];
    class Guard {
      @USESOCKET() guard(io: Server, packet: unknown[], next: Next, socket: Socket) {
        seen.push([io.constructor.name, packet[0], typeof next, socket.constructor.name]);
        if (packet[0] === 'secret') return next(new Error('forbidden'));
        if (packet[0] === 'crash') throw new TypeError('bug in guard');
        next();
      }
      @EVENT('secret') secret() {
        handled.push('secret');
        return 'leaked';
      }
      @EVENT('crash') crash() {
        handled.push('crash');
      }
      @EVENT('open') open() {
        handled.push('open');
        return 'ok';
      }
    }
    const { url } = await startSocketServer(resources, [new Guard()]);
    const socket = await connected(client(resources, url));
    expect(await request(socket, 'secret')).toEqual({
      error: { code: 'ERR_PACKET_REJECTED', message: 'forbidden' },
    });
    expect(await request(socket, 'crash')).toEqual({
      error: { code: 'ERR_MIDDLEWARE_FAILED', message: 'Internal server error' },
    });
    socket.emit('secret'); // without an ack: refused silently, and socket.io's `error` event must not throw
    expect(await request(socket, 'open')).toBe('ok');
    expect(handled).toEqual(['open']);
    expect(seen[0]).toEqual(['Server', 'secret', 'function', 'Socket']);
    expect(socket.connected).toBe(true);
  });

  // Guards against the mutation "only the first USESOCKET guard runs": the chain stopping after
  // one guard would let the second one (here the auth check) never run.
  it('runs every guard of a namespace, in declaration order; the second one can still refuse', async () => {
    const seen: string[] = [];
    const handled: string[] = [];
    class Guards {
      @USESOCKET() log(_io: Server, packet: unknown[], next: Next) {
        seen.push(`log:${packet[0]}`);
        next();
      }
      @USESOCKET() auth(_io: Server, packet: unknown[], next: Next) {
        seen.push(`auth:${packet[0]}`);
        next(packet[0] === 'admin' ? new SocketError('FORBIDDEN', 'admins only') : undefined);
      }
      @EVENT('admin') admin() {
        handled.push('admin');
        return 'leaked';
      }
      @EVENT('open') open() {
        handled.push('open');
        return 'ok';
      }
    }
    const { url } = await startSocketServer(resources, [new Guards()]);
    const socket = await connected(client(resources, url));
    expect(await request(socket, 'admin')).toEqual({ error: { code: 'FORBIDDEN', message: 'admins only' } });
    expect(await request(socket, 'open')).toBe('ok');
    expect(seen).toEqual(['log:admin', 'auth:admin', 'log:open', 'auth:open']);
    expect(handled).toEqual(['open']);
  });

  // Guards against the mutation "an async USESOCKET guard that rejects counts as allowed".
  it('counts a rejection of an async guard as a refusal: the packet never reaches EVENT', async () => {
    const handled: string[] = [];
    class AsyncGuard {
      @USESOCKET() async check(_io: Server, packet: unknown[], next: Next) {
        await new Promise((resolve) => setTimeout(resolve, 5)); // a lookup that takes a while
        if (packet[0] === 'answered') throw new SocketError('FORBIDDEN', 'not yours');
        if (packet[0] === 'fault') throw new Error('database down');
        next();
      }
      @EVENT('answered') answered() {
        handled.push('answered');
        return 'leaked';
      }
      @EVENT('fault') fault() {
        handled.push('fault');
        return 'leaked';
      }
      @EVENT('open') open() {
        handled.push('open');
        return 'ok';
      }
    }
    const { url } = await startSocketServer(resources, [new AsyncGuard()]);
    const socket = await connected(client(resources, url));
    expect(await request(socket, 'answered')).toEqual({ error: { code: 'FORBIDDEN', message: 'not yours' } });
    expect(await request(socket, 'fault')).toMatchObject({ error: { code: expect.any(String) } });
    expect(await request(socket, 'open')).toBe('ok');
    expect(handled).toEqual(['open']);
  });
});

describe('EVENT', () => {
  it('gets (target, socket, ...args, ack) and runs bound to its own instance', async () => {
    class Blog {
      readonly name = 'blog-service';
      @EVENT('newArticle', ['blog']) article(
        ns: Namespace,
        socket: Socket,
        title: string,
        tags: string[],
        ack: Function,
      ) {
        ack({ self: this.name, ns: ns.name, socket: socket.nsp.name, title, tags });
      }
    }
    const { url } = await startSocketServer(resources, [new Blog()]);
    const socket = await connected(client(resources, `${url}/blog`));
    expect(await request(socket, 'newArticle', 'Hello', ['a', 'b'])).toEqual({
      self: 'blog-service',
      ns: '/blog',
      socket: '/blog',
      title: 'Hello',
      tags: ['a', 'b'],
    });
  });

  it('answers the ack with the returned value or the resolved promise when the handler did not', async () => {
    class Answers {
      @EVENT('sync') sync(_io: Server, _s: Socket, n: number) {
        return n * 2;
      }
      @EVENT('async') async asyncAnswer(_io: Server, _s: Socket, n: number) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return n * 3;
      }
      @EVENT('explicit') explicit(_io: Server, _s: Socket, ack: (v: unknown) => void) {
        ack('from ack');
        return 'ignored';
      }
    }
    const { url } = await startSocketServer(resources, [new Answers()]);
    const socket = await connected(client(resources, url));
    expect(await request(socket, 'sync', 21)).toBe(42);
    expect(await request(socket, 'async', 5)).toBe(15);
    expect(await request(socket, 'explicit')).toBe('from ack');
  });

  it('logs a throwing or rejecting handler, answers its ack with a safe error, and keeps the process up', async () => {
    class Faulty {
      @EVENT('boom') boom() {
        throw new Error('secret internals at /srv/db.ts:42');
      }
      @EVENT('reject') async reject() {
        throw new Error('async internals');
      }
      @EVENT('notFound') notFound(_io: Server, _s: Socket, id: string) {
        throw new SocketError('NOT_FOUND', `no article ${id}`);
      }
      @EVENT('fire') fire() {
        throw new Error('no ack asked');
      }
      @EVENT('ok') ok() {
        return 'still fine';
      }
    }
    const { url, logger } = await startSocketServer(resources, [new Faulty()]);
    const socket = await connected(client(resources, url));
    const other = await connected(client(resources, url));
    const generic = { error: { code: 'ERR_INTERNAL', message: 'Internal server error' } };
    expect(await request(socket, 'boom')).toEqual(generic);
    expect(await request(socket, 'reject')).toEqual(generic);
    expect(await request(socket, 'notFound', 'x1')).toEqual({
      error: { code: 'NOT_FOUND', message: 'no article x1' },
    });
    socket.emit('fire');
    await waitFor('the fire-and-forget failure logged', () =>
      logger.lines.some((l) => l.level === 'error' && String(l.meta[0]).includes('no ack asked')),
    );
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      "micro-socket: EVENT 'boom' Faulty.boom failed",
      "micro-socket: EVENT 'reject' Faulty.reject failed",
      "micro-socket: EVENT 'fire' Faulty.fire failed",
    ]);
    expect(await request(socket, 'ok')).toBe('still fine');
    expect(await request(other, 'ok')).toBe('still fine');
  });

  it('answers ERR_INTERNAL when socket.io cannot encode the answer (nesting too deep), with no unhandled rejection', async () => {
    const deep = () => {
      let value: unknown[] = [];
      for (let i = 0; i < 100_000; i++) value = [value];
      return value;
    };
    class Deep {
      @EVENT('sync') sync() {
        return deep();
      }
      @EVENT('async') async later() {
        return deep();
      }
    }
    const { url, logger } = await startSocketServer(resources, [new Deep()]);
    const socket = await connected(client(resources, url));
    const internal = { error: { code: 'ERR_INTERNAL', message: 'Internal server error' } };
    expect(await request(socket, 'sync')).toEqual(internal);
    expect(await request(socket, 'async')).toEqual(internal);
    expect(logger.lines.filter((l) => /could not send its ack/.test(l.message))).toHaveLength(2);
  });

  it('treats prototype keys as plain event names: __proto__, constructor and toString call nothing', async () => {
    const calls: string[] = [];
    class Proto {
      @EVENT('toString') named() {
        calls.push('toString handler');
        return 'declared';
      }
      @EVENT('ping') ping() {
        return 'pong';
      }
    }
    const { url, logger } = await startSocketServer(resources, [new Proto()]);
    const socket = await connected(client(resources, url));
    socket.emit('__proto__', { polluted: true });
    socket.emit('constructor', 'x');
    socket.emit('hasOwnProperty', 'x');
    expect(await request(socket, 'toString')).toBe('declared');
    expect(await request(socket, 'ping')).toBe('pong');
    expect(calls).toEqual(['toString handler']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('survives a malformed socket.io frame: only the sender is dropped', async () => {
    class Echo {
      @EVENT('echo') echo(_io: Server, _s: Socket, v: unknown) {
        return v;
      }
    }
    const { url } = await startSocketServer(resources, [new Echo()]);
    const hostile = await connected(client(resources, url));
    const other = await connected(client(resources, url));
    const dropped = nextEvent(hostile, 'disconnect');
    // An engine.io message whose socket.io payload is not valid JSON.
    (hostile.io.engine as unknown as { write(data: string): void }).write('42["echo",{bad json');
    await dropped;
    expect(await request(other, 'echo', 'still here')).toBe('still here');
  });
});

describe('DISCONNECT and options', () => {
  it('DISCONNECT gets (target, socket, reason)', async () => {
    const seen: unknown[] = [];
    class Presence {
      @DISCONNECT(['blog']) gone(ns: Namespace, socket: Socket, reason: string) {
        seen.push([ns.name, typeof socket.id, reason]);
      }
    }
    const { url } = await startSocketServer(resources, [new Presence()]);
    const socket = await connected(client(resources, `${url}/blog`));
    socket.disconnect();
    await waitFor('DISCONNECT', () => seen.length === 1);
    expect(seen).toEqual([['/blog', 'string', 'client namespace disconnect']]);
  });

  it('applies maxListeners to the server and every bound namespace', async () => {
    class Many {
      @CONNECT(['default', 'blog', 'news']) c() {}
    }
    const { server } = await startSocketServer(resources, [new Many()], { maxListeners: 42 });
    expect(server.io.getMaxListeners()).toBe(42);
    for (const ns of ['/', '/blog', '/news']) expect(server.io.of(ns).getMaxListeners()).toBe(42);
  });
});

describe('bindHandlers', () => {
  it('refuses a second binding on the same server: every packet would otherwise pass two gates and run twice', () => {
    // Servers never attached: no engine, nothing to close (socket.io's close() would throw).
    const io = new SocketIOServer();
    bindHandlers(io, []);
    expect(() => bindHandlers(io, [])).toThrow(expect.objectContaining({ code: 'ERR_ALREADY_BOUND' }));
    // another server is not affected
    expect(() => bindHandlers(new SocketIOServer(), [])).not.toThrow();
  });
});
