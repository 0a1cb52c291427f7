// A small chat on @pestras/micro-socket-core + -server alone, no Micro: rooms, acks, and a token
// checked in HANDSHAKE. Compiled by tsc with TC39 standard decorators (no experimentalDecorators).
import { SocketServer } from '@pestras/micro-socket-server';
import { Chat } from './chat.js';
import { pushedEvents } from './events.js';
import { closeOnSignals } from './shutdown.js';

const server = await new SocketServer({
  port: Number(process.env.PORT ?? 3001),
  host: process.env.HOST ?? '127.0.0.1',
  // The events' contracts as an AsyncAPI 3.0 document, at GET /asyncapi.json.
  asyncapi: {
    path: '/asyncapi.json',
    title: 'standalone chat',
    version: '1.0.0',
    emits: { default: pushedEvents },
  },
}).start([new Chat()]);
console.log(`standalone chat listening on http://${process.env.HOST ?? '127.0.0.1'}:${server.port}`);

// Orchestrators wait ~10 s after SIGTERM before SIGKILL; 4 s leaves room to spare.
closeOnSignals(server, 4_000, (line) => console.log(`standalone chat ${line}`));
