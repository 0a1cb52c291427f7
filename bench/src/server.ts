// A socket.io server in its own process, so that its CPU time is its own.
// argv: <raw|binding> <bench|idle20>
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bindHandlers } from '@pestras/micro-socket-server';
import { Server } from 'socket.io';
import {
  BenchHandlers,
  bindRaw,
  bindRawIdle,
  type Counters,
  decoratedClass,
  IDLE_EVENTS,
} from './handlers.js';
import { measurementCommands } from './measure.js';
import { serve } from './proc.js';

const [variant = 'raw', handlerSet = 'bench'] = process.argv.slice(2);
const counters: Counters = { events: 0 };

const http = createServer();
const io = new Server(http);

if (handlerSet === 'idle20') {
  if (variant === 'raw') bindRawIdle(io);
  else bindHandlers(io, [new (decoratedClass('Idle20', IDLE_EVENTS))()]);
} else if (variant === 'raw') {
  bindRaw(io, counters);
} else {
  bindHandlers(io, [new BenchHandlers(counters)]);
}

serve(
  measurementCommands(counters, () => io.engine.clientsCount),
  async () => {
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return { port: (http.address() as AddressInfo).port };
  },
);
