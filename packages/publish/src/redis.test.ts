import { spawnSync } from 'node:child_process';
import { describeWithRedis, Resources, testRedisUrl, waitFor } from '@pestras/micro-socket-testing';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { afterEach, expect, test } from 'vitest';
import {
  type Configure,
  describeSemantics,
  member,
  redisAddress,
  settle,
  startBusServer,
  startRedisServer,
  uniquePrefix,
} from '../test/helpers';
import { PublishBus } from './bus';
import { PublishError } from './errors';
import { type RedisClientLike, redisTransport } from './redis';

const redis = { url: testRedisUrl() };
const describeRedis = await describeWithRedis(redis.url);
const quiet = { error() {}, warn() {}, info() {} };

describeRedis('redisTransport', () => {
  describeSemantics('semantics table over Redis (two servers, one channel)', async () => {
    const prefix = uniquePrefix();
    return [
      { transport: redisTransport({ url: redis.url, prefix, logger: quiet }) },
      { transport: redisTransport({ url: redis.url, prefix, logger: quiet }) },
    ];
  });

  const resources = new Resources();
  afterEach(() => resources.stopAll());

  test('different prefixes never see each other, and a given client is left open on close', async () => {
    const client = createClient({ url: redis.url });
    client.on('error', () => {});
    resources.add(client, (c) => c.destroy());
    const prefix = uniquePrefix();
    const A = await startBusServer(resources, {
      transport: redisTransport({ client: client as unknown as RedisClientLike, prefix }),
    });
    const B = await startBusServer(resources, { transport: redisTransport({ url: redis.url, prefix }) });
    const C = await startBusServer(resources, {
      transport: redisTransport({ url: redis.url, prefix: uniquePrefix() }),
    });
    const b = await member(resources, B);
    const c = await member(resources, C);
    await A.bus.publish({ event: 'scoped', data: [] });
    await settle(C.bus, [c], ['/']);
    await waitFor('delivery in the same prefix', () => b.count('scoped') === 1);
    expect(c.count('scoped')).toBe(0);
    await A.bus.close();
    expect(client.isReady).toBe(true);
  });

  test('refuses unusable options with a clear error', () => {
    expect(() => redisTransport({ url: redis.url, client: {} as RedisClientLike })).toThrow(
      /either url or client/,
    );
    expect(() => redisTransport({ client: {} as RedisClientLike })).toThrow(/node-redis v5 client/);
    expect(() => redisTransport({ channel: '' })).toThrow(PublishError);
    expect(() => redisTransport({ readyTimeout: -1 })).toThrow(/readyTimeout/);
  });

  test('no Redis behind the address: publish rejects with ERR_TRANSPORT, close() still closes, nothing unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    resources.add(onUnhandled, (listener) => process.off('unhandledRejection', listener));
    const logged: string[] = [];
    const logger = { error: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), info() {} };
    const { url } = await redisAddress(resources); // nothing listens behind it
    const { io } = await startBusServer(resources);
    const bus = new PublishBus(io, { transport: redisTransport({ url, readyTimeout: 200, logger }), logger });
    const failure = await bus.publish({ event: 'e', data: [] }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PublishError);
    expect(failure).toMatchObject({ code: 'ERR_TRANSPORT', message: expect.stringMatching(/not reachable/) });
    await waitFor('the outage logged by both clients', () => logged.length === 2);
    await bus.close();
    expect(unhandled).toEqual([]);
    expect(logged.every((m) => /cannot reach Redis/.test(m))).toBe(true);
  });

  // Guards against the mutation "log every retry": the count is taken after both clients have
  // failed several reconnect attempts, the positive event that a per-retry log would follow.
  test('an outage is logged once per client, however many reconnect attempts fail', async () => {
    const logged: string[] = [];
    const logger = { error: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), info() {} };
    const { url } = await redisAddress(resources); // nothing listens behind it
    const failures = { publisher: 0, subscriber: 0 };
    // A client of the test's own, so that the failures of both clients can be counted: the
    // transport publishes on it and subscribes on its duplicate.
    const publisher = createClient({ url, socket: { reconnectStrategy: () => 20 } });
    publisher.on('error', () => failures.publisher++);
    resources.add(publisher, (c) => c.destroy());
    const duplicate = publisher.duplicate.bind(publisher);
    publisher.duplicate = ((...args: Parameters<typeof duplicate>) => {
      const subscriber = duplicate(...args);
      subscriber.on('error', () => failures.subscriber++);
      resources.add(subscriber, (c) => c.destroy());
      return subscriber;
    }) as typeof publisher.duplicate;
    const transport = redisTransport({
      client: publisher as unknown as RedisClientLike,
      readyTimeout: 100,
      logger,
    });
    const { io } = await startBusServer(resources);
    const bus = new PublishBus(io, { transport, logger: { error() {}, warn() {} } });
    await waitFor(
      'five failed attempts of each client',
      () => failures.publisher >= 5 && failures.subscriber >= 5,
    );
    await bus.close();
    expect(logged.map((m) => m.match(/the (\w+) cannot reach Redis/)?.[1]).sort()).toEqual([
      'publisher',
      'subscriber',
    ]);
  });

  // The restart needs a redis-server of its own; outside CI, a machine without one skips it (and says so).
  const redisServer = spawnSync('redis-server', ['--version']).status === 0;
  if (!redisServer) {
    const why = 'redis-server is not on PATH: the Redis restart test cannot start its own Redis';
    if (process.env.CI) test('needs redis-server', () => expect.fail(why));
    else console.warn(`${why}; skipping it`);
  }
  test.skipIf(!redisServer)(
    'Redis restarted during publishing: no crash, no unhandled rejection, delivery resumes within 5 s',
    async () => {
      const { url, socketPath } = await redisAddress(resources);
      const startRedis = () => startRedisServer(resources, socketPath);
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      resources.add(onUnhandled, (listener) => process.off('unhandledRejection', listener));
      const logged: string[] = [];
      const logger = {
        error: (m: string) => logged.push(m),
        warn: (m: string) => logged.push(m),
        info: (m: string) => logged.push(m),
      };

      let server = await startRedis();
      const prefix = uniquePrefix();
      const A = await startBusServer(resources, {
        transport: redisTransport({ url, prefix, logger, readyTimeout: 300 }),
      });
      const B = await startBusServer(resources, {
        transport: redisTransport({ url, prefix, logger, readyTimeout: 300 }),
      });
      const b = await member(resources, B);

      let sequence = 0;
      let running = true;
      const failures: unknown[] = [];
      const publishing = (async () => {
        while (running) {
          await A.bus.publish({ event: 'tick', data: [++sequence] }).catch((err) => failures.push(err));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      resources.add(null, async () => {
        running = false;
        await publishing;
      });

      await waitFor('ticks flowing', () => b.count('tick') >= 5);
      server.kill('SIGKILL');
      await server.exited();
      await waitFor('publishes refused while Redis is away', () => failures.length >= 3, { timeout: 10_000 });
      // Many publishes waiting at once: each is refused, none leaks a listener.
      const processWarnings: Error[] = [];
      const onWarning = (warning: Error) => processWarnings.push(warning);
      process.on('warning', onWarning);
      resources.add(onWarning, (listener) => process.off('warning', listener));
      const burst = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => A.bus.publish({ event: 'burst', data: [i] })),
      );
      expect(burst.every((r) => r.status === 'rejected' && r.reason.code === 'ERR_TRANSPORT')).toBe(true);
      expect(processWarnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      server = await startRedis();
      const publishedBeforeBack = sequence;
      await waitFor(
        'a tick published after Redis came back',
        () => b.events.some((e) => e.event === 'tick' && (e.args[0] as number) > publishedBeforeBack),
        { timeout: 5_000 },
      );
      running = false;
      await publishing;

      expect(failures.every((err) => err instanceof PublishError && err.code === 'ERR_TRANSPORT')).toBe(true);
      expect(unhandled).toEqual([]);
      expect(logged.some((w) => /publisher cannot reach Redis/.test(w))).toBe(true);
      expect(logged.some((w) => /subscriber reconnected to Redis/.test(w))).toBe(true);
      // Exactly once, outage or not: no tick arrived twice.
      const ticks = b.events.filter((e) => e.event === 'tick').map((e) => e.args[0]);
      expect(new Set(ticks).size).toBe(ticks.length);
    },
  );
});

describeRedis('adapterTransport over @socket.io/redis-adapter', () => {
  describeSemantics(
    'semantics table through the adapter (the default transport when an adapter links servers)',
    async () => {
      const key = uniquePrefix();
      const configure: Configure = async (io, resources) => {
        const pub = createClient({ url: redis.url });
        const sub = pub.duplicate();
        for (const c of [pub, sub]) {
          c.on('error', () => {});
          resources.add(c, (client) => client.close().catch(() => client.destroy()));
        }
        await Promise.all([pub.connect(), sub.connect()]);
        io.adapter(createAdapter(pub, sub, { key }) as any);
      };
      return [{}, {}, configure];
    },
  );

  const resources = new Resources();
  afterEach(() => resources.stopAll());

  test('the bus picks the adapter by itself when one links the servers', async () => {
    const pub = createClient({ url: redis.url });
    const sub = pub.duplicate();
    for (const c of [pub, sub]) resources.add(c, (client) => client.close().catch(() => client.destroy()));
    await Promise.all([pub.connect(), sub.connect()]);
    const A = await startBusServer(resources, {}, (io) => {
      io.adapter(createAdapter(pub, sub, { key: uniquePrefix() }) as any);
    });
    expect(A.bus.transport.name).toBe('adapter');
  });
});
