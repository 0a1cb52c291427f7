// One host of the example: socket.io with the Lobby handlers and connection state recovery (on by
// default), on @socket.io/redis-streams-adapter, so any host can restore a session another held.
//   PORT=3001 NAME=one node dist/main.js
//   PORT=3002 NAME=two node dist/main.js
import { SocketServer } from '@pestras/micro-socket-server';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import { Lobby, pushedEvents } from './lobby.js';

const port = Number(process.env.PORT ?? 3001);
const host = process.env.HOST ?? '127.0.0.1';
const name = process.env.NAME ?? `pid-${process.pid}`;
const prefix = process.env.REDIS_PREFIX ?? 'redis-recovery-example:';
// `memory`: socket.io's default in-memory adapter instead (bounded by recoveryLimits), under
// which a session is restored only by the host that held it: the test's negative control.
const inMemory = process.env.RECOVERY_ADAPTER === 'memory';

const redis = inMemory
  ? undefined
  : await createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' })
      .on('error', (err) => console.error(`${name}: redis: ${err}`))
      .connect();

const server = await new SocketServer({
  port,
  host,
  logger: console,
  // The handlers' events as an AsyncAPI 3.0 document, at GET /asyncapi.json.
  asyncapi: {
    path: '/asyncapi.json',
    title: 'redis-recovery example',
    version: '1.0.0',
    emits: { default: pushedEvents },
  },
  adapter:
    redis &&
    createAdapter(redis, {
      // Every name this adapter writes in Redis starts with the prefix: one stream of broadcasts,
      // one key per disconnected session (expiring after the recovery window), pub/sub channels.
      streamName: `${prefix}stream`,
      sessionKeyPrefix: `${prefix}session:`,
      channelPrefix: `${prefix}channel`,
      // What recovery can replay is what the stream still holds: the last ~10,000 broadcasts of
      // all hosts together (trimmed by count, not age or bytes). 10,000 covers the 2-minute
      // window at ~80 broadcasts per second across the hosts; `recoveryLimits` does not apply.
      maxLen: Number(process.env.REDIS_MAXLEN ?? 10_000),
    }),
}).start([new Lobby(name)]);
console.log(`${name} listening on http://${host}:${server.port}${inMemory ? ' (in-memory adapter)' : ''}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await server.close();
    await redis?.close();
    console.log(`${name} closed`);
    process.exit(0);
  });
}
