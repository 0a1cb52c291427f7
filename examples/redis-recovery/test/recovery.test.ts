// examples/redis-recovery as real processes: two hosts on their own ports behind a TCP proxy (the
// load balancer), a real socket.io-client moved from host A to host B by a failover, and Redis at
// 127.0.0.1:6379 with a key prefix of this run, deleted at the end.
import { fileURLToPath } from 'node:url';
import {
  client,
  connected,
  describeWithRedis,
  nextEvent,
  Resources,
  type RunningProcess,
  request,
  startProcess,
  startTcpProxy,
  testRedisUrl,
  waitFor,
} from '@pestras/micro-socket-testing';
import { createClient } from 'redis';
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterEach, expect, test } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const describeRedis = await describeWithRedis();

type Adapter = 'redis-streams' | 'memory';
type RedisClient = Awaited<ReturnType<ReturnType<typeof createClient>['connect']>>;

interface Host {
  process: RunningProcess;
  port: number;
}

interface Received {
  event: string;
  payload: Record<string, unknown>;
}

describeRedis('examples/redis-recovery: RECONNECT across hosts', () => {
  const resources = new Resources();
  afterEach(() => resources.stopAll());

  /** The names of this run in Redis (the adapter's stream, its session keys). */
  async function keysOf(redis: RedisClient, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
    return keys;
  }

  async function startHosts(adapter: Adapter, env: Record<string, string> = {}) {
    const prefix = `redis-recovery-test:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2)}:`;
    const redis = resources.add(await createClient({ url: testRedisUrl() }).connect(), (c) => c.close());
    // Added before the hosts, so it runs after they stopped writing.
    resources.add(prefix, async () => {
      const keys = await keysOf(redis, prefix);
      if (keys.length > 0) await redis.del(keys);
    });
    const start = async (name: string): Promise<Host> => {
      const running = startProcess(resources, process.execPath, ['dist/main.js'], {
        cwd,
        env: {
          PORT: '0',
          NAME: name,
          REDIS_URL: testRedisUrl(),
          REDIS_PREFIX: prefix,
          RECOVERY_ADAPTER: adapter,
          ...env,
        },
      });
      const [, port] = await running.waitForOutput(/listening on http:\/\/[\d.]+:(\d+)/);
      return { process: running, port: Number(port) };
    };
    const [a, b] = await Promise.all([start('a'), start('b')]);
    const proxy = await startTcpProxy(resources, a!.port);
    return { prefix, redis, a: a!, b: b!, proxy };
  }

  /** A client that records every event it receives; it does not reconnect by itself (the test says when). */
  function recordingClient(url: string, transports: string[]) {
    const socket = client(resources, url, { transports });
    const received: Received[] = [];
    socket.onAny((event, payload) => received.push({ event, payload }));
    const texts = () => received.filter((r) => r.event === 'message').map((r) => r.payload.text);
    return { socket, received, texts };
  }

  async function say(socket: ClientSocket, room: string, text: string) {
    expect(await request(socket, 'say', room, text)).toEqual({ ok: true });
  }

  /**
   * Host A holds the client (through the proxy) and its room `news`; a witness on host B says
   * `before` to the room. Then the proxy fails over to host B — by cutting every connection, or
   * because host A is SIGKILLed or stopped with SIGTERM (the example's `close()`) — and while the
   * client is away the witness says `while away`. Then the client connects again, through the
   * proxy, to host B: when the test says (`reconnectedBy: 'test'`), or by itself (`'client'`:
   * socket.io-client's own reconnection with its default delays, 0.5–1.5 s for the first try).
   */
  async function failover(
    adapter: Adapter,
    how: 'proxy cut' | 'SIGKILL' | 'SIGTERM',
    transports = ['websocket'],
    {
      env = {},
      whileAway,
      reconnectedBy = 'test',
    }: {
      env?: Record<string, string>;
      whileAway?: (witness: ClientSocket, hostB: Host) => Promise<void>;
      reconnectedBy?: 'test' | 'client';
    } = {},
  ) {
    const hosts = await startHosts(adapter, env);
    const { a, b, proxy, prefix, redis } = hosts;
    const member = recordingClient(proxy.url, transports);
    member.socket.io.reconnection(reconnectedBy === 'client');
    const hello = nextEvent<[{ host: string }]>(member.socket, 'hello');
    await connected(member.socket);
    // the hello carries the client's first recovery offset
    expect((await hello)[0]).toMatchObject({ host: 'a' });
    expect(await request(member.socket, 'join', 'news')).toEqual({ room: 'news', host: 'a' });
    const witness = recordingClient(`http://127.0.0.1:${b.port}`, ['websocket']);
    await connected(witness.socket);
    await request(witness.socket, 'join', 'news');
    if (adapter === 'redis-streams') {
      // the adapter carries a broadcast of host B to host A's client
      await say(witness.socket, 'news', 'before');
      await waitFor('`before` at the client on host A', () => member.texts().includes('before'));
    }
    const memberId = member.socket.id;
    // a polling client moves to websocket first: cut the connection it lives on
    await waitFor(
      'the websocket upgrade',
      () => member.socket.io.engine.transport.name === transports.at(-1),
    );

    const disconnected = nextEvent<[string]>(member.socket, 'disconnect');
    const reconnected = nextEvent(member.socket, 'connect', 15_000);
    proxy.route(b.port);
    if (how === 'proxy cut') {
      expect(proxy.cut()).toBeGreaterThanOrEqual(1);
    } else {
      a.process.kill(how);
    }
    // SIGTERM: the example's close() closes the connection (no DISCONNECT packet), as a cut does
    expect((await disconnected)[0]).toBe('transport close');
    const before = member.received.length;
    if (how !== 'SIGKILL') {
      // Host A keeps the session when it sees the connection close, or closes it (socket.io's
      // persistSession, before its DISCONNECT handlers): in Redis with the adapter, in its own
      // memory without.
      const reason = how === 'SIGTERM' ? 'server shutting down' : 'transport close';
      await a.process.waitForOutput(new RegExp(`a: ${memberId} disconnected \\(${reason}\\)`));
    }
    if (how !== 'SIGKILL' && adapter === 'redis-streams' && reconnectedBy === 'test') {
      await waitFor('the session in Redis', async () =>
        (await keysOf(redis, prefix)).some((key) => key.startsWith(`${prefix}session:`)),
      );
    }
    await say(witness.socket, 'news', 'while away');
    // said before the client's first try (0.5 s at the earliest): it is missed, not received live
    expect(member.socket.connected).toBe(false);
    await whileAway?.(witness.socket, b);
    if (how !== 'proxy cut') {
      const exit = how === 'SIGTERM' ? { code: 0, signal: null } : { code: null, signal: 'SIGKILL' };
      expect(await a.process.exited()).toEqual(exit);
    }
    if (reconnectedBy === 'test') {
      // socket.io-client's own reconnection is off here so that the test chooses when
      member.socket.connect();
      await connected(member.socket);
    } else {
      await reconnected;
    }
    return { ...hosts, member, witness, memberId, since: () => member.received.slice(before) };
  }

  test.each([
    ['the proxy fails over to host B (websocket)', 'proxy cut', ['websocket'], 'test'],
    [
      'the proxy fails over to host B (polling then websocket)',
      'proxy cut',
      ['polling', 'websocket'],
      'test',
    ],
    // The point of close()'s default (reconnect): a deploy that stops host A strands nobody.
    [
      'host A closed gracefully (SIGTERM, close()), the client back by itself (websocket)',
      'SIGTERM',
      ['websocket'],
      'client',
    ],
    [
      'host A closed gracefully (SIGTERM, close()), the client back by itself (polling then websocket)',
      'SIGTERM',
      ['polling', 'websocket'],
      'client',
    ],
  ] as const)(
    'redis-streams adapter, %s: recovered on host B, with its rooms and what it missed',
    async (_, how, transports, reconnectedBy) => {
      const { b, proxy, member, witness, memberId, since } = await failover(
        'redis-streams',
        how,
        [...transports],
        { reconnectedBy },
      );
      expect(proxy.routedTo(b.port)).toBeGreaterThanOrEqual(1);
      expect(member.socket.recovered).toBe(true);
      expect(member.socket.id).toBe(memberId);
      // RECONNECT ran on host B, with the room host A's join put it in
      await waitFor('welcome back', () => since().find((r) => r.event === 'welcome back'));
      expect(since().find((r) => r.event === 'welcome back')?.payload).toEqual({
        host: 'b',
        socketId: memberId,
        rooms: ['news'],
      });
      expect(since().some((r) => r.event === 'hello')).toBe(false);
      // what was said while it was away is delivered on recovery, before anything new
      await waitFor('`while away` delivered on recovery', () => member.texts().includes('while away'));
      // and the room is back: host B's broadcasts reach it
      await say(witness.socket, 'news', 'after');
      await waitFor('`after` at the recovered client', () => member.texts().includes('after'));
      expect(member.texts()).toEqual(['before', 'while away', 'after']);
      // and the host stops cleanly on SIGTERM (its server, the adapter, its Redis client)
      b.process.kill('SIGTERM');
      expect(await b.process.exited()).toEqual({ code: 0, signal: null });
    },
  );

  test("redis-streams adapter, socket.io-client's own reconnection (default delays, polling then websocket): restored on host B, every time", async () => {
    const { a, b, proxy } = await startHosts('redis-streams');
    const rounds = process.env.STRESS ? 20 : 3;
    const restored: string[] = [];
    for (let round = 0; round < rounds; round++) {
      proxy.route(a.port);
      const member = recordingClient(proxy.url, ['polling', 'websocket']);
      member.socket.io.reconnection(true);
      await connected(member.socket);
      // the ack comes back over the websocket once both sides have finished the upgrade (a cut
      // in the middle of it leaves host A unaware until its ping timeout: see the README)
      await waitFor('the websocket upgrade', () => member.socket.io.engine.transport.name === 'websocket');
      expect(await request(member.socket, 'join', 'news')).toEqual({ room: 'news', host: 'a' });
      const back = nextEvent(member.socket, 'connect', 10_000);
      proxy.route(b.port);
      proxy.cut();
      await back;
      await waitFor('welcome back', () => member.received.find((r) => r.event === 'welcome back'));
      const welcome = member.received.find((r) => r.event === 'welcome back')!.payload;
      restored.push(`${member.socket.recovered} ${welcome.host} ${(welcome.rooms as string[]).join()}`);
      member.socket.disconnect();
    }
    expect(restored).toEqual(Array(rounds).fill('true b news'));
  });

  test('negative control, the default in-memory adapter: host B cannot restore host A session (CONNECT, no rooms, nothing missed)', async () => {
    const { member, witness, memberId, since } = await failover('memory', 'proxy cut');
    expect(member.socket.recovered).toBe(false);
    expect(member.socket.id).not.toBe(memberId);
    await waitFor('hello from host b', () => since().find((r) => r.event === 'hello'));
    expect(since().find((r) => r.event === 'hello')?.payload).toMatchObject({ host: 'b' });
    // not in `news` any more: `after` does not reach it; `fence`, said once it joined again, does
    // (and socket.io delivers in order, so `after` would have come first)
    await say(witness.socket, 'news', 'after');
    expect(await request(member.socket, 'join', 'news')).toEqual({ room: 'news', host: 'b' });
    await say(witness.socket, 'news', 'fence');
    await waitFor('`fence` at the client', () => member.texts().includes('fence'));
    expect(member.texts()).toEqual(['fence']);
  });

  test('redis-streams adapter, host A SIGKILLed: no session was kept, so host B gives CONNECT', async () => {
    // socket.io writes a session when its host sees the connection close or closes it: a host
    // that dies writes nothing. Its clients start over on the other host.
    const { member, memberId, since, prefix, redis } = await failover('redis-streams', 'SIGKILL');
    expect(member.socket.recovered).toBe(false);
    expect(member.socket.id).not.toBe(memberId);
    await waitFor('hello from host b', () => since().find((r) => r.event === 'hello'));
    expect(since().find((r) => r.event === 'hello')?.payload).toMatchObject({ host: 'b' });
    expect(member.texts()).toEqual(['before']);
    expect((await keysOf(redis, prefix)).filter((key) => key.startsWith(`${prefix}session:`))).toEqual([]);
  });

  test("redis-streams adapter: what recovery keeps is bounded by the stream's maxLen; a client whose offset was trimmed gets CONNECT", async () => {
    const maxLen = 10;
    const { member, since, prefix, redis } = await failover('redis-streams', 'proxy cut', ['websocket'], {
      env: { REDIS_MAXLEN: String(maxLen) },
      // 260 broadcasts while it is away, from two senders (each connection may send 200 at once)
      whileAway: async (witness, hostB) => {
        const other = recordingClient(`http://127.0.0.1:${hostB.port}`, ['websocket']).socket;
        await connected(other);
        for (let i = 0; i < 130; i++) {
          await say(witness, 'elsewhere', `a${i}`);
          await say(other, 'elsewhere', `b${i}`);
        }
      },
    });
    // XADD MAXLEN ~ trims whole stream nodes (100 entries by default): the stream holds at most
    // maxLen plus one node, however many broadcasts went through it
    expect(await redis.xLen(`${prefix}stream`)).toBeLessThanOrEqual(maxLen + 100);
    expect(member.socket.recovered).toBe(false);
    await waitFor('hello from host b', () => since().find((r) => r.event === 'hello'));
    expect(since().find((r) => r.event === 'hello')?.payload).toMatchObject({ host: 'b' });
  });
});
