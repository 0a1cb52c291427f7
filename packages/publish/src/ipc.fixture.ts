// A cluster worker for ipc.test.ts: socket.io on port 0 with a PublishBus on its default
// transport (ipc in a cluster worker, or the cluster adapter with FIXTURE_ADAPTER=cluster);
// reports its port to the primary.
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/cluster-adapter';
import { Server, type Socket } from 'socket.io';
import { PublishBus } from './bus';
import { PROTOCOL } from './codec';
import { PublishError } from './errors';

/**
 * Lets a test client drive a bus: `join(room, ack)`, `publish(message, options, ack)`; the ack
 * answers `{ ok: true }` or `{ error: { code, message } }`. Installed on every given namespace.
 */
function servePublishCommands(io: Server, bus: PublishBus, namespaces: string[] = ['/']): void {
  for (const name of namespaces) {
    io.of(name).on('connection', (socket: Socket) => {
      socket.on('join', async (room: string, ack: (reply: unknown) => void) => {
        await socket.join(room);
        ack({ ok: true });
      });
      socket.on('publish', (message: any, options: any, ack: (reply: unknown) => void) => {
        bus.publish(message, options ?? {}).then(
          () => ack({ ok: true }),
          (err: unknown) =>
            ack({
              error: {
                code: err instanceof PublishError ? err.code : 'UNEXPECTED',
                message: String((err as Error)?.message ?? err),
              },
            }),
        );
      });
    });
  }
}

const http = createServer();
const io = new Server(http);
// FIXTURE_ADAPTER=cluster: the servers share @socket.io/cluster-adapter, and the bus uses it.
const withAdapter = process.env.FIXTURE_ADAPTER === 'cluster';
if (withAdapter) io.adapter(createAdapter());
const bus = new PublishBus(io, {
  logger: {
    error: (message, ...meta) => process.send?.({ fixtureLog: 'error', message, meta: String(meta) }),
    warn: (message, ...meta) => process.send?.({ fixtureLog: 'warn', message, meta: String(meta) }),
  },
});
servePublishCommands(io, bus, ['/', '/blog']);
// Anything else reaching this worker would mean the relay forwarded a message it should ignore.
process.on('message', (message: any) => {
  if (!withAdapter && message?.type !== PROTOCOL) process.send?.({ fixtureLog: 'foreign', message });
});
// exclusive: each worker gets a port of its own, so a test can reach a chosen worker.
http.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
  const address = http.address();
  process.send?.({
    fixturePort: typeof address === 'object' && address ? address.port : 0,
    transport: bus.transport.name,
  });
});
