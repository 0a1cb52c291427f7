// A socket.io server in its own process, so that its CPU time is its own.
// argv: <raw|binding|socketserver> <bench|idle20>
//   raw           socket.io listeners written inline
//   binding       bindHandlers on a socket.io Server with socket.io's defaults (same as raw)
//   socketserver  SocketServer with the package's defaults (connection state recovery on)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bindHandlers, SocketServer } from '@pestras/micro-socket-server';
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
const handlers = () =>
  handlerSet === 'idle20' ? [new (decoratedClass('Idle20', IDLE_EVENTS))()] : [new BenchHandlers(counters)];

async function start(): Promise<{ io: Server; port: number }> {
  if (variant === 'socketserver') {
    const server = await new SocketServer({ port: 0, host: '127.0.0.1' }).start(handlers());
    return { io: server.io, port: server.port! };
  }
  const http = createServer();
  const io = new Server(http);
  if (variant === 'raw') {
    if (handlerSet === 'idle20') bindRawIdle(io);
    else bindRaw(io, counters);
  } else bindHandlers(io, handlers());
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { io, port: (http.address() as AddressInfo).port };
}

const commands: Record<string, (params: any) => unknown> = {};
serve(commands, async () => {
  const { io, port } = await start();
  Object.assign(
    commands,
    measurementCommands(counters, () => io.engine.clientsCount),
  );
  return { port };
});
