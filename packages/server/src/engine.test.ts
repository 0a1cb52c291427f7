// The guards that read engine.io (slow consumers, oversized messages), on a server bound before
// it is attached, and the warning for a message over maxHttpBufferSize.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENT } from '@pestras/micro-socket-core';
import {
  client,
  connected,
  nextEvent,
  pollingSession,
  Resources,
  request,
  waitFor,
} from '@pestras/micro-socket-testing';
import { Server, type Socket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger, startSocketServer } from '../test/helpers';
import { bindHandlers } from './bind';

const resources = new Resources();
afterEach(() => resources.stopAll());

class Echo {
  @EVENT('echo') echo(_io: Server, _socket: Socket, text: string) {
    return text;
  }
  @EVENT('burst') burst(_io: Server, socket: Socket) {
    socket.emit('big', 'x'.repeat(64 * 1024)); // one packet over maxBufferedBytes below
  }
}

describe('bindHandlers on a server that is not attached yet', () => {
  for (const how of ['io.attach(httpServer)', 'io.listen(0)'] as const) {
    it(`binds, and the slow-consumer guard applies once attached: ${how}`, async () => {
      const logger = memoryLogger();
      const io = new Server({ transports: ['websocket'] });
      bindHandlers(io, [new Echo()], { logger, maxBufferedBytes: 16 * 1024 });
      resources.add(io, (server) => server.close());
      let port: number;
      if (how === 'io.listen(0)') {
        io.listen(0);
        await waitFor('the http server listening', () => io.httpServer.listening);
        port = (io.httpServer.address() as AddressInfo).port;
      } else {
        const http = createServer();
        io.attach(http);
        await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
        port = (http.address() as AddressInfo).port;
      }
      const socket = await connected(
        client(resources, `http://127.0.0.1:${port}`, { transports: ['websocket'] }),
      );
      expect(await request(socket, 'echo', 'hello')).toBe('hello');
      const gone = nextEvent<[string]>(socket, 'disconnect');
      socket.emit('burst');
      expect((await gone)[0]).toBe('transport close');
      expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
        expect.stringMatching(/dropped client .*maxBufferedBytes 16384/),
      ]);
    });
  }
});

describe('a message over maxHttpBufferSize', () => {
  const LIMIT = 10_000;
  const warnings = (logger: ReturnType<typeof memoryLogger>) =>
    logger.lines
      .filter((l) => l.level === 'warn' && /maxHttpBufferSize/.test(l.message))
      .map((l) => l.message);

  it('is logged at warn once, with the socket id and the limit (websocket)', async () => {
    const { url, logger } = await startSocketServer(resources, [new Echo()], {
      serverOptions: { maxHttpBufferSize: LIMIT },
    });
    const socket = await connected(client(resources, url, { transports: ['websocket'] }));
    const id = socket.id;
    const gone = nextEvent<[string]>(socket, 'disconnect');
    socket.emit('echo', 'x'.repeat(LIMIT + 1));
    expect((await gone)[0]).toBe('transport close');
    await waitFor('the warning', () => warnings(logger).length > 0);
    expect(warnings(logger)).toEqual([
      `micro-socket: socket ${id} sent a message over maxHttpBufferSize (${LIMIT} bytes): engine.io dropped the message and the client's transport`,
    ]);
  });

  it('is logged at warn once per connection, however often a polling client sends one', async () => {
    const { url, logger } = await startSocketServer(resources, [new Echo()], {
      serverOptions: { maxHttpBufferSize: LIMIT },
    });
    const socket = await connected(client(resources, url, { transports: ['polling'] }));
    const sid = socket.io.engine.id;
    const post = () =>
      fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: 'POST',
        body: `42["echo","${'x'.repeat(LIMIT)}"]`,
      });
    expect((await post()).status).toBe(413);
    expect((await post()).status).toBe(413);
    // a small message afterwards is served: the session is still there, and the log is complete
    expect(await request(socket, 'echo', 'small')).toBe('small');
    expect(warnings(logger)).toEqual([
      `micro-socket: socket ${socket.id} sent a message over maxHttpBufferSize (${LIMIT} bytes): engine.io dropped the message and the client's transport`,
    ]);
  });
});

describe('oversize warnings under a flood of connections', () => {
  it('log at most a burst of 10 lines across connections, however many clients send one', async () => {
    const LIMIT = 10_000;
    const { url, logger } = await startSocketServer(resources, [new Echo()], {
      serverOptions: { maxHttpBufferSize: LIMIT },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const session = await pollingSession(url);
      statuses.push(await session.post([`42["echo","${'x'.repeat(LIMIT)}"]`]));
    }
    expect(statuses.every((status) => status === 413)).toBe(true);
    const lines = logger.lines.filter((l) => l.level === 'warn' && /maxHttpBufferSize/.test(l.message));
    // 10 at once; the bucket refills one line per 10 s, so a slow run may show one more
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.length).toBeLessThanOrEqual(12);
  });
});
