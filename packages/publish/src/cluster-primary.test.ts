import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { createServer as createNetServer, connect as netConnect } from 'node:net';
import { client, connected, nextEvent, Resources, request, waitFor } from '@pestras/micro-socket-testing';
import { Server } from 'socket.io';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { bundleFixture } from '../test/helpers';
import { type ClusterPrimary, type ClusterPrimaryOptions, startClusterPrimary } from './cluster-primary';
import { PublishError } from './errors';
import { serveStickyWorker } from './sticky-worker';

const resources = new Resources();
afterEach(() => resources.stopAll());
let exec: string;
beforeAll(() => {
  exec = bundleFixture('./fixtures/cluster-primary.ts', 'cluster-primary-worker');
});

const quiet = { error() {}, warn() {}, info() {}, debug() {} };

async function start(options: Partial<ClusterPrimaryOptions> & { mode?: string } = {}) {
  const { mode = 'serve', ...rest } = options;
  const events: string[] = [];
  const primary = await startClusterPrimary({
    workers: 2,
    port: 0,
    host: '127.0.0.1',
    exec,
    execArgv: [],
    env: { FIXTURE_MODE: mode },
    logger: quiet,
    ...rest,
  });
  resources.add(primary, (p) => p.close());
  primary.on('online', (w) => events.push(`online ${w.id}`));
  primary.on('ready', (w) => events.push(`ready ${w.id}`));
  primary.on('exit', (w, code, signal) => events.push(`exit ${w.id} ${code ?? signal}`));
  return { primary, events, url: `http://127.0.0.1:${primary.port}` };
}

async function readyCount(primary: ClusterPrimary, count: number) {
  await waitFor(`${count} ready workers`, () => primary.readyWorkers().length === count, { timeout: 15_000 });
}

/** Sends raw bytes, resolves with everything the primary answered before closing. */
function raw(port: number, bytes: string, { end = false } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => {
      if (end) socket.end(bytes);
      else socket.write(bytes);
    });
    let answer = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

describe('startClusterPrimary', () => {
  test('forks the workers, reports them, and routes polling-only clients to their sessions', async () => {
    const { primary, events, url } = await start();
    await readyCount(primary, 2);
    expect(primary.workers()).toHaveLength(2);
    const clients = await Promise.all(
      Array.from({ length: 6 }, () => connected(client(resources, url, { transports: ['polling'] }), 10_000)),
    );
    const answers = [];
    for (let round = 0; round < 3; round++) {
      for (const socket of clients)
        answers.push(await request<{ workerId: number; sid: string }>(socket, 'whoami'));
    }
    expect(new Set(answers.map((a) => a.workerId)).size).toBe(2);
    for (const answer of answers) expect(answer.sid.startsWith(`${answer.workerId}.`)).toBe(true);
    expect(events.filter((e) => e.startsWith('ready')).sort()).toEqual(
      primary
        .workers()
        .map((w) => `ready ${w.id}`)
        .sort(),
    );
  });

  test("learns the workers' engine.io path and body limit", async () => {
    const { primary, url } = await start({ mode: 'custom-path' });
    await readyCount(primary, 2);
    const clients = await Promise.all(
      Array.from({ length: 4 }, () =>
        connected(client(resources, url, { path: '/ws', transports: ['polling'] }), 10_000),
      ),
    );
    const answers = [];
    for (const socket of clients)
      answers.push(await request<{ workerId: number; sid: string }>(socket, 'whoami'));
    expect(new Set(answers.map((a) => a.workerId)).size).toBe(2);
    const big = `42${JSON.stringify(['unheard', 'x'.repeat(1_500_000)])}`;
    const response = await fetch(`${url}/ws/?EIO=4&transport=polling&sid=${answers[0]!.sid}`, {
      method: 'POST',
      body: big,
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    expect(await request(clients[0]!, 'whoami')).toMatchObject({ workerId: answers[0]!.workerId });
  });

  test('replaces a worker that dies; its sessions get a clean 400 and its clients reconnect elsewhere', async () => {
    const { primary, events, url } = await start({ restartDelay: 50 });
    await readyCount(primary, 2);
    const socket = await connected(
      client(resources, url, { transports: ['polling'], reconnection: true, reconnectionDelay: 50 }),
      10_000,
    );
    const before = await request<{ workerId: number; sid: string }>(socket, 'whoami');
    const victim = primary.workers().find((w) => w.id === before.workerId)!;
    const reconnected = nextEvent(socket, 'connect', 10_000);
    victim.process.kill('SIGKILL');
    await waitFor(
      'a replacement',
      () => primary.workers().every((w) => w !== victim) && primary.readyWorkers().length === 2,
      {
        timeout: 15_000,
      },
    );
    expect(events).toContain(`exit ${victim.id} SIGKILL`);
    const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${before.sid}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: 1, message: 'Session ID unknown' });
    await reconnected;
    const after = await request<{ workerId: number }>(socket, 'whoami');
    expect(after.workerId).not.toBe(victim.id);
  });

  test('routes nothing more to a worker that stopped serving, not even its own sessions', async () => {
    const { primary, url } = await start();
    await readyCount(primary, 2);
    const sessions: Array<{ workerId: number; sid: string }> = [];
    while (new Set(sessions.map((s) => s.workerId)).size < 2) {
      const socket = await connected(client(resources, url, { transports: ['polling'] }), 10_000);
      sessions.push(await request<{ workerId: number; sid: string }>(socket, 'whoami'));
    }
    const stopping = primary.workers().find((w) => w.id === sessions[0]!.workerId)!;
    stopping.send('fixture:stop-sticky');
    await waitFor('one ready worker', () => primary.readyWorkers().length === 1);
    const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sessions[0]!.sid}`);
    expect(response.status).toBe(400);
    for (let i = 0; i < 4; i++) {
      const socket = await connected(client(resources, url), 10_000);
      expect(await request(socket, 'whoami')).toMatchObject({ workerId: primary.readyWorkers()[0]!.id });
    }
  });

  test('holds a handshake until a worker is ready, then answers 503 after routeTimeout', async () => {
    const { primary, url } = await start({ mode: 'never-ready', routeTimeout: 300 });
    await waitFor('workers online', () => primary.workers().length === 2);
    const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
    expect(response.status).toBe(503);
  });

  test('hands over a request whose body arrives after its head, body included', async () => {
    const { primary, url } = await start();
    await readyCount(primary, 2);
    const handshake = await (await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).text();
    const { sid } = JSON.parse(handshake.slice(1)) as { sid: string };
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = netConnect(primary.port, '127.0.0.1', () => {
        socket.write(
          `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n4`,
        );
        setTimeout(() => socket.write('0'), 100);
      });
      let text = '';
      socket.setEncoding('latin1').on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer.endsWith('\r\n\r\nok')).toBe(true);
  });

  test('refuses hostile or slow connections without disturbing the others', async () => {
    const { primary, url } = await start({ routeTimeout: 300, maxHeaderSize: 1024 });
    await readyCount(primary, 2);
    const healthy = await connected(client(resources, url), 10_000);
    expect(await raw(primary.port, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400 /,
    );
    expect(await raw(primary.port, `GET / HTTP/1.1\r\nX: ${'a'.repeat(2000)}`)).toMatch(/^HTTP\/1\.1 431 /);
    expect(await raw(primary.port, 'GET /socket.io/?EIO=4 HTTP/1.1\r\nHost: slow')).toMatch(
      /^HTTP\/1\.1 408 /,
    );
    expect(await raw(primary.port, 'GET /socket.io/?EIO=4&transport=polling HTTP/1.1', { end: true })).toBe(
      '',
    );
    expect(await request(healthy, 'whoami')).toMatchObject({ workerId: expect.any(Number) });
  });

  test('close() sends SIGTERM, then SIGKILL to a worker still running after shutdownTimeout', async () => {
    const { primary, events } = await start({ mode: 'ignore-sigterm', shutdownTimeout: 300 });
    await readyCount(primary, 2);
    const ids = primary.workers().map((w) => w.id);
    await primary.close();
    expect(primary.workers()).toEqual([]);
    expect(events.filter((e) => e.startsWith('exit')).sort()).toEqual(
      ids.map((id) => `exit ${id} SIGKILL`).sort(),
    );
    await expect(fetch(`http://127.0.0.1:${primary.port}/`)).rejects.toThrow();
  });

  test('close() lets well-behaved workers exit 0 and replaces nobody', async () => {
    const { primary, events } = await start({ restartDelay: 0 });
    await readyCount(primary, 2);
    await primary.close();
    await primary.close();
    expect(events.filter((e) => e.startsWith('exit'))).toHaveLength(2);
    expect(events.filter((e) => e.startsWith('exit')).every((e) => e.endsWith(' 0'))).toBe(true);
    expect(cluster.workers && Object.keys(cluster.workers)).toEqual([]);
  });

  test('refuses bad options and a port in use with a PublishError', async () => {
    await expect(startClusterPrimary({ workers: 0, port: 0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
    });
    await expect(startClusterPrimary({ workers: 1, port: 70_000 })).rejects.toBeInstanceOf(PublishError);
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    resources.add(taken, (s) => new Promise((resolve) => s.close(resolve)));
    const port = (taken.address() as { port: number }).port;
    await expect(start({ port })).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    expect(cluster.workers && Object.keys(cluster.workers)).toEqual([]);
  });
});

describe('serveStickyWorker', () => {
  test('refuses to run outside a cluster worker, or on a socket.io server without an http server', () => {
    const http = createServer();
    expect(() => serveStickyWorker(new Server(http), http)).toThrow(
      expect.objectContaining({ code: 'ERR_NO_IPC' }),
    );
    const worker = { id: 1, channel: { send: () => true, on() {}, off() {} } };
    expect(() => serveStickyWorker(new Server(), undefined, { worker })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }),
    );
  });
});
