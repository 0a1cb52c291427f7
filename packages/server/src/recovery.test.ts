import { CONNECT, DISCONNECT, EVENT, RECONNECT } from '@pestras/micro-socket-core';
import { client, connected, nextEvent, Resources, request, waitFor } from '@pestras/micro-socket-testing';
import type { Server, Socket } from 'socket.io';
import { SessionAwareAdapter } from 'socket.io-adapter';
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { heapAfterGc, MB, mb, startSocketServer } from '../test/helpers';
import { DEFAULT_RECOVERY_LIMITS, type RecoveryLimits } from './recovery';
import type { SocketIOOptions } from './server';

const resources = new Resources();
afterEach(() => resources.stopAll());

class Room {
  readonly calls: string[] = [];
  #gone: Array<() => void> = [];

  @CONNECT()
  connect(_io: Server, socket: Socket) {
    this.calls.push('connect');
    socket.join('room');
    socket.emit('hello', 'welcome');
  }

  @RECONNECT()
  reconnect() {
    this.calls.push('reconnect');
  }

  @DISCONNECT()
  disconnect() {
    for (const wake of this.#gone.splice(0)) wake();
  }

  @EVENT('ping')
  ping() {
    return 'pong';
  }

  nextDisconnect(): Promise<void> {
    return new Promise((resolve) => this.#gone.push(resolve));
  }
}

/**
 * A client that received `hello`, drops its transport, misses `missed` while away, and comes
 * back by itself. Resolves with whether socket.io restored it and what it received after coming back.
 */
async function dropAndReturn(options: SocketIOOptions, missed: unknown[], clients = 1) {
  const room = new Room();
  const { server, url } = await startSocketServer(resources, [room], options);
  const sockets = await Promise.all(
    Array.from({ length: clients }, async () => {
      const socket = client(resources, url, {
        reconnection: true,
        reconnectionDelay: 300,
        transports: ['websocket'],
      });
      const hello = nextEvent(socket, 'hello');
      await connected(socket);
      await hello;
      return socket;
    }),
  );
  const received = sockets.map((socket) => {
    const values: unknown[] = [];
    socket.on('news', (value: unknown) => values.push(value));
    return values;
  });
  for (const socket of sockets) {
    const gone = room.nextDisconnect();
    socket.io.engine.close();
    await gone;
  }
  for (const value of missed) server.io.to('room').emit('news', value);
  await Promise.all(
    sockets.map((socket) => waitFor('reconnected', () => socket.connected, { timeout: 10_000 })),
  );
  // a round trip each, so that what the server sent on reconnection has arrived
  for (const socket of sockets) expect(await socket.timeout(5_000).emitWithAck('ping')).toBe('pong');
  return { room, recovered: sockets.map((s) => s.recovered), received };
}

describe('connection state recovery within bounds', () => {
  it('recovery: RECONNECT still fires for a client that drops and comes back within the window, under the default bounds', async () => {
    const { room, recovered, received } = await dropAndReturn({}, [1, 2, 3]);
    expect(recovered).toEqual([true]);
    expect(room.calls).toEqual(['connect', 'reconnect']);
    // the offset socket.io appends travels as the listener's last argument; the first is ours
    expect(received[0]).toEqual([1, 2, 3]);
  });

  it('recovery: a client whose missed packets were evicted (maxPackets) gets CONNECT, not RECONNECT', async () => {
    const { room, recovered } = await dropAndReturn(
      { recoveryLimits: { maxPackets: 5 } },
      [1, 2, 3, 4, 5, 6],
    );
    expect(recovered).toEqual([false]);
    expect(room.calls).toEqual(['connect', 'connect']);
  });

  it('recovery: maxBytes evicts the oldest packets too; within it, the session is restored', async () => {
    const big = 'x'.repeat(1_000);
    const over = await dropAndReturn({ recoveryLimits: { maxBytes: 2_500 } }, [big, big, big]);
    expect(over.recovered).toEqual([false]);
    const within = await dropAndReturn({ recoveryLimits: { maxBytes: 5_000 } }, [big, big, big]);
    expect(within.recovered).toEqual([true]);
    expect(within.received[0]).toEqual([big, big, big]);
  });

  it('recovery: past maxSessions the oldest sessions go; a session restores once', async () => {
    const { room, recovered } = await dropAndReturn({ recoveryLimits: { maxSessions: 1 } }, ['a'], 2);
    expect(recovered).toEqual([false, true]);
    expect(room.calls.filter((c) => c === 'reconnect')).toHaveLength(1);
  });

  it('recovery: a flood of broadcasts leaves the heap within the documented bound of the default limits', async () => {
    const room = new Room();
    const { server, url } = await startSocketServer(resources, [room]);
    const listener = await connected(client(resources, url, { transports: ['websocket'] }));
    let news = 0;
    listener.on('news', () => news++);
    const before = await heapAfterGc();
    const limits: RecoveryLimits = DEFAULT_RECOVERY_LIMITS;
    // 5x the packets the log may keep, small ones; then 5x the bytes in 8 KB ones
    const small = limits.maxPackets * 5;
    for (let i = 0; i < small; i++) server.io.to('room').emit('news', i, 'tiny');
    await waitFor('small news', () => news === small, { timeout: 30_000 });
    const afterSmall = await heapAfterGc();
    const chunkSize = 8 * 1024;
    const large = Math.ceil((limits.maxBytes * 5) / chunkSize);
    for (let i = 0; i < large; i++) {
      // a string of its own each time: one shared string would be kept once
      server.io.to('room').emit('news', i, String.fromCharCode(97 + (i % 26)).repeat(chunkSize));
      if (i % 500 === 0) await waitFor('large news', () => news === small + i + 1, { timeout: 30_000 });
    }
    await waitFor('large news', () => news === small + large, { timeout: 30_000 });
    const afterLarge = await heapAfterGc();
    console.log(
      `[recovery bound] heap ${mb(before)} → ${mb(afterSmall)} after ${small} small broadcasts → ${mb(afterLarge)} after ${large} × 8 KB (limits: ${limits.maxPackets} packets, ${mb(limits.maxBytes)})`,
    );
    expect(afterSmall - before).toBeLessThan(30 * MB);
    expect(afterLarge - before).toBeLessThan(30 * MB);
  });
});

/**
 * A service whose clients receive no event unless a test broadcasts one: CONNECT joins `room`
 * and sends nothing, so socket.io-client has no recovery offset to send back. On `/` and `/blog`;
 * `calls` names the namespace when it is not `/`.
 */
class Quiet {
  readonly calls: string[] = [];
  /** `socket.handshake.auth` of each restored socket, as RECONNECT saw it. */
  readonly restoredAuth: unknown[] = [];
  disconnects = 0;
  #gone: Array<() => void> = [];

  @CONNECT(['default', 'blog'])
  connect(_io: unknown, socket: Socket) {
    this.#record('connect', socket);
    socket.join('room');
  }

  @RECONNECT(['default', 'blog'])
  reconnect(_io: unknown, socket: Socket) {
    this.#record('reconnect', socket);
    this.restoredAuth.push(socket.handshake.auth);
  }

  @DISCONNECT(['default', 'blog'])
  disconnect() {
    this.disconnects++;
    for (const wake of this.#gone.splice(0)) wake();
  }

  #record(call: string, socket: Socket) {
    this.calls.push(socket.nsp.name === '/' ? call : `${call} ${socket.nsp.name}`);
  }

  @EVENT('join')
  join(_io: Server, socket: Socket, room: string) {
    socket.join(room);
    return true;
  }

  @EVENT('rooms', ['default', 'blog'])
  rooms(_io: unknown, socket: Socket) {
    return [...socket.rooms].filter((room) => room !== socket.id).sort();
  }

  nextDisconnect(): Promise<void> {
    return new Promise((resolve) => this.#gone.push(resolve));
  }
}

/** socket.io-client's own record of what recovery needs (private fields of its Socket). */
function recoveryState(socket: ClientSocket): { pid?: string; offset?: string } {
  const internals = socket as unknown as { _pid?: string; _lastOffset?: string };
  return { pid: internals._pid, offset: internals._lastOffset };
}

async function quietServer(options: SocketIOOptions = {}) {
  const quiet = new Quiet();
  const { server, url } = await startSocketServer(resources, [quiet], options);
  return { quiet, io: server.io, url };
}

/** A client that comes back by itself after a drop, recording the first argument of each `news`. */
async function quietClient(url: string, options: Parameters<typeof client>[2] = {}) {
  const socket = client(resources, url, {
    reconnection: true,
    reconnectionDelay: 300,
    transports: ['websocket'],
    ...options,
  });
  const news: unknown[] = [];
  socket.on('news', (value: unknown) => news.push(value));
  await connected(socket);
  return { socket, news };
}

/**
 * What the network loses: from now on, while `losing`, the client's decoder never sees the frames
 * of `news` events (counted in `lost`); everything else passes.
 */
function loseNews(socket: ClientSocket): { losing: boolean; lost: number } {
  const network = { losing: true, lost: 0 };
  const decoder = (socket.io as unknown as { decoder: { add(data: unknown): void } }).decoder;
  const add = decoder.add.bind(decoder);
  decoder.add = (data) => {
    if (network.losing && typeof data === 'string' && data.startsWith('2["news"')) network.lost++;
    else add(data);
  };
  return network;
}

/** Drops the client's transport and waits until the server saw the disconnection. */
async function drop(quiet: Quiet, socket: ClientSocket): Promise<void> {
  const gone = quiet.nextDisconnect();
  socket.io.engine.close();
  await gone;
}

/** Waits for the client to be back, then for a round trip (what came on reconnection has arrived). */
async function back(socket: ClientSocket): Promise<void> {
  await waitFor('reconnected', () => socket.connected, { timeout: 10_000 });
  expect(await request(socket, 'rooms')).toBeDefined();
}

/**
 * Drops the client's transport, runs `whileAway` once the server saw it go, and resolves with
 * whether socket.io-client was restored when it came back by itself.
 */
async function awayWhile(quiet: Quiet, socket: ClientSocket, whileAway: () => unknown = () => {}) {
  await drop(quiet, socket);
  whileAway();
  await back(socket);
  return socket.recovered;
}

describe('connection state recovery of a client that received no event (socket.io#4888, #5538)', () => {
  it('recovery: maxSessionBytes counts the rooms of kept sessions; past it, the oldest sessions go first', async () => {
    // 1,000 rooms of 5 characters: each session counts 512 + 1,000 x (64 + 10) bytes, ~74.5 KB;
    // 200 KB keeps the two newest of five.
    const { quiet, url } = await quietServer({
      rateLimit: false,
      recoveryLimits: { maxSessionBytes: 200_000 },
    });
    const members = [];
    for (let i = 0; i < 5; i++) {
      const member = await quietClient(url, { reconnection: false });
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(
          Array.from({ length: 100 }, (_, r) =>
            request(member.socket, 'join', `r${batch}${String(r).padStart(2, '0')}0`),
          ),
        );
      }
      members.push(member);
    }
    // Dropped one after the other, oldest first; then all come back.
    for (const member of members) await drop(quiet, member.socket);
    for (const member of members) {
      member.socket.connect();
      await back(member.socket);
    }
    expect(members.map((m) => m.socket.recovered)).toEqual([false, false, false, true, true]);
    // A restored one is back in its 1,000 rooms; an evicted one starts over, with only what CONNECT gives.
    const fresh = (await request<string[]>(members[0]!.socket, 'rooms')).length;
    expect(fresh).toBeLessThan(5);
    expect(await request<string[]>(members[4]!.socket, 'rooms')).toHaveLength(fresh + 1_000);
  });

  it('recovery: restoring a session its client made join 2,000 rooms costs a lookup per kept packet, not per packet and room', async () => {
    // The default rate limit lets a client join 2,000 rooms in 20 s; the test does not wait that long.
    const { quiet, io, url } = await quietServer({ rateLimit: false });
    const member = await quietClient(url);
    // What a chat's 'join' lets any client do; a restore used to compare each kept packet with each room.
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => request(member.socket, 'join', `r${batch * 100 + i}`)),
      );
    }
    const adapter = io.of('/').adapter;
    const restore = adapter.restoreSession.bind(adapter);
    let lookups = 0;
    // restoreSession is synchronous inside: every Set lookup counted is one of the restore.
    adapter.restoreSession = (pid, offset) => {
      const has = Set.prototype.has;
      Set.prototype.has = function (this: Set<unknown>, value: unknown) {
        lookups++;
        return has.call(this, value);
      };
      try {
        return restore(pid, offset);
      } finally {
        Set.prototype.has = has;
      }
    };
    const packets = 2_500;
    const recovered = await awayWhile(quiet, member.socket, () => {
      for (let i = 0; i < packets; i++) {
        io.to('elsewhere').emit('news', 'not for it');
        io.except('elsewhere').emit('news', i);
      }
    });
    expect(recovered).toBe(true);
    await waitFor('every packet that reached its rooms', () => member.news.length === packets);
    expect(member.news).toEqual(Array.from({ length: packets }, (_, i) => i));
    // Before: 2 x 2,500 packets x 2,001 rooms, 10 million lookups (~0.5 s of a blocked event loop
    // per comeback, as often as the client likes); now one or two per packet.
    expect(lookups).toBeLessThanOrEqual(4 * packets);
  });

  it('recovery: a client that joined a room and received no event is restored: same id, same rooms, RECONNECT', async () => {
    const { quiet, url } = await quietServer();
    const { socket } = await quietClient(url);
    const id = socket.id;
    expect(await request(socket, 'rooms')).toEqual(['room']);
    // socket.io-client has a session id and no offset: socket.io 4.8 alone would answer CONNECT
    const { pid } = recoveryState(socket);
    expect(pid).toEqual(expect.any(String));
    expect(recoveryState(socket).offset).toBeUndefined();

    expect(await awayWhile(quiet, socket)).toBe(true);
    expect(socket.id).toBe(id);
    expect(await request(socket, 'rooms')).toEqual(['room']);
    expect(quiet.calls).toEqual(['connect', 'reconnect']);
    // what the client sent, nothing added on the way
    expect(quiet.restoredAuth).toEqual([{ pid }]);
  });

  it('recovery: a client that received no event gets what reached its rooms while away, in order, exactly once', async () => {
    const { quiet, io, url } = await quietServer();
    // before its session: never replayed to it
    io.to('room').emit('news', 'before');
    const { socket, news } = await quietClient(url);
    expect(await request(socket, 'join', 'second')).toBe(true);
    io.to('elsewhere').emit('news', 'not for it');

    const recovered = await awayWhile(quiet, socket, () => {
      io.to('room').emit('news', 1);
      io.to('elsewhere').emit('news', 'not for it');
      io.to('second').emit('news', 2);
      io.to(['room', 'second']).emit('news', 3);
      io.except('room').emit('news', 'not for it');
      io.emit('news', 4);
    });
    expect(recovered).toBe(true);
    expect(news).toEqual([1, 2, 3, 4]);

    // now it has an offset: the next comeback replays only what came after
    expect(await awayWhile(quiet, socket, () => io.to('room').emit('news', 5))).toBe(true);
    expect(news).toEqual([1, 2, 3, 4, 5]);
    expect(quiet.calls).toEqual(['connect', 'reconnect', 'reconnect']);
  });

  it('recovery: an event addressed to a client without offset and lost on the way is replayed when it comes back', async () => {
    const { quiet, io, url } = await quietServer();
    const { socket, news } = await quietClient(url);
    const network = loseNews(socket);
    io.to('room').emit('news', 'lost');
    await waitFor('the lost event to reach the client', () => network.lost === 1);
    const recovered = await awayWhile(quiet, socket, () => {
      network.losing = false;
      io.to('room').emit('news', 'while away');
    });
    expect(recovered).toBe(true);
    expect(news).toEqual(['lost', 'while away']);
  });

  it('recovery: events replayed to a client without offset and lost on the way are replayed again at its next comeback', async () => {
    const { quiet, io, url } = await quietServer();
    const { socket, news } = await quietClient(url);
    const network = loseNews(socket);
    network.losing = false;
    const recovered = await awayWhile(quiet, socket, () => {
      io.to('room').emit('news', 'missed');
      network.losing = true;
    });
    expect(recovered).toBe(true);
    expect(network.lost).toBe(1);
    expect(recoveryState(socket).offset).toBeUndefined();

    const recoveredAgain = await awayWhile(quiet, socket, () => {
      network.losing = false;
      io.to('room').emit('news', 'missed too');
    });
    expect(recoveredAgain).toBe(true);
    expect(news).toEqual(['missed', 'missed too']);
    expect(quiet.calls).toEqual(['connect', 'reconnect', 'reconnect']);
  });

  it('recovery: an emit socket.io cannot encode does not shift what a later comeback replays', async () => {
    const { quiet, io, url } = await quietServer();
    const { socket, news } = await quietClient(url);
    io.to('room').emit('news', 'a');
    expect(() => io.to('room').emit('news', 1n)).toThrow();
    io.to('room').emit('news', 'b');
    await waitFor('b', () => news.length === 2);
    const recovered = await awayWhile(quiet, socket, () => {
      io.to('room').emit('news', 'c');
      io.to('room').emit('news', 'd');
    });
    expect(recovered).toBe(true);
    expect(news).toEqual(['a', 'b', 'c', 'd']);
  });

  it('recovery: emits socket.io cannot encode keep none of their payload (they counted 0 bytes against maxBytes)', async () => {
    const { quiet, io, url } = await quietServer();
    const { socket, news } = await quietClient(url);
    const before = await heapAfterGc();
    for (let i = 0; i < 20; i++) {
      // 4 MB each, and a BigInt JSON cannot encode: the emit throws.
      expect(() => io.to('room').emit('news', { text: `${i}`.padEnd(4_000_000, '.'), n: 1n })).toThrow();
    }
    const after = await heapAfterGc();
    console.log(`[unencodable] heap ${mb(before)} → ${mb(after)} after 20 unencodable emits of 4 MB`);
    // Before: all 80 MB kept (each such emit holds a place in the sequence, and held its payload).
    expect(after - before).toBeLessThan(16 * MB);
    const recovered = await awayWhile(quiet, socket, () => io.to('room').emit('news', 'after'));
    expect(recovered).toBe(true);
    expect(news).toEqual(['after']);
  });

  it('recovery: a client whose offset is older than its session (left from a session it lost) is restored from its session', async () => {
    const { quiet, io, url } = await quietServer({ recoveryLimits: { maxPackets: 3 } });
    const { socket, news } = await quietClient(url);
    io.to('room').emit('news', 'a');
    await waitFor('a', () => news.length === 1);
    const stale = recoveryState(socket).offset;
    expect(stale).toEqual(expect.any(String));

    // 'a' evicted while away: a new session (CONNECT), and the client keeps its offset of 'a'
    expect(
      await awayWhile(quiet, socket, () => {
        for (const value of ['b', 'c', 'd']) io.to('room').emit('news', value);
      }),
    ).toBe(false);
    expect(recoveryState(socket).offset).toBe(stale);

    expect(await awayWhile(quiet, socket, () => io.to('room').emit('news', 'e'))).toBe(true);
    expect(news).toEqual(['a', 'e']);
    expect(quiet.calls).toEqual(['connect', 'connect', 'reconnect']);
  });

  it('recovery: a client whose offset predates its session gets what its session missed, nothing from before it', async () => {
    const { quiet, io, url } = await quietServer({ recoveryLimits: { maxSessions: 1 } });
    const { socket, news } = await quietClient(url);
    const other = await quietClient(url);
    io.to('room').emit('news', 'a');
    await waitFor('a', () => news.length === 1);
    // its session goes (maxSessions: the other client's is newer; it waits 1 s to come back, so
    // that the other's is persisted first); it comes back to a new session and keeps its offset
    // of 'a', which is still kept
    socket.io.reconnectionDelay(1_000).randomizationFactor(0);
    await drop(quiet, socket);
    await drop(quiet, other.socket);
    io.to('room').emit('news', 'between sessions');
    await back(socket);
    socket.io.reconnectionDelay(300);
    expect(socket.recovered).toBe(false);
    expect(recoveryState(socket).offset).toEqual(expect.any(String));

    expect(await awayWhile(quiet, socket, () => io.to('room').emit('news', 'b'))).toBe(true);
    expect(news).toEqual(['a', 'b']);
  });

  it('recovery: clients without offset on two namespaces of one connection each get their session and only their events back', async () => {
    const { quiet, io, url } = await quietServer();
    const { socket, news } = await quietClient(url);
    const blog = resources.add(socket.io.socket('/blog'), (s) => s.disconnect());
    const blogNews: unknown[] = [];
    blog.on('news', (value: unknown) => blogNews.push(value));
    await connected(blog);
    const ids = [socket.id, blog.id];

    const before = quiet.disconnects;
    socket.io.engine.close();
    await waitFor('both namespaces disconnected', () => quiet.disconnects === before + 2);
    io.to('room').emit('news', 'to /');
    io.of('/blog').to('room').emit('news', 'to /blog');
    await back(socket);
    await back(blog);
    expect([socket.recovered, blog.recovered]).toEqual([true, true]);
    expect([socket.id, blog.id]).toEqual(ids);
    expect(news).toEqual(['to /']);
    expect(blogNews).toEqual(['to /blog']);
    expect(quiet.calls.sort()).toEqual(['connect', 'connect /blog', 'reconnect', 'reconnect /blog']);
  });

  it('recovery: a session id sent without offset restores only that session, its rooms and only once; a live one not at all', async () => {
    const { quiet, io, url } = await quietServer();
    io.to('secret').emit('news', 'before the session');
    const victim = await quietClient(url, { reconnection: false });
    expect(await request(victim.socket, 'join', 'secret')).toBe(true);
    const { pid } = recoveryState(victim.socket);
    const victimId = victim.socket.id;

    // the session is live: nothing to restore, the holder of its id gets a session of its own
    const early = await quietClient(url, { reconnection: false, auth: { pid } });
    expect(early.socket.id).not.toBe(victimId);
    expect(quiet.calls).toEqual(['connect', 'connect']);
    expect(await request(early.socket, 'rooms')).toEqual(['room']);
    const earlyGone = quiet.nextDisconnect();
    early.socket.disconnect();
    await earlyGone;

    await drop(quiet, victim.socket);
    io.to('secret').emit('news', 'secret');
    io.to('other').emit('news', 'other');
    io.to('room').emit('news', 'room');
    // a session id is a bearer token (socket.io's design): its holder gets that session, once
    // (socket.io-client's `recovered` stays false: the id it sent was not one it was given)
    const holder = await quietClient(url, { reconnection: false, auth: { pid } });
    expect(holder.socket.id).toBe(victimId);
    expect(quiet.calls).toEqual(['connect', 'connect', 'reconnect']);
    expect(await request(holder.socket, 'rooms')).toEqual(['room', 'secret']);
    expect(holder.news).toEqual(['secret', 'room']);

    const again = await quietClient(url, { reconnection: false, auth: { pid } });
    expect(again.socket.id).not.toBe(victimId);
    expect(await request(again.socket, 'rooms')).toEqual(['room']);
    expect(again.news).toEqual([]);
    expect(quiet.calls).toEqual(['connect', 'connect', 'reconnect', 'connect']);
  });

  it('recovery: a client without offset whose missed packets were evicted gets CONNECT, not a partial replay', async () => {
    const { quiet, io, url } = await quietServer({ recoveryLimits: { maxPackets: 3 } });
    const { socket, news } = await quietClient(url);
    // evictions of packets that never reached it do not matter
    for (let i = 0; i < 5; i++) io.to('elsewhere').emit('news', 'not for it');
    const recovered = await awayWhile(quiet, socket, () => {
      io.to('room').emit('news', 1);
      io.to('room').emit('news', 2);
    });
    expect(recovered).toBe(true);
    expect(news).toEqual([1, 2]);

    const { socket: late, news: lateNews } = await quietClient(url);
    expect(
      await awayWhile(quiet, late, () => {
        for (const value of [1, 2, 3, 4]) io.to('room').emit('news', value);
      }),
    ).toBe(false);
    expect(lateNews).toEqual([]);
    expect(quiet.calls).toEqual(['connect', 'reconnect', 'connect', 'connect']);
  });

  it('recovery: with recovery off, or with an adapter of the user, a client that received no event gets CONNECT as before', async () => {
    const off = await quietServer({ serverOptions: { connectionStateRecovery: false } });
    const plain = await quietClient(off.url);
    const plainId = plain.socket.id;
    expect(await awayWhile(off.quiet, plain.socket)).toBeFalsy();
    expect(plain.socket.id).not.toBe(plainId);
    expect(off.quiet.calls).toEqual(['connect', 'connect']);

    const asked: Array<[string, string]> = [];
    class UserAdapter extends SessionAwareAdapter {
      override restoreSession(pid: string, offset: string) {
        asked.push([pid, offset]);
        return super.restoreSession(pid, offset);
      }
    }
    const own = await quietServer({ adapter: UserAdapter as never });
    const { socket } = await quietClient(own.url);
    const id = socket.id;
    expect(await awayWhile(own.quiet, socket)).toBe(false);
    expect(socket.id).not.toBe(id);
    expect(asked).toEqual([]);
    expect(own.quiet.calls).toEqual(['connect', 'connect']);
  });
});
