// One cluster worker: a socket.io server on its own http server that does not listen (the
// primary owns the port and hands connections over; requests outside socket.io get 404), the IPC
// publish bus, and the chat handlers.
import cluster from 'node:cluster';
import { serveStickyWorker } from '@pestras/micro-socket-cluster';
import { ipcTransport, PublishBus } from '@pestras/micro-socket-publish';
import { SocketServer } from '@pestras/micro-socket-server';
import { ClusterChat } from './chat.js';

export async function runWorker(): Promise<void> {
  const workerId = cluster.worker?.id ?? 0;
  const server = new SocketServer({
    listen: false,
    serverOptions: { pingInterval: 5_000, pingTimeout: 5_000 },
    // The handlers' events as an AsyncAPI 3.0 document at GET /asyncapi.json, from every worker.
    asyncapi: { path: '/asyncapi.json', title: 'cluster example', version: '1.0.0' },
  });
  // The bus needs the socket.io server the handlers are bound to; no client reaches a handler
  // before serveStickyWorker below, by which time the bus exists.
  let bus!: PublishBus;
  const chat = new ClusterChat((message, options) => bus.publish(message, options), {
    workerId,
    pid: process.pid,
  });
  await server.start([chat]);
  bus = new PublishBus(server.io, { transport: ipcTransport() });
  await bus.ready();
  const sticky = serveStickyWorker(server.io);
  console.log(
    `worker ${workerId} pid ${process.pid} ready, ${Math.round(process.uptime() * 1000)} ms after its start`,
  );

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`worker ${workerId} pid ${process.pid} draining (${signal})`);
    // No new sessions here; the open ones (polling ones too) drain: their acks, then the disconnect.
    sticky.close();
    await server.close({ timeout: 4_000 });
    await bus.close();
    console.log(`worker ${workerId} pid ${process.pid} stopped (${signal})`);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
