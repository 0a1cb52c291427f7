// Socket.io servers in a process of their own, so that its CPU time is theirs alone.
// argv: <variants> <bench|idle20>, variants a comma-separated list of
//   raw           socket.io listeners written inline
//   binding       bindHandlers on a socket.io Server with socket.io's defaults (same as raw)
//   socketserver  SocketServer with the package's defaults (connection state recovery on)
// Several variants share the process (and its core, heap and JIT) on ports of their own; they
// are measured one at a time, so the process's CPU during a window is the loaded variant's.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bindHandlers, SocketServer } from '@pestras/micro-socket-server';
import { Server } from 'socket.io';
import { BENCH_RATE_LIMIT } from './config.js';
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

const [variantList = 'raw', handlerSet = 'bench'] = process.argv.slice(2);
const counters: Counters = { events: 0 };
const handlers = () =>
  handlerSet === 'idle20' ? [new (decoratedClass('Idle20', IDLE_EVENTS))()] : [new BenchHandlers(counters)];

// Raw socket.io has no rate limit, and each bench client sends thousands of events a second:
// the binding keeps its limiter in the path (each event pays its check) at limits never reached.
async function start(variant: string): Promise<{ io: Server; port: number }> {
  if (variant === 'socketserver') {
    const server = await new SocketServer({ port: 0, host: '127.0.0.1', rateLimit: BENCH_RATE_LIMIT }).start(
      handlers(),
    );
    return { io: server.io, port: server.port! };
  }
  const http = createServer();
  const io = new Server(http);
  if (variant === 'raw') {
    if (handlerSet === 'idle20') bindRawIdle(io);
    else bindRaw(io, counters);
  } else if (variant === 'binding') bindHandlers(io, handlers(), { rateLimit: BENCH_RATE_LIMIT });
  else throw new Error(`unknown variant ${variant}`);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { io, port: (http.address() as AddressInfo).port };
}

const commands: Record<string, (params: any) => unknown> = {};
serve(commands, async () => {
  const servers = new Map<string, { io: Server; port: number }>();
  for (const variant of variantList.split(',')) servers.set(variant, await start(variant));
  const clients = () => [...servers.values()].reduce((sum, s) => sum + s.io.engine.clientsCount, 0);
  Object.assign(commands, measurementCommands(counters, clients));
  const ports = Object.fromEntries([...servers].map(([variant, s]) => [variant, s.port]));
  return { port: servers.values().next().value!.port, ports };
});
