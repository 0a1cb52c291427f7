// examples/rate-limit-redis as real processes: two servers (two "hosts") sharing one Redis; a
// user's events count against one budget on both, another user's do not.
import { fileURLToPath } from 'node:url';
import {
  client,
  connected,
  describeWithRedis,
  Resources,
  request,
  startProcess,
  testRedisUrl,
} from '@pestras/micro-socket-testing';
import { createClient } from 'redis';
import { afterEach, expect, test } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const describeRedis = await describeWithRedis();

describeRedis('examples/rate-limit-redis: per-user limits across processes', () => {
  const resources = new Resources();
  afterEach(() => resources.stopAll());

  test('a user gets 5 events in all across two processes, then ERR_USER_RATE_LIMITED on either; another user is not affected', async () => {
    // a key prefix of this run only: the test touches no other key and deletes its own
    const prefix = `rate-limit-example-test:${process.pid}:${Date.now().toString(36)}`;
    const redis = createClient({ url: testRedisUrl() });
    await redis.connect();
    resources.add(redis, async (r) => {
      for await (const keys of r.scanIterator({ MATCH: `${prefix}:*` })) if (keys.length) await r.del(keys);
      await r.quit();
    });
    const [one, two] = await Promise.all(
      ['one', 'two'].map(async () => {
        const running = startProcess(resources, process.execPath, ['dist/main.js'], {
          cwd,
          env: { PORT: '0', REDIS_URL: testRedisUrl(), LIMIT_PREFIX: prefix, USER_POINTS: '5' },
        });
        const [, url] = await running.waitForOutput(/listening on (http:\/\/\S+)/);
        return url!;
      }),
    );
    const annOnOne = await connected(client(resources, one!, { auth: { user: 'ann' } }));
    const annOnTwo = await connected(client(resources, two!, { auth: { user: 'ann' } }));
    const bob = await connected(client(resources, two!, { auth: { user: 'bob' } }));

    for (const socket of [annOnOne, annOnTwo, annOnOne, annOnTwo, annOnOne]) {
      expect(await request(socket, 'say', 'hi')).toEqual({ delivered: true });
    }
    for (const socket of [annOnTwo, annOnOne]) {
      const answer = await request<{ error: { code: string; message: string } }>(socket, 'say', 'again');
      expect(answer.error.code).toBe('ERR_USER_RATE_LIMITED');
      expect(answer.error.message).toMatch(/retry in \d+ ms/);
    }
    expect(await request(bob, 'say', 'hello')).toEqual({ delivered: true });
    // the contract of 'say' refuses an empty message; the guard ran first: it took a point all the same
    expect(await request(bob, 'say', '')).toMatchObject({
      error: { code: 'ERR_VALIDATION', message: 'argument 0: a message is 1 to 1000 characters' },
    });
    expect(await redis.get(`${prefix}:bob`)).toBe('2');
    expect(await redis.exists(`${prefix}:ann`)).toBe(1);
  });
});
