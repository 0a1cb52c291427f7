// Test support shared by this package's tests and its cluster fixture; not exported by the package.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Server, Socket } from 'socket.io';
import type { PublishBus } from './bus';
import { PublishError } from './errors';

/**
 * Lets a test client drive a bus: `join(room, ack)`, `publish(message, options, ack)`; the ack
 * answers `{ ok: true }` or `{ error: { code, message } }`. Installed on every given namespace.
 */
export function servePublishCommands(io: Server, bus: PublishBus, namespaces: string[] = ['/']): void {
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

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundles a TypeScript fixture of this package into an ES module next to the package's
 * node_modules (so its external imports resolve), and returns the file's path.
 */
export function bundleFixture(entry: string, name: string): string {
  const outDir = `${packageDir}node_modules/.fixtures`;
  mkdirSync(outDir, { recursive: true });
  const outfile = `${outDir}/${name}-${process.pid}.mjs`;
  const result = spawnSync(
    `${packageDir}../../node_modules/.bin/esbuild`,
    [
      fileURLToPath(new URL(entry, import.meta.url)),
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20',
      '--packages=external',
      `--alias:@pestras/micro-socket-core=${packageDir}../core/src/index.ts`,
      `--outfile=${outfile}`,
      '--log-level=warning',
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0)
    throw new Error(`bundling ${entry} failed:\n${result.stderr}${result.error ?? ''}`);
  return outfile;
}

/** Records every event a client receives, to count deliveries. */
export function recordEvents(socket: {
  onAny(listener: (event: string, ...args: unknown[]) => void): unknown;
}): Array<{ event: string; args: unknown[] }> {
  const events: Array<{ event: string; args: unknown[] }> = [];
  socket.onAny((event, ...args) => events.push({ event, args }));
  return events;
}
