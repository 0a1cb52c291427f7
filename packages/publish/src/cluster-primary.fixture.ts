// A cluster worker for cluster-primary.test.ts: socket.io on a non-listening http server served
// through serveStickyWorker. FIXTURE_MODE picks a misbehaviour: 'never-ready' (never serves),
// 'ignore-sigterm' (outlives SIGTERM). The message 'fixture:stop-sticky' closes the sticky worker.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { serveStickyWorker } from './sticky-worker';

const mode = process.env.FIXTURE_MODE ?? 'serve';
const http = createServer();
// 'custom-path': socket.io on /ws with a 2 MB body limit, which the primary learns from the worker.
const io = new Server(http, mode === 'custom-path' ? { path: '/ws', maxHttpBufferSize: 2e6 } : {});
io.on('connection', (socket) => {
  socket.on('whoami', (ack: (reply: unknown) => void) =>
    ack({
      workerId: cluster.worker?.id,
      pid: process.pid,
      sid: (socket.conn as unknown as { id: string }).id,
    }),
  );
});

if (mode === 'ignore-sigterm') {
  process.on('SIGTERM', () => {});
} else {
  process.once('SIGTERM', () => {
    io.close();
    process.exit(0);
  });
}
if (mode !== 'never-ready') {
  const sticky = serveStickyWorker(io, http);
  process.on('message', (message) => {
    if (message === 'fixture:stop-sticky') sticky.close();
  });
}
