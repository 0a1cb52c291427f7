import { createServer, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@pestras/micro-socket-core';
import { answerNotFound, listenOn, settlesWithin } from '@pestras/micro-socket-core/internal';
import { Server, type ServerOptions } from 'socket.io';
import { type AsyncApiServing, asyncApiDocument, checkAsyncApiPath, serveAsyncApi } from './asyncapi';
import { type BindOptions, bindHandlers } from './bind';
import { SocketError } from './errors';
import { InFlightHandlers } from './inflight';
import { SHUTTING_DOWN } from './invoke';
import { boundedRecoveryAdapter, type DEFAULT_RECOVERY_LIMITS, type RecoveryLimits } from './recovery';
import { closeAsShuttingDown } from './socketio-internals';

/**
 * The options of a {@link SocketServer} (and of the seed's `MicroSocket`).
 *
 * @example
 * ```ts
 * const options: SocketIOOptions = {
 *   port: 3001,
 *   host: '0.0.0.0',
 *   maxListeners: 20,
 *   serverOptions: { cors: { origin: ['https://example.com'] } },
 * };
 * ```
 */
/**
 * socket.io's server options as {@link SocketIOOptions.serverOptions} takes them: socket.io's own,
 * and `connectionStateRecovery: false` to turn recovery off (socket.io's type has no `false`: it is
 * off when absent, and here it is on by default).
 *
 * @example
 * ```ts
 * const noRecovery: SocketIOServerOptions = { connectionStateRecovery: false, pingInterval: 10_000 };
 * ```
 */
export type SocketIOServerOptions = Partial<Omit<ServerOptions, 'connectionStateRecovery'>> & {
  connectionStateRecovery?: ServerOptions['connectionStateRecovery'] | false;
};

export interface SocketIOOptions {
  /**
   * socket.io's own server options. Connection state recovery is on by default
   * ({@link DEFAULT_SERVER_OPTIONS}), held within `recoveryLimits`;
   * `connectionStateRecovery: false` turns it off. CORS stays closed unless configured here.
   */
  serverOptions?: SocketIOServerOptions | null;
  /** `setMaxListeners` for the server and every bound namespace; 10 by default. */
  maxListeners?: number | null;
  /**
   * A socket.io adapter (for example `createAdapter()` of `@socket.io/redis-streams-adapter`).
   * With one, connection state recovery is that adapter's, within its own limits;
   * `recoveryLimits` applies only to the default in-memory adapter.
   */
  adapter?: ServerOptions['adapter'] | null;
  /**
   * What connection state recovery may keep with the default in-memory adapter:
   * {@link DEFAULT_RECOVERY_LIMITS} (10,000 packets, 16 MiB, 10,000 sessions) for the fields
   * not given.
   */
  recoveryLimits?: Partial<RecoveryLimits> | null;
  /** The port of the http server the plugin creates; 3001 by default, 0 for any free port. */
  port?: number | null;
  /** The host of the http server the plugin creates; `'0.0.0.0'` by default. */
  host?: string | null;
  /**
   * `false`: create the own http server (it answers 404 outside socket.io's path) but do not
   * listen. For a cluster worker whose primary owns the port and hands it the connections
   * (`serveStickyWorker(server.io)`). `true` by default; ignored with a given http server.
   */
  listen?: boolean | null;
  /** Where failures are logged; `console` by default. */
  logger?: Partial<Logger> | null;
  /** See {@link BindOptions.middlewareTimeout}. */
  middlewareTimeout?: number | null;
  /** See {@link BindOptions.maxBufferedBytes}: 8 MiB by default, 0 for no limit. */
  maxBufferedBytes?: number | null;
  /** See {@link BindOptions.rateLimit}: 100 events/s, bursts of 200 by default; `false` for none. */
  rateLimit?: BindOptions['rateLimit'];
  /**
   * Serve the service's AsyncAPI 3.0 document ({@link asyncApiDocument}) at `path` (GET) on the
   * http server socket.io is attached to, created or given. Off by default.
   */
  asyncapi?: AsyncApiServing | null;
}

/**
 * Options of {@link SocketServer.close}.
 *
 * @example
 * ```ts
 * process.once('SIGTERM', async () => {
 *   await server.close({ timeout: 4_000 } satisfies CloseOptions);
 *   process.exit(0);
 * });
 *
 * // shutting down for good: clients are told to stay away and do not reconnect
 * await server.close({ reconnect: false } satisfies CloseOptions);
 * ```
 */
export interface CloseOptions {
  /**
   * Milliseconds the running handlers get to finish and answer their acks, and the clients to
   * receive those answers, before everything is cut off; {@link DEFAULT_CLOSE_TIMEOUT} by
   * default, 0 to close at once.
   */
  timeout?: number | null;
  /**
   * Whether the clients reconnect by themselves, `true` by default: a restart or a deploy does not
   * strand them. Each socket is closed as socket.io's own `io.close()` does (no DISCONNECT packet;
   * DISCONNECT handlers and `socket.on('disconnect')` get `'server shutting down'`; with connection
   * state recovery on, the adapter keeps the session, so another host sharing its adapter can
   * restore it), then its connection: the client sees `'transport close'` and socket.io-client
   * reconnects with its usual delays, to this server once it is back or to another one.
   *
   * `false` disconnects every client instead (socket.io's DISCONNECT: the client sees
   * `'io server disconnect'`, after which socket.io-client does not reconnect; DISCONNECT
   * handlers get `'server namespace disconnect'`; no session is kept).
   */
  reconnect?: boolean | null;
}

/**
 * How long {@link SocketServer.close} waits for running handlers by default: 10 s.
 *
 * @example
 * ```ts
 * await server.close({ timeout: DEFAULT_CLOSE_TIMEOUT / 2 });
 * ```
 */
export const DEFAULT_CLOSE_TIMEOUT = 10_000;

/**
 * An http(s) server socket.io can attach to.
 *
 * @example
 * ```ts
 * const web: HttpServerLike = http.createServer(app);
 * ```
 */
export type HttpServerLike = HttpServer | HttpsServer;

/**
 * A server to attach to instead of creating one: the server, or a function returning it, called
 * when the socket server starts (useful when the server does not exist yet at construction).
 *
 * @example
 * ```ts
 * const later: HttpServerSource = () => router.server;
 * ```
 */
export type HttpServerSource = HttpServerLike | (() => HttpServerLike | null | undefined);

/**
 * socket.io options applied unless `serverOptions` says otherwise: connection state recovery for
 * two minutes, skipping the middlewares on a restored session (socket.io's own defaults for it;
 * what it keeps is bounded by `recoveryLimits`, see {@link DEFAULT_RECOVERY_LIMITS}; every event
 * the server sends then carries the recovery offset as one more argument), and at most 1 MB per
 * incoming message (a client sending more is disconnected). CORS is not
 * among them: cross-origin browsers are refused unless `serverOptions.cors` allows them.
 *
 * @example
 * ```ts
 * new SocketServer({ serverOptions: { connectionStateRecovery: { ...DEFAULT_SERVER_OPTIONS.connectionStateRecovery, maxDisconnectionDuration: 10_000 } } });
 * ```
 */
export const DEFAULT_SERVER_OPTIONS: Readonly<Partial<ServerOptions>> = Object.freeze({
  connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true },
  maxHttpBufferSize: 1_000_000,
});

/** Defaults of the seed's option table. */
export const DEFAULT_PORT = 3001;
/** Defaults of the seed's option table. */
export const DEFAULT_HOST = '0.0.0.0';
const DEFAULT_MAX_LISTENERS = 10;

/**
 * The socket.io server options a {@link SocketIOOptions} stands for: with recovery on and no
 * adapter given, a {@link boundedRecoveryAdapter} of its own (call it once per server).
 *
 * @example
 * ```ts
 * const io = new Server(httpServer, toServerOptions({ recoveryLimits: { maxPackets: 1_000 } }));
 * ```
 */
export function toServerOptions(options: SocketIOOptions): Partial<ServerOptions> {
  const merged: SocketIOServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...options.serverOptions };
  const recovery: unknown = merged.connectionStateRecovery;
  if (recovery === false || recovery === null) delete merged.connectionStateRecovery;
  if (options.adapter) merged.adapter = options.adapter;
  else if (merged.connectionStateRecovery && !merged.adapter)
    merged.adapter = boundedRecoveryAdapter(options.recoveryLimits);
  // `false` was just removed: what is left is socket.io's own type.
  return merged as Partial<ServerOptions>;
}

type ListenerSnapshot = Map<string, Function[]>;
// engine.io replaces the `request` listeners of a server it attaches to and adds its own for
// `upgrade`, `close` and `listening`; restoring them is what leaves a borrowed server as it was.
const ATTACH_EVENTS = ['request', 'upgrade', 'close', 'listening'] as const;

function snapshotListeners(server: HttpServerLike): ListenerSnapshot {
  return new Map(ATTACH_EVENTS.map((event) => [event, server.listeners(event).slice()]));
}

function restoreListeners(server: HttpServerLike, snapshot: ListenerSnapshot): void {
  for (const [event, listeners] of snapshot) {
    server.removeAllListeners(event);
    for (const listener of listeners) server.on(event, listener as (...args: unknown[]) => void);
  }
}

/**
 * A socket.io server with decorated handlers bound to it, on its own http server or on one it is
 * given. `close()` shuts down gracefully: it refuses new connections and events, lets running
 * handlers answer their acks, closes every client's connection (`'transport close'` on the client,
 * which reconnects by itself; `close({ reconnect: false })` for `'io server disconnect'` and no
 * reconnection), closes what it created and leaves a borrowed http server listening.
 *
 * @example
 * ```ts
 * const server = await new SocketServer({ port: 3001 }).start([new Chat()]);
 * console.log(server.port);
 * // ...
 * await server.close();
 *
 * // on an existing http server
 * const web = http.createServer(app).listen(8080);
 * const sockets = await new SocketServer(null, web).start([new Chat()]);
 * ```
 */
export class SocketServer {
  readonly options: Readonly<SocketIOOptions>;
  readonly #source: HttpServerSource | undefined;
  #io: Server | undefined;
  #http: HttpServerLike | undefined;
  #borrowed: ListenerSnapshot | undefined;
  #closing: Promise<void> | undefined;
  readonly #inFlight = new InFlightHandlers();

  constructor(options?: SocketIOOptions | null, server?: HttpServerSource | null) {
    this.options = { ...options };
    this.#source = server ?? undefined;
  }

  /** The socket.io server; throws before {@link SocketServer.start}. */
  get io(): Server {
    if (!this.#io) throw new SocketError('ERR_NOT_STARTED', 'SocketServer: call start() first');
    return this.#io;
  }

  /** The http server socket.io is attached to; throws before {@link SocketServer.start}. */
  get httpServer(): HttpServerLike {
    if (!this.#http) throw new SocketError('ERR_NOT_STARTED', 'SocketServer: call start() first');
    return this.#http;
  }

  /** Whether {@link SocketServer.start} has run and {@link SocketServer.close} has not. */
  get started(): boolean {
    return this.#io !== undefined && this.#closing === undefined;
  }

  /** The port the http server listens on (useful with `port: 0`); undefined while not listening. */
  get port(): number | undefined {
    const address = this.#http?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : undefined;
  }

  /**
   * Creates the socket.io server, binds the handler instances and, on an http server of its own,
   * starts listening.
   *
   * @throws {@link SocketError} `ERR_ALREADY_STARTED`, `ERR_NO_HTTP_SERVER` (a server function
   * returned nothing), `ERR_LISTEN` (the port could not be bound).
   */
  async start(handlers: Iterable<object> = []): Promise<this> {
    if (this.#io) throw new SocketError('ERR_ALREADY_STARTED', 'SocketServer: already started');
    const options = this.options;
    const asyncapi = options.asyncapi ?? undefined;
    if (asyncapi) checkAsyncApiPath(asyncapi.path);
    const http = this.#resolveHttpServer();
    const owned = this.#source === undefined;
    const snapshot = owned ? undefined : snapshotListeners(http);
    const io = new Server(http, toServerOptions(options));
    refuseHandshakesWhileDraining(io, this.#inFlight);
    const bindOptions: BindOptions = {
      logger: options.logger,
      maxListeners: options.maxListeners ?? DEFAULT_MAX_LISTENERS,
      middlewareTimeout: options.middlewareTimeout,
      maxBufferedBytes: options.maxBufferedBytes,
      rateLimit: options.rateLimit,
      inFlight: this.#inFlight,
    };
    try {
      const plan = bindHandlers(io, handlers, bindOptions);
      if (asyncapi) serveAsyncApi(http, asyncapi.path, asyncApiDocument(plan, asyncapi));
      if (owned && options.listen !== false) {
        await listen(http, options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST);
      }
    } catch (err) {
      await closeIo(io, owned ? http : undefined, snapshot, http);
      throw err;
    }
    this.#io = io;
    this.#http = http;
    this.#borrowed = snapshot;
    return this;
  }

  /** How many handlers are running now (asynchronous ones whose promise has not settled). */
  get running(): number {
    return this.#inFlight.running;
  }

  /**
   * Shuts down gracefully, within `timeout` ms in all:
   * 1. refuses new connections (engine.io handshakes get HTTP 403, a new namespace on an open
   *    connection `connect_error` `ERR_SHUTTING_DOWN`) and new events (an ack gets
   *    `{ error: { code: 'ERR_SHUTTING_DOWN' } }`, an event without one is ignored);
   * 2. waits for the running handlers to finish and answer their acks;
   * 3. closes every socket as socket.io's `io.close()` does (DISCONNECT handlers run with
   *    `'server shutting down'`, and with connection state recovery the adapter keeps the
   *    session) and each connection once what it holds, the last acks included, is sent: the
   *    client sees `'transport close'` and reconnects by itself. With `reconnect: false` every
   *    client is disconnected instead (`'io server disconnect'` on the client, which does not
   *    reconnect; DISCONNECT handlers run with `'server namespace disconnect'`); see
   *    {@link CloseOptions.reconnect};
   * 4. closes socket.io, and the http server only when it created it.
   *
   * Whatever still runs at the deadline is cut off. Safe to call more than once: every call gets
   * the same promise.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', async () => {
   *   await server.close({ timeout: 4_000 }); // clients reconnect by themselves
   *   process.exit(0);
   * });
   * ```
   */
  close(options: CloseOptions = {}): Promise<void> {
    const io = this.#io;
    const http = this.#http;
    if (!io || !http) return Promise.resolve();
    this.#closing ??= this.#shutDown(
      io,
      http,
      options.timeout ?? DEFAULT_CLOSE_TIMEOUT,
      options.reconnect ?? true,
    );
    return this.#closing;
  }

  async #shutDown(io: Server, http: HttpServerLike, timeout: number, reconnect: boolean): Promise<void> {
    const deadline = Date.now() + timeout;
    const left = () => Math.max(0, deadline - Date.now());
    await this.#inFlight.drain(left());
    const closed = closeAllConnections(io, reconnect, left());
    // DISCONNECT handlers that return a promise (saving presence, say) get the rest of the time.
    await Promise.all([closed, this.#inFlight.idle(left())]);
    await closeIo(io, this.#borrowed ? undefined : http, this.#borrowed, http);
  }

  #resolveHttpServer(): HttpServerLike {
    // engine.io passes requests outside its path to the server's own listeners; without one they hang.
    if (this.#source === undefined) return createServer(answerNotFound);
    const server = typeof this.#source === 'function' ? this.#source() : this.#source;
    if (!server || typeof (server as HttpServerLike).listeners !== 'function') {
      throw new SocketError(
        'ERR_NO_HTTP_SERVER',
        'SocketServer: the http server function returned no server; is the plugin that creates it registered first?',
      );
    }
    return server;
  }
}

// engine.io asks `allowRequest` about handshakes only: requests of open sessions (the polls
// that carry the last answers to a polling client) still pass while draining.
function refuseHandshakesWhileDraining(io: Server, inFlight: InFlightHandlers): void {
  const opts = io.engine.opts;
  const allow = opts.allowRequest;
  opts.allowRequest = (req, callback) => {
    if (inFlight.draining) callback(SHUTTING_DOWN.error.message, false);
    else if (allow) allow(req, callback);
    else callback(null, true);
  };
}

interface EngineConnection {
  once(event: 'close', listener: () => void): unknown;
  close(): unknown;
}

/**
 * Closes every socket of every namespace (as socket.io's `io.close()` does when `reconnect`, else
 * with socket.io's DISCONNECT), then every engine.io connection (even one that never joined a
 * namespace) after flushing what it holds; resolves once they are all closed or after `timeout` ms.
 */
function closeAllConnections(io: Server, reconnect: boolean, timeout: number): Promise<void> {
  const clients = (io.engine as unknown as { clients: Record<string, EngineConnection> }).clients;
  const connections = Object.values(clients);
  const closed = Promise.all(
    connections.map((conn) => new Promise<void>((resolve) => conn.once('close', () => resolve()))),
  );
  for (const nsp of io._nsps.values()) {
    for (const socket of [...nsp.sockets.values()]) {
      // Another socket.io version without `_onclose`: the connection's close below closes the
      // socket instead (reason `'forced close'`, recoverable too); the client still reconnects.
      if (reconnect) closeAsShuttingDown(socket);
      else socket.disconnect();
    }
  }
  for (const conn of connections) conn.close();
  return settlesWithin(closed, timeout).then(() => undefined);
}

async function listen(http: HttpServerLike, port: number, host: string): Promise<void> {
  try {
    await listenOn(http, port, host);
  } catch (err) {
    throw new SocketError(
      'ERR_LISTEN',
      `SocketServer: cannot listen on ${host}:${port}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

async function closeIo(
  io: Server,
  owned: HttpServerLike | undefined,
  snapshot: ListenerSnapshot | undefined,
  http: HttpServerLike,
): Promise<void> {
  // Without an httpServer, io.close() disconnects and closes socket.io but leaves the server be.
  if (!owned) (io as unknown as { httpServer?: unknown }).httpServer = undefined;
  const closed = io.close();
  if (owned) (owned as HttpServer).closeAllConnections?.();
  await closed;
  if (snapshot) restoreListeners(http, snapshot);
}
