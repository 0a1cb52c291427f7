// examples/redis as real processes: two servers on their own ports sharing Redis through the
// publish bus; real socket.io clients on both check every row of the semantics table, once.
import { fileURLToPath } from 'node:url';
import {
  client,
  connected,
  describeWithRedis,
  Resources,
  request,
  startProcess,
  testRedisUrl,
  waitFor,
} from '@pestras/micro-socket-testing';
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterEach, expect, test } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const describeRedis = await describeWithRedis();

interface Member {
  socket: ClientSocket;
  id: string;
  /** How many `event`s carrying `text` arrived. */
  count(event: string, text: string): number;
  received(event: string, text: string): Array<Record<string, unknown>>;
}

describeRedis('examples/redis: two processes sharing Redis through the publish bus', () => {
  const resources = new Resources();
  afterEach(() => resources.stopAll());

  async function startProcesses() {
    const prefix = `redis-example-test:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2)}:`;
    const urls = await Promise.all(
      ['one', 'two'].map(async (name) => {
        const running = startProcess(resources, process.execPath, ['dist/main.js'], {
          cwd,
          env: { PORT: '0', NAME: name, REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix },
        });
        const [, url] = await running.waitForOutput(/listening on (http:\/\/\S+)/);
        return url!;
      }),
    );
    return { one: urls[0]!, two: urls[1]! };
  }

  async function member(url: string, rooms: string[] = [], namespace = '/'): Promise<Member> {
    const socket = await connected(client(resources, `${url}${namespace}`, { transports: ['websocket'] }));
    const events: Array<{ event: string; message: Record<string, unknown> }> = [];
    socket.onAny((event, message) => events.push({ event, message }));
    for (const room of rooms) await request(socket, 'join', room);
    const received = (event: string, text: string) =>
      events.filter((e) => e.event === event && e.message?.text === text).map((e) => e.message);
    return { socket, id: socket.id!, received, count: (event, text) => received(event, text).length };
  }

  // a1, a2 on process one; b1, b2, b3 on two; room r holds a2, b1, b3; c1 (two) and c2 (one) read /blog.
  async function scene() {
    const { one, two } = await startProcesses();
    const a1 = await member(one, ['everyone']);
    const a2 = await member(one, ['everyone', 'r']);
    const b1 = await member(two, ['everyone', 'r']);
    const b2 = await member(two, ['everyone']);
    const b3 = await member(two, ['everyone', 'r']);
    const c1 = await member(two, [], '/blog');
    const c2 = await member(one, [], '/blog');
    const all = { a1, a2, b1, b2, b3, c1, c2 };
    const counts = (event: string, text: string) =>
      Object.fromEntries(Object.entries(all).map(([name, m]) => [name, m.count(event, text)]));
    // Everything published before a fence has arrived once the fence has: Redis and socket.io keep order.
    const settle = async () => {
      const mark = `fence ${Math.random()}`;
      expect(await request(a1.socket, 'say', 'everyone', mark)).toEqual({ ok: true });
      expect(await request(c1.socket, 'post', mark)).toEqual({ ok: true });
      await waitFor(
        `fence at every member`,
        () =>
          [a1, a2, b1, b2, b3].every((m) => m.count('message', mark) === 1) &&
          [c1, c2].every((m) => m.count('article', mark) === 1),
      );
    };
    return { ...all, counts, settle };
  }

  test('neither room nor socketId: every socket of the namespace on both processes, once (emitted locally, published to the other)', async () => {
    const s = await scene();
    expect(await request(s.a1.socket, 'announce', 'hello all')).toEqual({ ok: true });
    await s.settle();
    expect(s.counts('announcement', 'hello all')).toEqual({
      a1: 1,
      a2: 1,
      b1: 1,
      b2: 1,
      b3: 1,
      c1: 0,
      c2: 0,
    });
    expect(s.b2.received('announcement', 'hello all')[0]).toMatchObject({ from: s.a1.id, process: 'one' });
  });

  test('room: the sockets in that room on both processes, once', async () => {
    const s = await scene();
    expect(await request(s.b2.socket, 'say', 'r', 'room news')).toEqual({ ok: true });
    await s.settle();
    expect(s.counts('message', 'room news')).toEqual({ a1: 0, a2: 1, b1: 1, b2: 0, b3: 1, c1: 0, c2: 0 });
  });

  test('namespace: the readers of /blog on both processes, once', async () => {
    const s = await scene();
    expect(await request(s.c2.socket, 'post', 'an article')).toEqual({ ok: true });
    await s.settle();
    expect(s.counts('article', 'an article')).toEqual({ a1: 0, a2: 0, b1: 0, b2: 0, b3: 0, c1: 1, c2: 1 });
  });

  test('socketId, broadcast false: that one socket, on whichever process it is connected, once', async () => {
    const s = await scene();
    expect(await request(s.a1.socket, 'whisper', s.b2.id, 'psst remote')).toEqual({ ok: true });
    expect(await request(s.a1.socket, 'whisper', s.a2.id, 'psst local')).toEqual({ ok: true });
    await s.settle();
    expect(s.counts('whisper', 'psst remote')).toEqual({ a1: 0, a2: 0, b1: 0, b2: 1, b3: 0, c1: 0, c2: 0 });
    expect(s.counts('whisper', 'psst local')).toEqual({ a1: 0, a2: 1, b1: 0, b2: 0, b3: 0, c1: 0, c2: 0 });
  });

  test('socketId, broadcast true: everyone in the namespace but the sender, on both processes, once', async () => {
    const s = await scene();
    expect(await request(s.b1.socket, 'shout', 'not me')).toEqual({ ok: true });
    await s.settle();
    expect(s.counts('shout', 'not me')).toEqual({ a1: 1, a2: 1, b1: 0, b2: 1, b3: 1, c1: 0, c2: 0 });
  });

  test('socketId, broadcast true, room: everyone in the room but the sender, once', async () => {
    const s = await scene();
    expect(await request(s.b1.socket, 'shout', 'room, not me', 'r')).toEqual({ ok: true });
    await s.settle();
    expect(s.counts('shout', 'room, not me')).toEqual({ a1: 0, a2: 1, b1: 0, b2: 0, b3: 1, c1: 0, c2: 0 });
  });

  test('a bad request gets a clear error in its ack and disturbs nobody', async () => {
    const s = await scene();
    expect(await request(s.a1.socket, 'say', 'no such room!', 'x')).toEqual({
      error: { code: 'BAD_ROOM', message: 'a room name is 1 to 32 letters, digits, _ or -' },
    });
    expect(await request(s.a1.socket, 'whisper', 42, 'x')).toMatchObject({
      error: { code: 'BAD_SOCKET_ID' },
    });
    await s.settle();
    expect(s.counts('message', 'x')).toEqual({ a1: 0, a2: 0, b1: 0, b2: 0, b3: 0, c1: 0, c2: 0 });
  });
});
