import cluster, { type Worker } from 'node:cluster';
import {
  type BundledFixture,
  client,
  connected,
  Resources,
  request,
  waitFor,
} from '@pestras/micro-socket-testing';
import { setupPrimary as setupClusterAdapterPrimary } from '@socket.io/cluster-adapter';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { bundleFixture, recordEvents } from '../test/helpers';
import { PROTOCOL } from './codec';
import { PublishError } from './errors';
import { attachPublishRelay, ipcTransport } from './ipc';

interface FixtureWorker {
  worker: Worker;
  url: string;
  transport: string;
  logs: Array<{ fixtureLog: string; message: unknown }>;
}

/** Forks `count` fixture workers (see test/fixtures/ipc.ts) and waits until each listens. */
async function forkWorkers(fixture: string, count: number, env: Record<string, string> = {}) {
  cluster.setupPrimary({ exec: fixture, execArgv: [] });
  const workers: FixtureWorker[] = [];
  for (let i = 0; i < count; i++) {
    const worker = cluster.fork(env);
    const entry: FixtureWorker = { worker, url: '', transport: '', logs: [] };
    worker.on('message', (message: any) => {
      if (message?.fixturePort) {
        entry.url = `http://127.0.0.1:${message.fixturePort}`;
        entry.transport = message.transport;
      }
      if (message?.fixtureLog) entry.logs.push(message);
    });
    workers.push(entry);
  }
  await waitFor('every worker listening', () => workers.every((w) => w.url), { timeout: 15_000 });
  return workers;
}

async function stopWorkers(workers: FixtureWorker[]) {
  await Promise.all(
    workers.map(async ({ worker }) => {
      if (worker.isDead()) return;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGKILL');
      await exited;
    }),
  );
}

let fixture = '';
let bundled: BundledFixture | undefined;
beforeAll(() => {
  bundled = bundleFixture('./fixtures/ipc.ts');
  fixture = bundled.path;
});
afterAll(() => {
  bundled?.remove();
});

function connecting(resources: Resources, workers: FixtureWorker[]) {
  return async (index: number, namespace = '/') => {
    const socket = await connected(
      client(resources, `${workers[index]!.url}${namespace}`, { transports: ['websocket'] }),
    );
    return { socket, events: recordEvents(socket) };
  };
}

describe('ipcTransport and attachPublishRelay across real cluster workers', () => {
  const resources = new Resources();
  let workers: FixtureWorker[] = [];
  let detach: () => void;
  let connectTo: ReturnType<typeof connecting>;

  beforeAll(async () => {
    detach = attachPublishRelay(cluster);
    workers = await forkWorkers(fixture, 3);
    connectTo = connecting(resources, workers);
  });

  afterEach(() => resources.stopAll());

  afterAll(async () => {
    detach?.();
    await stopWorkers(workers);
  });

  test('a cluster worker picks ipc as its default transport', () => {
    expect(workers.map((w) => w.transport)).toEqual(['ipc', 'ipc', 'ipc']);
  });

  test('a message published on one worker reaches the sockets of every other worker once, Buffers intact', async () => {
    const publisher = await connectTo(0);
    const second = await connectTo(1);
    const third = await connectTo(2);
    const payload = { bytes: Buffer.from([0, 1, 2, 255]), nested: [{ $: 'literal dollar key' }], at: 'x' };
    expect(await request(publisher.socket, 'publish', { event: 'news', data: [payload, 2] }, {})).toEqual({
      ok: true,
    });
    // A fence published after: once every receiver has it, the counts above are final.
    await request(publisher.socket, 'publish', { event: 'fence', data: [] }, { includeSelf: true });
    await waitFor('fence everywhere', () =>
      [publisher, second, third].every((c) => c.events.some((e) => e.event === 'fence')),
    );
    for (const receiver of [second, third]) {
      const news = receiver.events.filter((e) => e.event === 'news');
      expect(news).toHaveLength(1);
      const [received, two] = news[0]!.args as [any, number];
      expect(Buffer.from(received.bytes)).toEqual(Buffer.from([0, 1, 2, 255]));
      expect(received.nested).toEqual([{ $: 'literal dollar key' }]);
      expect(two).toBe(2);
    }
    expect(publisher.events.filter((e) => e.event === 'news')).toHaveLength(0);
  });

  test('includeSelf delivers to the publishing worker too, exactly once per worker', async () => {
    const clients = [await connectTo(0), await connectTo(1), await connectTo(2)];
    await request(clients[1]!.socket, 'publish', { event: 'all', data: [1] }, { includeSelf: true });
    await request(clients[1]!.socket, 'publish', { event: 'fence', data: [] }, { includeSelf: true });
    await waitFor('fence everywhere', () => clients.every((c) => c.events.some((e) => e.event === 'fence')));
    expect(clients.map((c) => c.events.filter((e) => e.event === 'all').length)).toEqual([1, 1, 1]);
  });

  test('a direct message finds its socket on whichever worker it is connected', async () => {
    const publisher = await connectTo(0);
    const target = await connectTo(2, '/blog');
    const bystander = await connectTo(1, '/blog');
    await request(
      publisher.socket,
      'publish',
      { event: 'dm', data: ['for you'], namespace: 'blog', socketId: target.socket.id },
      {},
    );
    await waitFor('the direct message', () => target.events.some((e) => e.event === 'dm'));
    await request(publisher.socket, 'publish', { event: 'fence', data: [], namespace: 'blog' }, {});
    await waitFor('fence', () => bystander.events.some((e) => e.event === 'fence'));
    await waitFor('fence', () => target.events.some((e) => e.event === 'fence'));
    expect(target.events.filter((e) => e.event === 'dm').map((e) => e.args)).toEqual([['for you']]);
    expect(bystander.events.some((e) => e.event === 'dm')).toBe(false);
  });

  test('the relay forwards no foreign message, and a worker drops a malformed bus packet and keeps working', async () => {
    // Every worker announced its port to the primary through IPC; none of that was forwarded.
    expect(workers.flatMap((w) => w.logs.filter((l) => l.fixtureLog === 'foreign'))).toEqual([]);
    const receiver = await connectTo(1);
    const publisher = await connectTo(0);
    workers[1]!.worker.send({
      type: PROTOCOL,
      payload: '{"p":"@pestras/micro-socket-publish","v":1,"id":"x"',
    });
    workers[1]!.worker.send({
      type: PROTOCOL,
      payload: JSON.stringify({ p: PROTOCOL, v: 1, id: 'i', origin: 'o', m: { event: 'connect', data: [] } }),
    });
    await waitFor(
      'two dropped packets logged',
      () => workers[1]!.logs.filter((l) => l.fixtureLog === 'warn').length === 2,
    );
    expect(workers[1]!.worker.isConnected()).toBe(true);
    await request(publisher.socket, 'publish', { event: 'still', data: ['alive'] }, {});
    await waitFor('delivery after the bad packets', () => receiver.events.some((e) => e.event === 'still'));
  });
});

describe('adapterTransport over @socket.io/cluster-adapter across real cluster workers', () => {
  const resources = new Resources();
  let workers: FixtureWorker[] = [];
  let detach: () => void;
  let connectTo: ReturnType<typeof connecting>;

  beforeAll(async () => {
    setupClusterAdapterPrimary();
    // As startClusterPrimary does: the relay runs too, and must leave the adapter's messages alone.
    detach = attachPublishRelay(cluster);
    workers = await forkWorkers(fixture, 3, { FIXTURE_ADAPTER: 'cluster' });
    connectTo = connecting(resources, workers);
  });

  afterEach(() => resources.stopAll());

  afterAll(async () => {
    detach?.();
    await stopWorkers(workers);
  });

  test('the bus picks the adapter by itself and every worker delivers once, rooms and exclusions included', async () => {
    expect(workers.map((w) => w.transport)).toEqual(['adapter', 'adapter', 'adapter']);
    const publisher = await connectTo(0);
    const local = await connectTo(0);
    const second = await connectTo(1);
    const third = await connectTo(2);
    const clients = [publisher, local, second, third];
    const join = (c: (typeof clients)[number]) => request(c.socket, 'join', 'r');
    await Promise.all([join(local), join(third)]);
    const publish = (message: object, options: object = {}) =>
      request(publisher.socket, 'publish', message, options);
    expect(await publish({ event: 'others', data: [Buffer.from([7])] })).toEqual({ ok: true });
    expect(await publish({ event: 'everyone', data: [] }, { includeSelf: true })).toEqual({ ok: true });
    expect(await publish({ event: 'room', data: [], room: 'r' }, { includeSelf: true })).toEqual({
      ok: true,
    });
    expect(
      await publish(
        { event: 'not-third', data: [], room: 'r', socketId: third.socket.id, broadcast: true },
        { includeSelf: true },
      ),
    ).toEqual({ ok: true });
    expect(await publish({ event: 'fence', data: [] }, { includeSelf: true })).toEqual({ ok: true });
    await waitFor('fence everywhere', () => clients.every((c) => c.events.some((e) => e.event === 'fence')));
    const counts = (event: string) => clients.map((c) => c.events.filter((e) => e.event === event).length);
    expect(counts('others')).toEqual([0, 0, 1, 1]);
    expect(counts('everyone')).toEqual([1, 1, 1, 1]);
    expect(counts('room')).toEqual([0, 1, 0, 1]);
    expect(counts('not-third')).toEqual([0, 1, 0, 0]);
    expect(Buffer.from(second.events.find((e) => e.event === 'others')?.args[0] as Buffer)).toEqual(
      Buffer.from([7]),
    );
  });
});

describe('ipcTransport outside a cluster', () => {
  test('refuses a process without an IPC channel with a clear error', () => {
    const noChannel = { on() {}, off() {} };
    expect(() => ipcTransport(noChannel)).toThrow(PublishError);
    expect(() => ipcTransport(noChannel)).toThrow(/no IPC channel/);
  });
});
