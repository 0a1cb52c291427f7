import type { IncomingMessage } from 'node:http';
import type { Logger } from '@pestras/micro-socket-core';
import type { Server } from 'socket.io';
import type { Engine } from './engine';

interface EngineConnection {
  id: string;
  prependListener(event: 'close', listener: (reason: string, description?: unknown) => void): unknown;
}

/**
 * How many oversize warnings are logged across all connections: a burst of 10, then one every
 * 10 s; the socket ids of a line are looked up only for a line that is logged.
 */
const OVERSIZE_WARNINGS = { burst: 10, intervalMs: 10_000 } as const;

/** The socket.io socket ids a connection serves, one per namespace it joined. */
function socketIds(io: Server, conn: object): string {
  const ids: string[] = [];
  for (const nsp of io._nsps.values()) {
    for (const socket of nsp.sockets.values()) if (socket.conn === conn) ids.push(socket.id);
  }
  return ids.length ? `socket ${ids.join(', ')}` : 'a client in no namespace yet';
}

/**
 * Logs at `warn`, once per connection, a client that sent a message over `maxHttpBufferSize`:
 * engine.io drops it without a word (closing a websocket with 1009, answering a polling POST
 * with 413). The line names the client's socket ids (not its engine.io session id, which is a
 * bearer token) and the limit.
 *
 * Costs nothing per message: one listener per connection, shared by all of them, and one header
 * comparison per POST to the http server. A polling POST is recognised by its `Content-Length`
 * (socket.io clients send one); the websocket case by the error ws 8 raises for it.
 */
export function warnOversizedMessages(io: Server, engine: Engine, logger: Required<Logger>): void {
  const warned = new WeakSet<object>();
  // engine.io's own default when the option is absent.
  const limit = () => engine.opts.maxHttpBufferSize ?? 1e6;
  // Connections cost an attacker nothing: across all of them, at most a burst of lines, then one
  // per interval, the ones left out counted in the next line.
  let budget: number = OVERSIZE_WARNINGS.burst;
  let refilled = performance.now();
  let suppressed = 0;
  const warn = (conn: object | undefined) => {
    if (!conn || warned.has(conn)) return;
    warned.add(conn);
    const now = performance.now();
    budget = Math.min(OVERSIZE_WARNINGS.burst, budget + (now - refilled) / OVERSIZE_WARNINGS.intervalMs);
    refilled = now;
    if (budget < 1) {
      suppressed++;
      return;
    }
    budget--;
    const more = suppressed ? ` (${suppressed} more such clients not logged since the last line)` : '';
    suppressed = 0;
    logger.warn(
      `micro-socket: ${socketIds(io, conn)} sent a message over maxHttpBufferSize (${limit()} bytes): engine.io dropped the message and the client's transport${more}`,
    );
  };
  function onClose(this: EngineConnection, reason: string, description?: unknown): void {
    const message = (description as { message?: unknown } | undefined)?.message;
    if (reason === 'transport error' && String(message).includes('Max payload size exceeded')) warn(this);
  }
  engine.on('connection', (conn: EngineConnection) => {
    // Before socket.io's own listener, which removes the connection's sockets.
    conn.prependListener('close', onClose);
  });
  const http = io.httpServer as { on?(event: 'request', listener: (req: IncomingMessage) => void): unknown };
  const path = io.path();
  http?.on?.('request', (req: IncomingMessage) => {
    if (req.method !== 'POST') return;
    const length = Number(req.headers['content-length']);
    if (!(length > limit()) || !req.url?.startsWith(path)) return;
    const sid = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1)).get('sid');
    const clients = (engine as unknown as { clients: Record<string, object> }).clients;
    if (sid && Object.hasOwn(clients, sid)) warn(clients[sid]);
  });
}
