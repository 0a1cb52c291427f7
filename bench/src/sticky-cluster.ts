// Section 7's servers: a node cluster whose primary owns the port and routes every request to the
// worker holding its socket.io session, with two workers. The workers run the same socket.io
// server (raw handlers, an http server that does not listen) on both sides; only the sticky glue
// differs: @pestras/micro-socket-cluster (startClusterPrimary + serveStickyWorker) or
// @socket.io/sticky 2 (setupMaster + setupWorker, round robin like ours).
// argv: <micro-socket-cluster|socket.io-sticky>
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveStickyWorker, startClusterPrimary } from '@pestras/micro-socket-cluster';
import { setupMaster, setupWorker } from '@socket.io/sticky';
import { Server } from 'socket.io';
import { answerCpuQuestions, type ClusterCpuSnapshot, clusterCpuProbe } from './cluster-cpu.js';
import { bindRaw } from './handlers.js';
import { serve } from './proc.js';

const variant = process.argv[2] ?? 'micro-socket-cluster';
if (variant !== 'micro-socket-cluster' && variant !== 'socket.io-sticky')
  throw new Error(`sticky-cluster: unknown variant ${variant}`);
const WORKERS = 2;

interface ReadyMessage {
  benchWorkerReady?: boolean;
}

async function worker(): Promise<void> {
  // Requests outside socket.io's path (none in the bench) get 404, as SocketServer answers them.
  const http = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const io = new Server(http);
  bindRaw(io, { events: 0 });
  let httpRequests = 0;
  const count = () => {
    httpRequests++;
  };
  http.on('request', count);
  http.on('upgrade', count);
  answerCpuQuestions(() => ({ httpRequests }));
  if (variant === 'socket.io-sticky') setupWorker(io);
  else serveStickyWorker(io);
  // A normal exit, so that a CPU profile (BENCH_PROFILE) gets written.
  process.on('SIGTERM', () => process.exit(0));
  process.send?.({ benchWorkerReady: true } satisfies ReadyMessage);
}

/** What the bench asks the primary for after a window: CPU so far, µs, and the workers' counts. */
export interface StickyClusterCpu {
  primaryUs: number;
  workersUs: number;
  /** HTTP requests and websocket upgrades the workers received so far. */
  httpRequests: number;
}

function sum(snapshot: ClusterCpuSnapshot): StickyClusterCpu {
  let workersUs = 0;
  let httpRequests = 0;
  for (const answer of snapshot.workers.values()) {
    workersUs += answer.cpuUs;
    httpRequests += answer.counters.httpRequests ?? 0;
  }
  return { primaryUs: snapshot.primaryUs, workersUs, httpRequests };
}

/**
 * The workers' execArgv: with BENCH_PROFILE, their profiles go to a directory of their own
 * (`<primary's>-workers`), so that the primary's profile is read alone.
 */
function workerExecArgv(): string[] {
  return process.execArgv.map((arg) =>
    arg.startsWith('--cpu-prof-dir=') ? `${arg.replace(/\/+$/, '')}-workers` : arg,
  );
}

async function primary(): Promise<{ port: number }> {
  let readyWorkers = 0;
  const workersReady = new Promise<void>((resolve, reject) => {
    cluster.on('message', (_w, message: ReadyMessage) => {
      if (message?.benchWorkerReady === true && ++readyWorkers === WORKERS) resolve();
    });
    cluster.on('exit', (w, code, signal) => reject(new Error(`worker ${w.id} exited (${signal ?? code})`)));
  });
  let port: number;
  if (variant === 'socket.io-sticky') {
    // As its README sets it up: Buffers cross the IPC channel as Buffers, not as JSON.
    cluster.setupPrimary({ execArgv: workerExecArgv(), serialization: 'advanced' });
    const http = createServer();
    setupMaster(http, { loadBalancingMethod: 'round-robin' });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', resolve);
    });
    port = (http.address() as AddressInfo).port;
    for (let i = 0; i < WORKERS; i++) cluster.fork();
  } else {
    const started = await startClusterPrimary({
      workers: WORKERS,
      port: 0,
      host: '127.0.0.1',
      execArgv: workerExecArgv(),
    });
    port = started.port;
  }
  await workersReady;
  const ask = clusterCpuProbe();
  commands.cpu = async () => sum(await ask());
  return { port };
}

const commands: Record<string, (params: any) => unknown> = {};

if (cluster.isPrimary) {
  process.on('exit', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill();
  });
  serve(commands, primary);
} else {
  worker().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
