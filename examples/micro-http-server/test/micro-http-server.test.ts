import { fileURLToPath } from 'node:url';
import {
  client,
  connected,
  nextEvent,
  Resources,
  request,
  startProcess,
} from '@pestras/micro-socket-testing';
import { afterEach, describe, expect, it } from 'vitest';

const resources = new Resources();
afterEach(() => resources.stopAll());
const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('examples/micro-http-server (MicroSocket on another plugin’s http server)', () => {
  it('serves http routes and socket.io on the one port, and exits 0 on SIGTERM', async () => {
    const service = startProcess(resources, process.execPath, ['dist/main.js'], { cwd, env: { PORT: '0' } });
    const [, port] = await service.waitForOutput(/MicroWeb: http listening on port (\d+)/);
    await service.waitForOutput(/MicroSocket: socket\.io attached to the given http server/);
    expect(service.output()).toMatch(/MicroWeb\.server before start: null/);
    const url = `http://127.0.0.1:${port}`;

    const response = await fetch(`${url}/articles`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ articles: ['Hello', 'World'] });
    expect((await fetch(`${url}/nothing`)).status).toBe(404);

    const reader = client(resources, url);
    const welcome = nextEvent(reader, 'welcome');
    await connected(reader);
    expect((await welcome)[0]).toEqual({ transport: 'polling' });
    expect(await request(reader, 'articles')).toEqual({ articles: ['Hello', 'World'], via: 'socket.io' });
    const ws = await connected(client(resources, url, { transports: ['websocket'] }));
    expect(await request(ws, 'articles')).toMatchObject({ via: 'socket.io' });

    const down = nextEvent(reader, 'disconnect');
    service.kill('SIGTERM');
    expect(await service.exited()).toEqual({ code: 0, signal: null });
    await down;
  });
});
