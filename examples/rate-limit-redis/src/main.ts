// One process of the example; start two on different ports with the same Redis, and a user's
// events count against one budget on both.
//   PORT=3001 node dist/main.js
//   PORT=3002 node dist/main.js
import { SocketServer } from '@pestras/micro-socket-server';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import { pushedEvents } from './events.js';
import { UserLimitedChat } from './user-limit.js';

const redis = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
redis.on('error', (err) => console.error('redis:', err.message));
await redis.connect();

const limiter = new RateLimiterRedis({
  storeClient: redis,
  useRedisPackage: true,
  keyPrefix: process.env.LIMIT_PREFIX ?? 'rate-limit-example',
  // 10 events per user per 10 seconds, across every connection of the user
  points: Number(process.env.USER_POINTS ?? 10),
  duration: 10,
});

const host = process.env.HOST ?? '127.0.0.1';
const server = await new SocketServer({
  port: Number(process.env.PORT ?? 3001),
  host,
  // The events' contracts as an AsyncAPI 3.0 document, at GET /asyncapi.json.
  asyncapi: {
    path: '/asyncapi.json',
    title: 'rate-limit example',
    version: '1.0.0',
    emits: { default: pushedEvents },
  },
}).start([new UserLimitedChat(limiter)]);
console.log(`rate-limit example listening on http://${host}:${server.port}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await server.close({ timeout: 4_000 });
    await redis.quit();
    process.exit(0);
  });
}
