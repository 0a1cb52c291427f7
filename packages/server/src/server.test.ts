import { createServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { EVENT } from '@pestras/micro-socket-core';
import { client, connected, nextEvent, Resources, request, waitFor } from '@pestras/micro-socket-testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startSocketServer } from '../test/helpers';
import { SocketError } from './errors';
import { DEFAULT_HOST, DEFAULT_PORT, SocketServer, toServerOptions } from './server';

const resources = new Resources();
afterEach(() => resources.stopAll());

class Echo {
  @EVENT('echo') echo(_io: unknown, _socket: unknown, value: unknown) {
    return value;
  }
}

async function borrowedHttpServer(): Promise<{ http: HttpServer; url: string }> {
  const http = createServer((req, res) => res.end(`app:${req.url}`));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  resources.add(http, (h) => new Promise((resolve) => h.close(resolve)));
  return { http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

describe('SocketServer', () => {
  it("defaults to the seed's port 3001 and host 0.0.0.0, connection state recovery on, CORS closed", () => {
    expect([DEFAULT_PORT, DEFAULT_HOST]).toEqual([3001, '0.0.0.0']);
    const options = toServerOptions({});
    expect(options.connectionStateRecovery).toEqual({
      maxDisconnectionDuration: 120_000,
      skipMiddlewares: true,
    });
    expect(options.cors).toBeUndefined();
    expect(toServerOptions({ serverOptions: { connectionStateRecovery: false } })).not.toHaveProperty(
      'connectionStateRecovery',
    );
    const adapter = class {} as never;
    expect(toServerOptions({ adapter }).adapter).toBe(adapter);
  });

  it('creates, serves and closes its own http server', async () => {
    const server = await new SocketServer({ port: 0, host: '127.0.0.1' }).start([new Echo()]);
    resources.add(server, (s) => s.close());
    const url = `http://127.0.0.1:${server.port}`;
    const socket = await connected(client(resources, url));
    expect(await request(socket, 'echo', 'hi')).toBe('hi');
    const outside = await fetch(`${url}/not-socket-io`);
    expect(outside.status).toBe(404);
    const gone = nextEvent(socket, 'disconnect');
    await server.close();
    await gone;
    await expect(fetch(`${url}/socket.io/?EIO=4&transport=polling`)).rejects.toThrow();
    await server.close(); // a second close is harmless
  });

  it('with listen: false creates its own http server without listening; connections given to it are served, 404 outside socket.io', async () => {
    const server = await new SocketServer({ listen: false }).start([new Echo()]);
    resources.add(server, (s) => s.close());
    expect(server.port).toBeUndefined();
    expect(server.httpServer.listening).toBe(false);
    // What a cluster primary does: it owns the port and gives each connection to the server.
    const front = createNetServer((socket) => server.httpServer.emit('connection', socket));
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    resources.add(front, (f) => new Promise((resolve) => f.close(resolve)));
    const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const socket = await connected(client(resources, url));
    expect(await request(socket, 'echo', 'given')).toBe('given');
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
    const gone = nextEvent(socket, 'disconnect');
    await server.close();
    await gone;
  });

  it('attaches to a borrowed http server, given directly or by a function, and leaves it listening', async () => {
    for (const given of ['instance', 'function'] as const) {
      const { http, url } = await borrowedHttpServer();
      const sockets = new SocketServer(null, given === 'instance' ? http : () => http);
      await sockets.start([new Echo()]);
      const socket = await connected(client(resources, url));
      expect(await request(socket, 'echo', given)).toBe(given);
      expect(await (await fetch(`${url}/hello`)).text()).toBe('app:/hello');
      await sockets.close();
      expect(http.listening).toBe(true);
      expect(await (await fetch(`${url}/again`)).text()).toBe('app:/again');
      // socket.io's routes are gone with it: the app answers them now
      expect(await (await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).text()).toMatch(/^app:/);
    }
  });

  it('refuses a server function that returns nothing, a second start and a port in use', async () => {
    await expect(new SocketServer(null, () => null).start()).rejects.toMatchObject({
      code: 'ERR_NO_HTTP_SERVER',
    });
    const first = await new SocketServer({ port: 0, host: '127.0.0.1' }).start();
    resources.add(first, (s) => s.close());
    await expect(first.start()).rejects.toBeInstanceOf(SocketError);
    const clash = new SocketServer({ port: first.port, host: '127.0.0.1' });
    await expect(clash.start()).rejects.toMatchObject({ code: 'ERR_LISTEN' });
    expect(() => new SocketServer().io).toThrow(SocketError);
  });
});

describe('secure defaults', () => {
  const PREFLIGHT = {
    Origin: 'https://evil.example',
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'content-type',
  };

  it('secure defaults: CORS is closed unless configured, and then open to the configured origins only', async () => {
    const closed = await startSocketServer(resources, [new Echo()]);
    const endpoint = `${closed.url}/socket.io/?EIO=4&transport=polling`;
    const preflight = await fetch(endpoint, { method: 'OPTIONS', headers: PREFLIGHT });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const handshake = await fetch(endpoint, { headers: { Origin: 'https://evil.example' } });
    expect(handshake.status).toBe(200); // answered, but a browser will not let the page read it
    expect(handshake.headers.get('access-control-allow-origin')).toBeNull();
    expect(handshake.headers.get('access-control-allow-credentials')).toBeNull();
    // end that polling session, which would otherwise hold the server's graceful close
    const { sid } = JSON.parse((await handshake.text()).slice(1));
    await fetch(`${endpoint}&sid=${sid}`, { method: 'POST', body: '1' });

    const open = await startSocketServer(resources, [new Echo()], {
      serverOptions: { cors: { origin: ['https://app.example'] } },
    });
    const configured = `${open.url}/socket.io/?EIO=4&transport=polling`;
    const allowed = await fetch(configured, {
      method: 'OPTIONS',
      headers: { ...PREFLIGHT, Origin: 'https://app.example' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await fetch(configured, { method: 'OPTIONS', headers: PREFLIGHT });
    expect(other.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
  });

  it('secure defaults: an oversized message (over maxHttpBufferSize, 1 MB) drops only its sender', async () => {
    expect(toServerOptions({}).maxHttpBufferSize).toBe(1_000_000);
    const { url, server } = await startSocketServer(resources, [new Echo()]);
    const bystander = await connected(client(resources, url));
    const big = 'x'.repeat(1_100_000);
    for (const transport of ['websocket', 'polling'] as const) {
      const sender = await connected(client(resources, url, { transports: [transport] }));
      const dropped = nextEvent<[string]>(sender, 'disconnect');
      sender.emit('echo', big);
      expect((await dropped)[0]).toMatch(/transport (close|error)/);
      expect(await request(bystander, 'echo', transport)).toBe(transport);
    }
    await waitFor('the server to let both senders go', () => server.io.engine.clientsCount === 1);
    expect(await request(bystander, 'echo', 'x'.repeat(900_000))).toHaveLength(900_000);
  });
});
