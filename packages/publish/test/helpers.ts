// Test support for this package's tests; not exported by the package.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import {
  type AddressInfo,
  connect as connectNet,
  createServer as createNetServer,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BundledFixture,
  bundleFixture as bundleKitFixture,
  client,
  connected,
  Resources,
  type RunningProcess,
  startProcess,
  waitFor,
} from '@pestras/micro-socket-testing';
import { Server } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, test } from 'vitest';
import { PublishBus, type PublishBusOptions } from '../src/bus';

/** Bundles a fixture of this package with the kit's bundleFixture, core from its sources. */
export function bundleFixture(entry: string): BundledFixture {
  return bundleKitFixture(new URL(entry, import.meta.url), new URL('..', import.meta.url));
}

/** Records every event a client receives, to count deliveries. */
export function recordEvents(socket: {
  onAny(listener: (event: string, ...args: unknown[]) => void): unknown;
}): Array<{ event: string; args: unknown[] }> {
  const events: Array<{ event: string; args: unknown[] }> = [];
  socket.onAny((event, ...args) => events.push({ event, args }));
  return events;
}

/** Prepares a server before its bus is created, e.g. gives it an adapter. */
export type Configure = (io: Server, resources: Resources) => void | Promise<void>;

/** A socket.io server on port 0 with a bus, stopped by the resources. */
export interface BusServer {
  io: Server;
  bus: PublishBus;
  url: string;
}

export async function startBusServer(
  resources: Resources,
  options: PublishBusOptions = {},
  configure?: Configure,
): Promise<BusServer> {
  const http = createServer();
  const io = new Server(http);
  await configure?.(io, resources);
  io.of('/blog'); // a second namespace every server serves
  const bus = new PublishBus(io, options);
  resources.add(io, async () => {
    await bus.close();
    await io.close();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  await bus.ready();
  return { io, bus, url: `http://127.0.0.1:${port}` };
}

/** A connected test client that records what it receives and can be put in rooms. */
export interface Member {
  socket: ClientSocket;
  events: Array<{ event: string; args: unknown[] }>;
  /** How many times `event` arrived. */
  count(event: string): number;
}

export async function member(
  resources: Resources,
  server: BusServer,
  { namespace = '/', rooms = [] }: { namespace?: string; rooms?: string[] } = {},
): Promise<Member> {
  const socket = await connected(
    client(resources, `${server.url}${namespace}`, { transports: ['websocket'] }),
  );
  const events = recordEvents(socket);
  const serverSide = server.io.of(namespace).sockets.get(socket.id!);
  if (!serverSide) throw new Error(`no server socket ${socket.id}`);
  await serverSide.join(rooms);
  return { socket, events, count: (event) => events.filter((e) => e.event === event).length };
}

/**
 * Waits until everything published before has been delivered everywhere: publishes a fence on
 * each namespace, to every process, and waits until every member received it. Transports and
 * socket.io keep order, so counts taken afterwards are final.
 */
export async function settle(bus: PublishBus, members: Member[], namespaces = ['/', '/blog']): Promise<void> {
  const mark = Math.random().toString(36).slice(2);
  for (const namespace of namespaces) {
    await bus.publish({ event: 'fence', data: [mark], namespace }, { includeSelf: true });
  }
  await waitFor(`fence ${mark} at every member`, () =>
    members.every((m) => m.events.some((e) => e.event === 'fence' && e.args[0] === mark)),
  );
}

/**
 * The semantics table of the README, one test per row, between two servers whose buses are
 * linked by the bus options `link` makes for each scene (and the `Configure` it gives both servers).
 */
export function describeSemantics(
  title: string,
  link: () => Promise<[PublishBusOptions, PublishBusOptions, Configure?]>,
): void {
  describe(title, () => {
    const resources = new Resources();
    afterEach(() => resources.stopAll());

    // a1, a2 on the publishing server A; b1, b2, b3 and c1 (namespace /blog) on B; room r.
    async function scene() {
      const [optionsA, optionsB, configure] = await link();
      const A = await startBusServer(resources, optionsA, configure);
      const B = await startBusServer(resources, optionsB, configure);
      const a1 = await member(resources, A);
      const a2 = await member(resources, A, { rooms: ['r'] });
      const b1 = await member(resources, B, { rooms: ['r'] });
      const b2 = await member(resources, B);
      const b3 = await member(resources, B, { rooms: ['r'] });
      const c1 = await member(resources, B, { namespace: '/blog', rooms: ['r'] });
      const all = { a1, a2, b1, b2, b3, c1 };
      const counts = (event: string) =>
        Object.fromEntries(Object.entries(all).map(([name, m]) => [name, m.count(event)]));
      return { A, B, ...all, all: Object.values(all), counts };
    }

    test('neither room nor socketId: every socket of the namespace on the other process, once', async () => {
      const s = await scene();
      await s.A.bus.publish({ event: 'news', data: [1, 'two', { three: [3] }] });
      await settle(s.A.bus, s.all);
      expect(s.counts('news')).toEqual({ a1: 0, a2: 0, b1: 1, b2: 1, b3: 1, c1: 0 });
      expect(s.b2.events.find((e) => e.event === 'news')?.args).toEqual([1, 'two', { three: [3] }]);
    });

    test('room: the sockets in that room, once', async () => {
      const s = await scene();
      await s.A.bus.publish({ event: 'news', data: ['r only'], room: 'r' });
      await settle(s.A.bus, s.all);
      expect(s.counts('news')).toEqual({ a1: 0, a2: 0, b1: 1, b2: 0, b3: 1, c1: 0 });
    });

    test('namespace: the sockets of that namespace only; a namespace a process does not serve is not created', async () => {
      const s = await scene();
      await s.A.bus.publish({ event: 'news', data: ['blog'], namespace: 'blog' });
      await s.A.bus.publish({ event: 'news', data: ['nowhere'], namespace: 'nowhere' });
      await settle(s.A.bus, s.all);
      expect(s.counts('news')).toEqual({ a1: 0, a2: 0, b1: 0, b2: 0, b3: 0, c1: 1 });
      expect(s.B.io._nsps.has('/nowhere')).toBe(false);
    });

    test('socketId, broadcast false: that one socket, on whichever process it is connected, once', async () => {
      const s = await scene();
      await s.A.bus.publish({ event: 'dm', data: ['to b2'], socketId: s.b2.socket.id!, room: 'ignored' });
      await s.A.bus.publish({ event: 'dm', data: ['to c1'], socketId: s.c1.socket.id!, namespace: 'blog' });
      await settle(s.A.bus, s.all);
      expect(s.counts('dm')).toEqual({ a1: 0, a2: 0, b1: 0, b2: 1, b3: 0, c1: 1 });
      expect(s.b2.events.find((e) => e.event === 'dm')?.args).toEqual(['to b2']);
    });

    test('socketId, broadcast true: everyone in the namespace except that socket', async () => {
      const s = await scene();
      await s.A.bus.publish({ event: 'others', data: [], socketId: s.b1.socket.id!, broadcast: true });
      await settle(s.A.bus, s.all);
      expect(s.counts('others')).toEqual({ a1: 0, a2: 0, b1: 0, b2: 1, b3: 1, c1: 0 });
    });

    test('socketId, broadcast true, room: everyone in the room except that socket', async () => {
      const s = await scene();
      await s.A.bus.publish({
        event: 'others',
        data: [],
        socketId: s.b1.socket.id!,
        broadcast: true,
        room: 'r',
      });
      await settle(s.A.bus, s.all);
      expect(s.counts('others')).toEqual({ a1: 0, a2: 0, b1: 0, b2: 0, b3: 1, c1: 0 });
    });

    test('by default the publishing process is not reached; includeSelf reaches every process once', async () => {
      const s = await scene();
      await s.A.bus.publish({ event: 'dm', data: [], socketId: s.a1.socket.id! });
      await s.A.bus.publish({ event: 'all', data: [] }, { includeSelf: true });
      await s.A.bus.publish({ event: 'room', data: [], room: 'r' }, { includeSelf: true });
      await s.A.bus.publish({ event: 'dm-self', data: [], socketId: s.a1.socket.id! }, { includeSelf: true });
      await settle(s.A.bus, s.all);
      expect(s.counts('dm')).toEqual({ a1: 0, a2: 0, b1: 0, b2: 0, b3: 0, c1: 0 });
      expect(s.counts('all')).toEqual({ a1: 1, a2: 1, b1: 1, b2: 1, b3: 1, c1: 0 });
      expect(s.counts('room')).toEqual({ a1: 0, a2: 1, b1: 1, b2: 0, b3: 1, c1: 0 });
      expect(s.counts('dm-self')).toEqual({ a1: 1, a2: 0, b1: 0, b2: 0, b3: 0, c1: 0 });
    });

    test('Buffers, typed arrays, Dates, toJSON, undefined and "$" keys arrive as socket.io would send them locally', async () => {
      const s = await scene();
      const data = [
        Buffer.from('héllo'),
        new Uint8Array([1, 2, 3]),
        new Float32Array([1.5, -2]),
        new Date('2024-01-02T03:04:05.000Z'),
        { $: 'dollar', $t: 1, nested: { list: [null, true, -1.5] } },
        'last',
        { id: { toJSON: () => 'abc123' } },
      ];
      await s.A.bus.publish({ event: 'rich', data }, { includeSelf: true });
      await settle(s.A.bus, s.all);
      const local = s.a1.events.find((e) => e.event === 'rich')?.args;
      const remote = s.b1.events.find((e) => e.event === 'rich')?.args;
      expect(remote).toEqual(local);
      expect(Buffer.from(remote?.[0] as Buffer).toString()).toBe('héllo');
      expect(Buffer.from(remote?.[2] as Buffer)).toEqual(Buffer.from(new Float32Array([1.5, -2]).buffer));
      expect(remote?.[3]).toBe('2024-01-02T03:04:05.000Z');
      expect(remote?.[6]).toEqual({ id: 'abc123' });
      expect(remote?.[4]).toEqual({ $: 'dollar', $t: 1, nested: { list: [null, true, -1.5] } });
    });
  });
}

/** A key/channel prefix of this test run's own, so runs never see each other's messages. */
export function uniquePrefix(): string {
  return `micro-socket-test:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;
}

/** A Redis address of a test's own: see {@link redisAddress}. */
export interface RedisAddress {
  /** `redis://127.0.0.1:<port>`, held by this process until the resources stop. */
  readonly url: string;
  /** The Unix socket a redis-server of the test listens on (see {@link startRedisServer}). */
  readonly socketPath: string;
}

/**
 * A Redis URL that nobody else can take: a TCP listener on port 0 (read back) that this process
 * holds for the whole test, piping each connection to a Unix socket in a temporary folder of the
 * test, where a redis-server of its own may listen, or not (then each connection is closed at
 * once: "Redis is not running").
 *
 * Why not a free port for redis-server: redis cannot pick a port itself (`--port 0` turns TCP
 * off), and a port probed free and released can be taken by another process before redis-server
 * binds it, or between a kill and a restart on the same port. A Unix socket in our own folder
 * cannot be taken, and the node-redis clients under test still connect by URL.
 */
export async function redisAddress(resources: Resources): Promise<RedisAddress> {
  const dir = resources.add(mkdtempSync(join(tmpdir(), 'micro-socket-redis-')), (path) =>
    rmSync(path, { recursive: true, force: true }),
  );
  const socketPath = join(dir, 'redis.sock');
  const open = new Set<Socket>();
  const proxy = createNetServer((downstream) => {
    const upstream = connectNet(socketPath);
    for (const [socket, other] of [
      [downstream, upstream],
      [upstream, downstream],
    ] as const) {
      open.add(socket);
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        open.delete(socket);
        other.destroy();
      });
      socket.pipe(other);
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  resources.add(proxy, (server) => {
    for (const socket of open) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  const { port } = proxy.address() as AddressInfo;
  return { url: `redis://127.0.0.1:${port}`, socketPath };
}

/** A redis-server of the test's own on `socketPath` only (no TCP), ready; the resources kill it. */
export async function startRedisServer(resources: Resources, socketPath: string): Promise<RunningProcess> {
  const server = startProcess(resources, 'redis-server', [
    '--port',
    '0',
    '--unixsocket',
    socketPath,
    '--unixsocketperm',
    '700',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  await server.waitForOutput(/ready to accept connections/i);
  return server;
}
