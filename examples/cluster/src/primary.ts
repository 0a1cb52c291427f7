// The cluster primary: owns the port, keeps the workers running, routes every request to the
// worker owning its socket.io session and relays the publish bus between workers.
import { startClusterPrimary } from '@pestras/micro-socket-cluster';
import { attachPublishRelay } from '@pestras/micro-socket-publish';

export async function runPrimary(): Promise<void> {
  const primary = await startClusterPrimary({
    workers: Number(process.env.WORKERS ?? 2),
    port: Number(process.env.PORT ?? 3001),
    host: process.env.HOST ?? '127.0.0.1',
    handleSignals: true,
    // The publish bus between workers goes through the primary.
    hooks: [attachPublishRelay],
  });
  primary.on('exit', (worker, code, signal) => {
    console.log(`worker ${worker.id} pid ${worker.process.pid} exited (${signal ?? `code ${code}`})`);
  });
  console.log(`cluster primary pid ${process.pid} listening on http://${primary.host}:${primary.port}`);
}
