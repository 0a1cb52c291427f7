// Helpers for this package's tests: a real SocketServer on port 0 and a logger that remembers.
import type { Resources } from '../../../testing';
import type { Logger } from './logger';
import { type SocketIOOptions, SocketServer } from './server';

export interface MemoryLogger extends Logger {
  readonly lines: Array<{ level: string; message: string; meta: unknown[] }>;
}

export function memoryLogger(): MemoryLogger {
  const lines: MemoryLogger['lines'] = [];
  const at =
    (level: string) =>
    (message: string, ...meta: unknown[]) =>
      lines.push({ level, message, meta });
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

export async function startSocketServer(
  resources: Resources,
  handlers: object[],
  options: SocketIOOptions = {},
): Promise<{ server: SocketServer; url: string; logger: MemoryLogger }> {
  const logger = memoryLogger();
  const server = await new SocketServer({ port: 0, host: '127.0.0.1', logger, ...options }).start(handlers);
  resources.add(server, (s) => s.close());
  return { server, url: `http://127.0.0.1:${server.port}`, logger };
}
