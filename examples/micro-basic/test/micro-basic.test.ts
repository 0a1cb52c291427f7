import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  client,
  connected,
  nextEvent,
  Resources,
  request,
  startProcess,
  waitFor,
} from '@pestras/micro-socket-testing';
import { afterEach, describe, expect, it } from 'vitest';

const resources = new Resources();
afterEach(() => resources.stopAll());
const cwd = fileURLToPath(new URL('..', import.meta.url));
// The seed's defaults: this is the one test that uses the fixed port 3001.
const url = 'http://127.0.0.1:3001';

/**
 * Starts the example on the fixed port 3001. Another run of this test (a second checkout, a
 * parallel `pnpm test`) may hold the port for a while: then the plugin logs that it cannot listen,
 * and the start is retried until the deadline.
 */
async function startService() {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const service = startProcess(resources, process.execPath, ['dist/main.js'], {
      cwd,
    });
    const [outcome] = await service.waitForOutput(
      /socket\.io listening on 0\.0\.0\.0:3001|cannot listen on 0\.0\.0\.0:3001/,
    );
    if (outcome.startsWith('socket.io listening')) return { service, healthDir: service.healthDir };
    service.kill('SIGKILL');
    await service.exited();
    if (Date.now() > deadline) throw new Error('port 3001 stayed taken');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('examples/micro-basic (ESM, the seed README with the defaults)', { timeout: 60_000 }, () => {
  it('binds every decorator on the main server and on blog, reports health, and exits 0 on SIGTERM', async () => {
    const { service, healthDir } = await startService();

    await expect(connected(client(resources, url))).rejects.toThrow('a name is required');
    const ann = client(resources, url, { auth: { name: 'ann' } });
    const welcome = nextEvent(ann, 'welcome');
    await connected(ann);
    expect((await welcome)[0]).toEqual({ name: 'ann', online: 1 });
    const bob = await connected(client(resources, url, { auth: { name: 'bob' } }));

    const heard = nextEvent(bob, 'userLoggedIn');
    expect(await request(ann, 'userLoggedIn', 'ann')).toEqual({ user: 'ann', by: 'ann', online: 2 });
    expect((await heard)[0]).toBe('ann');
    expect(await request(ann, 'userLoggedIn', 42)).toEqual({
      error: { code: 'BAD_USER', message: 'a user is a string' },
    });
    expect(await request(ann, 'admin')).toEqual({ error: { code: 'FORBIDDEN', message: 'admins only' } });

    await expect(connected(client(resources, `${url}/blog`))).rejects.toThrow('members only');
    const reader = client(resources, `${url}/blog`, { auth: { member: true } });
    const blogWelcome = nextEvent(reader, 'welcome');
    await connected(reader);
    expect((await blogWelcome)[0]).toEqual({ namespace: '/blog', used: true });
    const writer = await connected(client(resources, `${url}/blog`, { auth: { member: true } }));
    const article = nextEvent(reader, 'newArticle');
    expect(await request(writer, 'newArticle', 'Hello')).toEqual({ saved: 'Hello', namespace: '/blog' });
    expect((await article)[0]).toBe('Hello');
    expect(await request(writer, 'newArticle', 'a', 'b', 'c', 'd')).toEqual({
      error: { code: 'TOO_MANY_ARGUMENTS', message: 'at most 3 arguments' },
    });

    const readerLeft = nextEvent(reader, 'reader left');
    const writerId = writer.id;
    writer.disconnect();
    expect((await readerLeft)[0]).toBe(writerId);
    const left = nextEvent(ann, 'left');
    bob.disconnect();
    expect((await left)[0]).toEqual({ name: 'bob', reason: 'client namespace disconnect' });

    const health = await waitFor('the health file', () =>
      JSON.parse(readFileSync(join(healthDir, '__health'), 'utf8')),
    );
    expect(health).toEqual({ healthy: true, ready: true, live: true });

    const cy = await connected(client(resources, url, { auth: { name: 'cy' } }));
    const down = nextEvent(cy, 'disconnect');
    const annLeft = nextEvent(cy, 'left');
    service.kill('SIGTERM');
    expect(await service.exited()).toEqual({ code: 0, signal: null });
    // A graceful shutdown closes the sockets one by one, running their DISCONNECT handlers with
    // socket.io's 'server shutting down', and flushes each connection before closing it: cy,
    // closed after ann, still receives ann's 'left'. An abrupt end (no drain) would not send it.
    expect((await annLeft)[0]).toEqual({ name: 'ann', reason: 'server shutting down' });
    expect((await down)[0]).toBe('transport close'); // no DISCONNECT packet: clients reconnect
  });

  it('runs RECONNECT for a session restored by connection state recovery', async () => {
    await startService();
    // Both get the welcome of the seed's CONNECT first; RECONNECT answers the restored session.
    for (const [path, auth, expected] of [
      ['', { name: 'ann' }, { name: 'ann' }],
      ['/blog', { member: true }, { namespace: '/blog' }],
    ] as const) {
      const socket = client(resources, `${url}${path}`, {
        auth,
        reconnection: true,
        reconnectionDelay: 50,
        reconnectionDelayMax: 50,
      });
      const welcome = nextEvent(socket, 'welcome');
      await connected(socket);
      await welcome;
      const back = nextEvent(socket, 'welcome back');
      socket.io.engine.close();
      expect((await back)[0]).toEqual(expected);
      expect(socket.recovered).toBe(true);
    }
  });

  it('closes its sockets and exits 0 on SIGINT; a client reconnects by itself once the service is back', async () => {
    const { service } = await startService();
    const ann = await connected(
      client(resources, url, { auth: { name: 'ann' }, reconnection: true, reconnectionDelay: 200 }),
    );
    const down = nextEvent<[string]>(ann, 'disconnect');
    service.kill('SIGINT');
    expect(await service.exited()).toEqual({ code: 0, signal: null });
    expect((await down)[0]).toBe('transport close');
    expect(service.output()).toMatch(/service exited with signal: SIGINT, code: 0/);

    const welcome = nextEvent(ann, 'welcome', 30_000);
    await startService();
    expect((await welcome)[0]).toEqual({ name: 'ann', online: 1 });
    expect(ann.connected).toBe(true);
  });
});
