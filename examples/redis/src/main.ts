// One process of the example: socket.io with the Newsroom handlers, linked to the other
// processes through Redis by the publish bus. Start two on different ports (see `both.ts`).
//   PORT=3001 NAME=one node dist/main.js
//   PORT=3002 NAME=two node dist/main.js
import { createServer } from 'node:http';
import { PublishBus, redisTransport } from '@pestras/micro-socket-publish';
import { SocketServer } from '@pestras/micro-socket-server';
import { Newsroom } from './newsroom.js';

const port = Number(process.env.PORT ?? 3001);
const host = process.env.HOST ?? '127.0.0.1';
const name = process.env.NAME ?? `pid-${process.pid}`;

// The bus needs the socket.io server, and the handlers need the bus: the handlers publish
// through this variable, set before the port opens.
let bus: PublishBus | undefined;
const newsroom = new Newsroom(name, (message, options) => {
  if (!bus) throw new Error('the bus is not ready');
  return bus.publish(message, options);
});

// An http server of our own, so nothing is accepted before the bus listens on Redis.
const http = createServer();
const server = await new SocketServer(
  // The handlers' events as an AsyncAPI 3.0 document, at GET /asyncapi.json.
  { logger: console, asyncapi: { path: '/asyncapi.json', title: 'redis example', version: '1.0.0' } },
  http,
).start([newsroom]);
bus = new PublishBus(server.io, {
  transport: redisTransport({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: process.env.REDIS_PREFIX ?? 'redis-example:',
  }),
});
await bus.ready();
await new Promise<void>((resolve) => http.listen(port, host, resolve));
const address = http.address();
const actualPort = typeof address === 'object' && address ? address.port : port;
console.log(`${name} listening on http://${host}:${actualPort}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await server.close();
    await bus?.close();
    console.log(`${name} closed`);
    process.exit(0);
  });
}
