// Section 5's servers: a node cluster primary with two workers, each worker a socket.io server on
// a port of its own; a message published on one worker reaches the room's sockets on the other.
// argv: <ipc|cluster-adapter|redis|redis-adapter> <key prefix>
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { answerCpuQuestions, type ClusterCpuSnapshot, clusterCpuProbe } from './cluster-cpu.js';
import { importOptional } from './config.js';
import { ROOM } from './handlers.js';
import { serve } from './proc.js';

const PUBLISH = '@pestras/micro-socket-publish';
const [variantArg = 'ipc', prefix = 'micro-socket-bench:'] = process.argv.slice(2);
// `ipc+fix`, `redis+fix`: the bus from the build named by BENCH_MODULE_OVERRIDE's
// `@pestras/micro-socket-publish+fix=<file>`, to measure a proposed fix beside the current one.
const variant = variantArg.replace(/\+fix$/, '');
const PUBLISH_MODULE = variantArg.endsWith('+fix') ? `${PUBLISH}+fix` : PUBLISH;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKERS = 2;
const commands: Record<string, (params: any) => unknown> = {};

/** Milliseconds on CLOCK_MONOTONIC, which every process on the machine shares. */
function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

type Publish = (stamp: number) => void;

async function redisClients() {
  const { createClient } = await import('redis');
  const pub = createClient({ url: REDIS_URL });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  return { pub, sub };
}

async function worker(): Promise<void> {
  const http = createServer();
  const io = new Server(http);
  let publish: Publish;
  if (variant === 'cluster-adapter') {
    const { createAdapter } = await import('@socket.io/cluster-adapter');
    io.adapter(createAdapter());
    publish = (stamp) => {
      io.to(ROOM).emit('m', stamp);
    };
  } else if (variant === 'redis-adapter') {
    const { createAdapter } = await import('@socket.io/redis-adapter');
    const { pub, sub } = await redisClients();
    io.adapter(createAdapter(pub, sub, { key: `${prefix}socket.io` }));
    publish = (stamp) => {
      io.to(ROOM).emit('m', stamp);
    };
  } else {
    const bus: Record<string, any> = await importOptional(PUBLISH_MODULE);
    const transport = variant === 'ipc' ? bus.ipcTransport() : bus.redisTransport({ url: REDIS_URL, prefix });
    const publishBus = new bus.PublishBus(io, { transport });
    await publishBus.ready();
    // Not awaited, like an adapter's emit: a failure is reported, the handler goes on.
    publish = (stamp) => {
      publishBus
        .publish({ event: 'm', data: [stamp], room: ROOM })
        .catch((err: unknown) => console.error('bench publish failed', err));
    };
  }

  io.on('connection', (socket: Socket) => {
    socket.on('join', (room: string, ack: (v: unknown) => void) => {
      socket.join(room);
      ack(true);
    });
    // Publishes `count` messages to the room, each stamped with the time it was published.
    socket.on('pub', (count: number) => {
      for (let i = 0; i < count; i++) publish(monotonicMs());
    });
  });
  answerCpuQuestions();
  process.on('disconnect', () => process.exit(0));
  // A normal exit, so that a CPU profile (BENCH_PROFILE) gets written.
  process.on('SIGTERM', () => process.exit(0));
  // exclusive: this worker's own port, not one shared and balanced by the primary.
  http.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
    process.send?.({ benchPort: (http.address() as AddressInfo).port });
  });
}

export interface ClusterCpu {
  /** CPU time so far, µs: the primary's, and each worker's by its listening port. */
  primary: number;
  workers: Record<number, number>;
}

/** Every process's CPU time so far, the workers' by their listening port. */
async function clusterCpu(
  ask: () => Promise<ClusterCpuSnapshot>,
  ports: Map<number, number>,
): Promise<ClusterCpu> {
  const snapshot = await ask();
  const workers: Record<number, number> = {};
  for (const [id, answer] of snapshot.workers) workers[ports.get(id)!] = answer.cpuUs;
  return { primary: snapshot.primaryUs, workers };
}

async function primary(): Promise<{ ports: number[] }> {
  if (variant === 'cluster-adapter') {
    const { setupPrimary } = await import('@socket.io/cluster-adapter');
    setupPrimary();
  } else if (variant === 'ipc') {
    const bus: Record<string, any> = await importOptional(PUBLISH_MODULE);
    bus.attachPublishRelay(cluster);
  }
  const ports = new Map<number, number>();
  const listening = new Promise<void>((resolve, reject) => {
    cluster.on('message', (w, message: { benchPort?: number }) => {
      if (typeof message?.benchPort !== 'number') return;
      ports.set(w.id, message.benchPort);
      if (ports.size === WORKERS) resolve();
    });
    cluster.on('exit', (w, code) => reject(new Error(`worker ${w.id} exited with ${code}`)));
  });
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  await listening;
  const ask = clusterCpuProbe();
  commands.cpu = () => clusterCpu(ask, ports);
  return { ports: [...ports.values()] };
}

if (cluster.isPrimary) {
  const stopWorkers = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill();
  };
  process.on('exit', stopWorkers);
  serve(commands, primary);
} else {
  worker().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
