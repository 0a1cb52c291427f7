import nodeCluster from 'node:cluster';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { Socket as NetSocket } from 'node:net';
import type { Server } from 'socket.io';
import { ClusterError } from './errors';
import {
  isStickyMessage,
  STICKY_MESSAGE_KEY,
  type StickyReadyMessage,
  type StickyStoppingMessage,
  stickySessionId,
} from './sticky-session';

/**
 * What {@link serveStickyWorker} needs of the worker process: its cluster worker id and IPC
 * channel. Defaults to `node:cluster`'s worker and `process`.
 *
 * @example
 * ```ts
 * const worker: StickyWorkerProcess = { id: cluster.worker!.id, channel: process };
 * ```
 */
export interface StickyWorkerProcess {
  readonly id: number;
  readonly channel: {
    send?(
      message: unknown,
      handle?: undefined,
      options?: undefined,
      callback?: (err: Error | null) => void,
    ): boolean;
    on(event: 'message', listener: (message: unknown, handle?: unknown) => void): unknown;
    off(event: 'message', listener: (message: unknown, handle?: unknown) => void): unknown;
  };
}

/**
 * Options of {@link serveStickyWorker}.
 *
 * @example
 * ```ts
 * serveStickyWorker(io, httpServer, { worker: { id: cluster.worker!.id, channel: process } });
 * ```
 */
export interface StickyWorkerOptions {
  /** The cluster worker and its IPC channel; the current `node:cluster` worker by default. */
  worker?: StickyWorkerProcess;
  /**
   * Milliseconds a handed-over connection may take to complete its request head: the primary
   * routes by the request line alone, so a client slow to send its headers is this worker's to
   * cut off (408, then closed). 10 000 by default, like the primary's `routeTimeout`.
   */
  headersTimeout?: number;
  /**
   * Whether engine.io sets a routing cookie on handshakes (its `cookie` option, named `'io'`,
   * `HttpOnly`, `SameSite=Lax`, path `/`), so that a client reconnecting after a lost connection
   * is routed to the worker that holds its session, and socket.io's connection state recovery
   * finds it there. `true` by default: the option is turned on unless the server already set
   * `cookie` itself (then its name is used). With `false`, and no `cookie` option, reconnections
   * land on any worker (round robin), and recover only with an adapter that shares sessions.
   * Browsers send the cookie to the same origin; cross-origin clients need `withCredentials: true`
   * (and CORS `credentials: true`). socket.io-client in Node keeps cookies only within one
   * connection (engine.io-client 6.6), so its reconnections land round robin unless it sends the
   * cookie itself (`extraHeaders`).
   */
  routingCookie?: boolean;
}

const DEFAULT_HEADERS_TIMEOUT = 10_000;
const REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/**
 * A worker serving the connections its sticky primary routes to it. `close()` tells the
 * primary to route no new session here; the requests of the open sessions still arrive until the
 * worker exits, so closing the socket.io server afterwards drains every client, polling ones too.
 *
 * @example
 * ```ts
 * const sticky = serveStickyWorker(io, httpServer);
 * console.log(`worker ${sticky.workerId} serving`);
 * process.once('SIGTERM', async () => {
 *   sticky.close();
 *   await socketServer.close();
 *   process.exit(0);
 * });
 * ```
 */
export interface StickyWorker {
  /** The cluster worker id, the prefix of every engine.io session id this worker creates. */
  readonly workerId: number;
  /** Asks the primary for no new sessions (the open ones keep being served until exit); idempotent. */
  close(): void;
}

/** Marks an http server a sticky worker serves: two would each take every handed-over connection. */
const SERVED = Symbol.for('@pestras/micro-socket-cluster/sticky-worker');

/** The path engine.io matches requests against (it adds the trailing slash unless told not to). */
function enginePath(io: Server): string {
  const path = io.path();
  const addTrailingSlash = (io as unknown as { opts?: { addTrailingSlash?: boolean } }).opts
    ?.addTrailingSlash;
  return addTrailingSlash === false ? path : `${path.replace(/\/$/, '')}/`;
}

interface EngineCookieOptions {
  opts?: { cookie?: false | { name?: string } };
}

/**
 * The name of the cookie engine.io sets on handshakes: the server's own `cookie` option, or, when
 * it has none and `turnOn`, the one turned on here, with the defaults engine.io 6 gives `cookie: true`
 * (it reads `opts.cookie` on every handshake, so setting it now is enough).
 */
function routingCookieOf(engine: object, turnOn: boolean): string | undefined {
  const opts = (engine as EngineCookieOptions).opts;
  if (!opts) return undefined;
  if (!opts.cookie && turnOn) {
    opts.cookie = { name: 'io', path: '/', httpOnly: true, sameSite: 'lax' } as { name: string };
  }
  const name = opts.cookie ? opts.cookie.name : undefined;
  return typeof name === 'string' ? name : undefined;
}

function ignoreSendError(): void {
  // The primary is gone or going: its workers exit with it, nothing to route any more.
}

function currentWorker(): StickyWorkerProcess {
  const worker = nodeCluster.worker;
  if (!nodeCluster.isWorker || !worker || typeof process.send !== 'function') {
    throw new ClusterError(
      'ERR_NO_IPC',
      'serveStickyWorker: this process is not a node:cluster worker; start it with startClusterPrimary()',
    );
  }
  return { id: worker.id, channel: process as unknown as StickyWorkerProcess['channel'] };
}

/**
 * Makes a cluster worker's socket.io server serve the connections that
 * {@link startClusterPrimary} routes to it: the primary owns the shared port and hands each HTTP
 * request (and each websocket upgrade) to the worker owning the request's engine.io session, so
 * clients that start with HTTP long-polling work, not only websocket-only ones.
 *
 * It gives `io.engine` session ids that name this worker (`<worker id>.<random>`), answers every
 * HTTP request with `Connection: close` so the next request of a client is routed on its own,
 * and tells the primary this worker is ready. The worker's http server must not listen itself:
 * `httpServer` (by default the one `io` is attached to) only receives the handed-over connections.
 * It must answer requests outside socket.io: a `SocketServer` created with `listen: false` answers
 * them 404; an http server of your own needs a request handler (engine.io leaves it every request
 * outside its path).
 *
 * Plain HTTP only: the primary reads each request to route it, so TLS is terminated in front of
 * it. Requires a primary started with {@link startClusterPrimary}; throws a {@link ClusterError}
 * `ERR_NO_IPC` outside a cluster worker, and `ERR_INVALID_OPTIONS` when `io` is not attached to
 * an http server or that server is already served.
 *
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * import { SocketServer } from '@pestras/micro-socket-server';
 * import { serveStickyWorker, startClusterPrimary } from '@pestras/micro-socket-cluster';
 *
 * if (cluster.isPrimary) {
 *   await startClusterPrimary({ workers: 2, port: 3001, handleSignals: true });
 * } else {
 *   // Its own http server (404 outside socket.io), not listening: the primary owns the port.
 *   const server = await new SocketServer({ listen: false }).start([new Chat()]);
 *   const sticky = serveStickyWorker(server.io);
 *   process.once('SIGTERM', async () => {
 *     sticky.close(); // no new sessions; the open ones drain
 *     await server.close();
 *     process.exit(0);
 *   });
 * }
 * ```
 */
export function serveStickyWorker(
  io: Server,
  httpServer?: HttpServer,
  options: StickyWorkerOptions = {},
): StickyWorker {
  const worker = options.worker ?? currentWorker();
  const http = httpServer ?? (io as unknown as { httpServer?: HttpServer }).httpServer;
  const engine = (
    io as unknown as {
      engine?: { generateId: (req: IncomingMessage) => string };
    }
  ).engine;
  if (!http || typeof http.emit !== 'function' || !engine) {
    throw new ClusterError(
      'ERR_INVALID_OPTIONS',
      'serveStickyWorker: attach the socket.io server to an http server first (new Server(httpServer) or SocketServer)',
    );
  }
  if ((http as unknown as Record<symbol, unknown>)[SERVED]) {
    throw new ClusterError('ERR_INVALID_OPTIONS', 'serveStickyWorker: this http server is already served');
  }
  if (typeof worker.channel.send !== 'function') {
    throw new ClusterError('ERR_NO_IPC', 'serveStickyWorker: the worker has no IPC channel to its primary');
  }

  (http as unknown as Record<symbol, unknown>)[SERVED] = true;
  engine.generateId = () => stickySessionId(worker.id);
  const cookie = routingCookieOf(engine, options.routingCookie ?? true);

  const headersTimeout = options.headersTimeout ?? DEFAULT_HEADERS_TIMEOUT;
  if (!Number.isInteger(headersTimeout) || headersTimeout < 1) {
    throw new ClusterError(
      'ERR_INVALID_OPTIONS',
      'serveStickyWorker: headersTimeout must be a positive integer',
    );
  }
  /** Handed-over connections whose request head has not arrived yet, with their deadline. */
  const awaitingHead = new Map<unknown, NodeJS.Timeout>();
  const headArrived = (req: IncomingMessage) => {
    clearTimeout(awaitingHead.get(req.socket));
    awaitingHead.delete(req.socket);
  };
  const closeEveryResponse = (req: IncomingMessage, res: ServerResponse) => {
    headArrived(req);
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  http.prependListener('request', closeEveryResponse);
  http.prependListener('upgrade', headArrived);

  let closed = false;
  // Served even after close(): the primary still routes the requests of this worker's open
  // sessions while it drains (socket.io itself refuses new handshakes while closing).
  const onMessage = (message: unknown, handle?: unknown) => {
    if (!isStickyMessage(message, 'connection')) return;
    if (!(handle instanceof NetSocket)) return;
    const head = typeof message.head === 'string' ? Buffer.from(message.head, 'base64') : Buffer.alloc(0);
    // The primary already read these bytes from the connection: give them back before the http
    // parser starts reading, so it sees the request from its first byte.
    if (head.length > 0) handle.unshift(head);
    const deadline = setTimeout(() => {
      awaitingHead.delete(handle);
      handle.end(REQUEST_TIMEOUT);
      setTimeout(() => handle.destroy(), 1_000).unref();
    }, headersTimeout);
    awaitingHead.set(handle, deadline);
    handle.once('close', () => {
      clearTimeout(deadline);
      awaitingHead.delete(handle);
    });
    http.emit('connection', handle);
  };
  worker.channel.on('message', onMessage);
  const ready: StickyReadyMessage = {
    [STICKY_MESSAGE_KEY]: 'ready',
    path: enginePath(io),
    ...(cookie === undefined ? {} : { cookie }),
  };
  // With a callback, a failed send is reported there instead of as a process 'error' event.
  worker.channel.send(ready, undefined, undefined, ignoreSendError);

  return {
    workerId: worker.id,
    close() {
      if (closed) return;
      closed = true;
      const stopping: StickyStoppingMessage = { [STICKY_MESSAGE_KEY]: 'stopping' };
      try {
        worker.channel.send?.(stopping, undefined, undefined, ignoreSendError);
      } catch {
        // The primary is gone: there is nobody left to route to this worker.
      }
    },
  };
}
