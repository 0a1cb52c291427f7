import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  answerNotFound,
  describeValue,
  integerOptionMessage,
  isIntegerIn,
  listenOn,
  sendToWorkers,
  settlesWithin,
} from './index';

describe('settlesWithin', () => {
  it('is true when the work settles first (resolved or rejected), false when the deadline passes', async () => {
    expect(await settlesWithin(Promise.resolve(1), 1_000)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('x')), 1_000)).toBe(true);
    expect(await settlesWithin(new Promise(() => {}), 20)).toBe(false);
    expect(await settlesWithin(Promise.resolve(), 0)).toBe(false); // no time at all: no wait
  });

  it('leaves no timer behind once the work settled', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await settlesWithin(Promise.resolve(), 60_000);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });
});

describe('describeValue', () => {
  it('names values without their contents', () => {
    expect(describeValue('blog')).toBe('"blog"');
    expect(describeValue('x'.repeat(100))).toBe(`"${'x'.repeat(40)}..."`);
    expect(describeValue([1, 'a', null])).toBe('[number 1, "a", null]');
    expect(describeValue(Array.from({ length: 8 }, (_, i) => i))).toContain('... 3 more');
    expect(describeValue({ password: 'secret' })).toBe('an object');
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue(undefined)).toBe('undefined');
  });
});

describe('isIntegerIn / integerOptionMessage', () => {
  it('accepts integers in range only, and words the failure once', () => {
    expect(isIntegerIn(0, 0, 10)).toBe(true);
    expect(isIntegerIn(10, 0, 10)).toBe(true);
    for (const bad of [-1, 11, 1.5, Number.NaN, '3', null, undefined])
      expect(isIntegerIn(bad, 0, 10)).toBe(false);
    expect(integerOptionMessage('port', '80', 0, 65535)).toBe(
      'port must be an integer from 0 to 65535, got "80"',
    );
  });
});

describe('listenOn / answerNotFound', () => {
  it('listens, answers 404, and rejects with the server error when the port is taken', async () => {
    const first = createServer(answerNotFound);
    await listenOn(first, 0, '127.0.0.1');
    try {
      const { port } = first.address() as AddressInfo;
      const req = request({ host: '127.0.0.1', port, path: '/nothing' }).end();
      const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
      res.resume();
      expect(res.statusCode).toBe(404);

      const second = createServer();
      const listening = second.listenerCount('listening'); // http.Server has one of its own
      await expect(listenOn(second, port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(second.listenerCount('error')).toBe(0);
      expect(second.listenerCount('listening')).toBe(listening);
    } finally {
      await new Promise((resolve) => first.close(resolve));
    }
  });
});

describe('sendToWorkers', () => {
  it('sends to every connected worker but the sender, and survives a worker that is going away', () => {
    const sent: number[] = [];
    const worker = (id: number, connected = true, throws = false) => ({
      id,
      isConnected: () => connected,
      send: () => {
        if (throws) throw new Error('channel closed');
        sent.push(id);
      },
    });
    const workers = [worker(1), worker(2), undefined, worker(3, false), worker(4, true, true), worker(5)];
    expect(() => sendToWorkers(workers, { hello: true }, { id: 2 })).not.toThrow();
    expect(sent).toEqual([1, 5]);
  });
});
