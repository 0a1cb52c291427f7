import nodeCluster, { type Cluster, type ClusterSettings, type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { type AddressInfo, createServer, type Server as NetServer, type Socket as NetSocket } from 'node:net';
import { type Logger, safeLogger } from '@pestras/micro-socket-core';
import {
  integerOptionMessage,
  isIntegerIn,
  listenOn,
  settlesWithin,
} from '@pestras/micro-socket-core/internal';
import { ClusterError } from './errors';
import { stopReading } from './hand-over';
import { RequestLineReader } from './request-line';
import { httpResponse, refuse, UNKNOWN_SESSION } from './responses';
import {
  isStickyMessage,
  STICKY_MESSAGE_KEY,
  type StickyConnectionMessage,
  workerIdOfSession,
} from './sticky-session';

/**
 * Options of {@link startClusterPrimary}.
 *
 * @example
 * ```ts
 * const options: ClusterPrimaryOptions = {
 *   workers: 4,
 *   port: 3001,
 *   exec: new URL('./worker.js', import.meta.url).pathname,
 *   env: { NODE_ENV: 'production' },
 *   handleSignals: true,
 * };
 * ```
 */
export interface ClusterPrimaryOptions {
  /** How many workers to keep running. */
  workers: number;
  /** The shared port the primary listens on; 0 for any free port (read it from `primary.port`). */
  port: number;
  /** The host to listen on; `'0.0.0.0'` by default. */
  host?: string;
  /** The worker script (`cluster.setupPrimary`'s `exec`); the primary's own script by default. */
  exec?: string;
  /** Arguments of the worker script (`setupPrimary`'s `args`). */
  args?: string[];
  /** Node options of the workers (`setupPrimary`'s `execArgv`). */
  execArgv?: string[];
  /** The workers' working directory (`setupPrimary`'s `cwd`). */
  cwd?: string;
  /** Pipe the workers' output to the primary's streams instead of inheriting them (`setupPrimary`'s `silent`). */
  silent?: boolean;
  /** Extra environment variables of every worker (on top of the primary's). */
  env?: Record<string, string | undefined>;
  /** Where worker exits, restarts and refused connections are logged; `console` by default. */
  logger?: Partial<Logger>;
  /**
   * Milliseconds before a worker that died is replaced; 500 by default. A worker that dies again
   * before it served for `restartWindow` doubles the delay of the next restart, up to
   * `maxRestartDelay` (exponential backoff): a worker crashing in a loop costs the primary little.
   */
  restartDelay?: number;
  /** The longest restart delay of the backoff; 30 000 by default. */
  maxRestartDelay?: number;
  /** Milliseconds a worker must run after it became ready for the backoff to start over; 10 000 by default. */
  restartWindow?: number;
  /** Milliseconds `close()` gives workers to exit after SIGTERM before SIGKILL; 5 000 by default. */
  shutdownTimeout?: number;
  /** Close on SIGTERM and SIGINT, then exit the process (code 0, or 1 if closing failed). Off by default. */
  handleSignals?: boolean;
  /**
   * The engine.io path of the workers' socket.io servers; `'/socket.io/'` by default. Workers
   * also report their own, so this only matters for requests arriving before a worker is ready.
   */
  path?: string;
  /**
   * Milliseconds a connection may take to send its request line (and to wait for a ready worker);
   * 10 000 by default. It gets 408 after that.
   */
  routeTimeout?: number;
  /**
   * The longest request line the primary reads, in bytes; 8 192 by default. The primary routes by
   * the request line alone (the `sid` in its target) and hands every byte it read to the worker,
   * whose own http parser reads the headers and the body. 414 above it.
   */
  maxRequestLineBytes?: number;
  /**
   * The most bytes the primary holds at once, across every connection it is still reading or
   * handing over; 8 MiB by default (1 024 connections at `maxRequestLineBytes`). A connection
   * whose bytes would go past it is refused with 503, so no number of connections can make the
   * primary hold more.
   */
  maxPendingBytes?: number;
  /**
   * What runs beside the primary for its whole life, e.g. the publish bus's relay between workers:
   * `hooks: [attachPublishRelay]` (from `@pestras/micro-socket-publish`). None by default.
   */
  hooks?: readonly PrimaryHook[];
}

/**
 * Something that runs beside a {@link ClusterPrimary} for its whole life: called with
 * `node:cluster` when the primary starts; the function it returns, if any, when it closes.
 *
 * @example
 * ```ts
 * import { attachPublishRelay } from '@pestras/micro-socket-publish';
 * const relay: PrimaryHook = attachPublishRelay;
 * const logMessages: PrimaryHook = (cluster) => {
 *   const log = (worker: Worker, message: unknown) => console.log(worker.id, message);
 *   cluster.on('message', log);
 *   return () => cluster.off('message', log);
 * };
 * await startClusterPrimary({ workers: 2, port: 3001, hooks: [relay, logMessages] });
 * ```
 */
export type PrimaryHook = (cluster: Cluster) => (() => void) | undefined;

/**
 * The events of a {@link ClusterPrimary}: a worker process is `online`, a worker is `ready` to
 * take connections (it called {@link serveStickyWorker}), a worker `exit`ed.
 *
 * @example
 * ```ts
 * primary.on('exit', (worker, code, signal) => console.log(`worker ${worker.id} exited`, code ?? signal));
 * ```
 */
export interface ClusterPrimaryEvents {
  online: [worker: Worker];
  ready: [worker: Worker];
  exit: [worker: Worker, code: number | null, signal: NodeJS.Signals | null];
}

const DEFAULTS = {
  host: '0.0.0.0',
  restartDelay: 500,
  maxRestartDelay: 30_000,
  restartWindow: 10_000,
  shutdownTimeout: 5_000,
  path: '/socket.io/',
  routeTimeout: 10_000,
  maxRequestLineBytes: 8_192,
  maxPendingBytes: 8 * 1024 * 1024,
};

/** A cookie name as RFC 6265 allows it (a token), and short: it is compared on every handshake. */
function isCookieName(name: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(name);
}

function positiveInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!isIntegerIn(value, min, max)) {
    throw new ClusterError(
      'ERR_INVALID_OPTIONS',
      `startClusterPrimary: ${integerOptionMessage(`'${name}'`, value, min, max)}`,
    );
  }
  return value;
}

/**
 * A running cluster primary: it owns the shared port, keeps `workers` workers running, routes
 * every HTTP request and websocket upgrade to the worker owning its engine.io session (sticky
 * sessions), and runs its hooks (the publish bus relay, say). Created by {@link startClusterPrimary}.
 *
 * @example
 * ```ts
 * const primary = await startClusterPrimary({ workers: 2, port: 0 });
 * console.log(`listening on ${primary.port}`, primary.workers().map((w) => w.process.pid));
 * primary.on('ready', (worker) => worker.send({ hello: 'from the primary' }));
 * await primary.close();
 * ```
 */
export class ClusterPrimary extends EventEmitter<ClusterPrimaryEvents> {
  readonly #options: Required<
    Omit<ClusterPrimaryOptions, 'exec' | 'args' | 'execArgv' | 'cwd' | 'silent' | 'env'>
  >;
  readonly #settings: ClusterSettings;
  readonly #env: Record<string, string | undefined>;
  readonly #log: Required<Logger>;
  readonly #server: NetServer;
  /** Every worker this primary forked that has not exited, by cluster id. */
  readonly #workers = new Map<number, Worker>();
  /** Workers taking connections, in round-robin order. */
  #ready: Worker[] = [];
  #next = 0;
  /** The engine.io paths the workers serve: the option's, and every path a worker reported. */
  readonly #paths = new Set<string>();
  /** The names of the routing cookies the workers set (engine.io's `cookie.name`), as they reported them. */
  readonly #cookieNames = new Set<string>();
  /** Bytes held across every connection being read or handed over (at most `maxPendingBytes`). */
  #pendingBytes = 0;
  /** Consecutive early deaths, for the restart backoff. */
  #crashes = 0;
  /** When each worker became ready, for the restart backoff. */
  readonly #readySince = new Map<number, number>();
  /** Connections waiting for a first worker to be ready. */
  #waiting = new Set<(worker: Worker | undefined) => void>();
  /** Connections the primary is still reading, so close() can drop them. */
  readonly #reading = new Set<NetSocket>();
  readonly #restarts = new Set<NodeJS.Timeout>();
  /** Connections sent to a worker whose IPC write has not completed yet, by worker id. */
  readonly #handing = new Map<number, Set<() => void>>();
  readonly #detachHooks: Array<() => void> = [];
  #closing: Promise<void> | undefined;
  #signalHandler: ((signal: NodeJS.Signals) => void) | undefined;

  /** @internal Use {@link startClusterPrimary}. */
  constructor(options: ClusterPrimaryOptions) {
    super();
    const workers = positiveInteger('workers', options.workers, 1, 1024);
    const port = positiveInteger('port', options.port, 0, 65_535);
    this.#options = {
      workers,
      port,
      host: options.host ?? DEFAULTS.host,
      logger: options.logger ?? console,
      restartDelay: positiveInteger('restartDelay', options.restartDelay ?? DEFAULTS.restartDelay, 0),
      maxRestartDelay: positiveInteger(
        'maxRestartDelay',
        options.maxRestartDelay ?? DEFAULTS.maxRestartDelay,
        0,
      ),
      restartWindow: positiveInteger('restartWindow', options.restartWindow ?? DEFAULTS.restartWindow, 0),
      shutdownTimeout: positiveInteger(
        'shutdownTimeout',
        options.shutdownTimeout ?? DEFAULTS.shutdownTimeout,
        0,
      ),
      handleSignals: options.handleSignals ?? false,
      path: options.path ?? DEFAULTS.path,
      routeTimeout: positiveInteger('routeTimeout', options.routeTimeout ?? DEFAULTS.routeTimeout, 1),
      maxRequestLineBytes: positiveInteger(
        'maxRequestLineBytes',
        options.maxRequestLineBytes ?? DEFAULTS.maxRequestLineBytes,
        64,
      ),
      maxPendingBytes: positiveInteger(
        'maxPendingBytes',
        options.maxPendingBytes ?? DEFAULTS.maxPendingBytes,
        1024,
      ),
      hooks: [...(options.hooks ?? [])],
    };
    // setupPrimary overrides a default with `undefined` too: pass only what was given.
    const settings: ClusterSettings = {};
    if (options.exec !== undefined) settings.exec = options.exec;
    if (options.args !== undefined) settings.args = options.args;
    if (options.execArgv !== undefined) settings.execArgv = options.execArgv;
    if (options.cwd !== undefined) settings.cwd = options.cwd;
    if (options.silent !== undefined) settings.silent = options.silent;
    this.#settings = settings;
    this.#paths.add(this.#options.path);
    this.#env = { ...options.env };
    this.#log = safeLogger(options.logger);
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** The port the primary listens on (the actual one with `port: 0`). */
  get port(): number {
    const address = this.#server.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : this.#options.port;
  }

  /** The host the primary listens on. */
  get host(): string {
    return this.#options.host;
  }

  /** Whether {@link ClusterPrimary.close} was called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** The workers this primary started that are still running (ready or not), oldest first. */
  workers(): Worker[] {
    return [...this.#workers.values()];
  }

  /** The workers that currently take new connections, in routing order. */
  readyWorkers(): Worker[] {
    return [...this.#ready];
  }

  /** Bytes the primary holds now, across every connection it reads or hands over. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** @internal Called once by {@link startClusterPrimary}. */
  async start(): Promise<this> {
    if (!nodeCluster.isPrimary) {
      throw new ClusterError(
        'ERR_INVALID_OPTIONS',
        'startClusterPrimary: this process is a cluster worker; call it in the primary (cluster.isPrimary)',
      );
    }
    if (Object.keys(this.#settings).length > 0) nodeCluster.setupPrimary(this.#settings);
    nodeCluster.on('message', this.#onMessage);
    for (const hook of this.#options.hooks) {
      const detach = hook(nodeCluster);
      if (typeof detach === 'function') this.#detachHooks.push(detach);
    }
    try {
      await this.#listen();
    } catch (err) {
      this.#detach();
      throw err;
    }
    if (this.#options.handleSignals) {
      const handler = (signal: NodeJS.Signals) => {
        this.#log.info(`cluster primary: ${signal}, shutting down`);
        this.close().then(
          () => process.exit(0),
          (err: unknown) => {
            this.#log.error('cluster primary: shutdown failed', err);
            process.exit(1);
          },
        );
      };
      this.#signalHandler = handler;
      process.on('SIGTERM', handler);
      process.on('SIGINT', handler);
    }
    for (let i = 0; i < this.#options.workers; i++) this.#fork();
    return this;
  }

  /**
   * Shuts the cluster down without dropping what can drain: new sessions are refused (503), every
   * worker gets SIGTERM, the requests of open sessions still reach their worker while it drains
   * (so polling clients, like websocket ones, get the acks of handlers in flight and then the
   * disconnect), and the port closes once every worker exited. A worker still running after
   * `shutdownTimeout` gets SIGKILL. Workers are not replaced from then on. Safe to call more
   * than once.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const timer of this.#restarts) clearTimeout(timer);
    this.#restarts.clear();
    // New sessions are refused from now on (503); the requests of open sessions are still routed
    // to their worker while it drains (its polling clients get their last acks and the
    // disconnect through this port), so the port closes only once every worker exited.
    for (const resolve of [...this.#waiting]) resolve(undefined);
    this.#ready = [];
    const running = this.workers();
    // Gone once exited and disconnected: node:cluster drops a worker from `cluster.workers` only
    // then, and the exit may come first.
    const exits = running.map(
      (worker) =>
        new Promise<void>((resolve) => {
          const gone = () => {
            const exited = worker.process.exitCode !== null || worker.process.signalCode !== null;
            if (exited && !worker.isConnected()) resolve();
          };
          worker.process.once('exit', gone);
          worker.once('disconnect', gone);
          gone();
        }),
    );
    for (const worker of running) this.#signal(worker, 'SIGTERM');
    const all = Promise.all(exits);
    if (!(await settlesWithin(all, this.#options.shutdownTimeout))) {
      for (const worker of this.workers()) {
        this.#log.warn(`cluster primary: worker ${worker.id} did not exit in time; SIGKILL`);
        this.#signal(worker, 'SIGKILL');
      }
      await all;
    }
    // Not awaiting close's callback: with handles sent to workers that all exited, Node 20's
    // net.Server waits for a reply from workers it no longer has, and never calls it. The
    // listening handle itself closes at once.
    this.#server.close();
    for (const socket of this.#reading) socket.destroy();
    this.#reading.clear();
    this.#detach();
  }

  #detach(): void {
    nodeCluster.off('message', this.#onMessage);
    for (const detach of this.#detachHooks.splice(0)) detach();
    if (this.#signalHandler) {
      process.off('SIGTERM', this.#signalHandler);
      process.off('SIGINT', this.#signalHandler);
      this.#signalHandler = undefined;
    }
  }

  #signal(worker: Worker, signal: NodeJS.Signals): void {
    try {
      // Not worker.kill(): that disconnects the IPC channel first, which a worker shutting
      // down gracefully may still use.
      worker.process.kill(signal);
    } catch {
      // Already gone.
    }
  }

  async #listen(): Promise<void> {
    const { port, host } = this.#options;
    try {
      await listenOn(this.#server, port, host);
    } catch (err) {
      throw new ClusterError(
        'ERR_LISTEN',
        `startClusterPrimary: cannot listen on ${host}:${port}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.#server.on('error', (err) => this.#log.error('cluster primary: server error', err));
  }

  #fork(): void {
    if (this.#closing) return;
    const worker = nodeCluster.fork(this.#env);
    this.#workers.set(worker.id, worker);
    worker.on('error', (err) => this.#log.warn(`cluster primary: worker ${worker.id} IPC error`, err));
    worker.once('online', () => this.emit('online', worker));
    worker.process.once('exit', (code, signal) => this.#onExit(worker, code, signal));
  }

  #onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.#workers.delete(worker.id);
    this.#unready(worker);
    for (const release of [...(this.#handing.get(worker.id) ?? [])]) release();
    this.#handing.delete(worker.id);
    const readySince = this.#readySince.get(worker.id);
    this.#readySince.delete(worker.id);
    this.emit('exit', worker, code, signal);
    if (this.#closing) return;
    const delay = this.#restartDelay(readySince);
    this.#log.warn(
      `cluster primary: worker ${worker.id} (pid ${worker.process.pid}) exited with ${signal ?? `code ${code}`}; replacing it in ${delay} ms`,
    );
    const timer = setTimeout(() => {
      this.#restarts.delete(timer);
      this.#fork();
    }, delay);
    this.#restarts.add(timer);
  }

  /**
   * Exponential backoff: `restartDelay` after a worker that served for `restartWindow`, doubled
   * for each worker in a row that died sooner (or never became ready), up to `maxRestartDelay`.
   */
  #restartDelay(readySince: number | undefined): number {
    const { restartDelay, maxRestartDelay, restartWindow } = this.#options;
    const served = readySince !== undefined && Date.now() - readySince >= restartWindow;
    this.#crashes = served ? 0 : this.#crashes + 1;
    const factor = 2 ** Math.min(Math.max(this.#crashes - 1, 0), 30);
    return Math.min(restartDelay * factor, Math.max(maxRestartDelay, restartDelay));
  }

  #unready(worker: Worker): void {
    const index = this.#ready.indexOf(worker);
    if (index < 0) return;
    this.#ready.splice(index, 1);
    if (this.#next > index) this.#next--;
  }

  readonly #onMessage = (worker: Worker, message: unknown): void => {
    if (this.#workers.get(worker.id) !== worker) return;
    if (isStickyMessage(message, 'ready')) {
      if (this.#closing || this.#ready.includes(worker)) return;
      if (typeof message.path === 'string' && message.path.startsWith('/')) this.#paths.add(message.path);
      if (typeof message.cookie === 'string' && isCookieName(message.cookie))
        this.#cookieNames.add(message.cookie);
      this.#ready.push(worker);
      this.#readySince.set(worker.id, Date.now());
      this.emit('ready', worker);
      for (const resolve of [...this.#waiting]) resolve(this.#pick());
    } else if (isStickyMessage(message, 'stopping')) {
      this.#unready(worker);
    }
  };

  #pick(): Worker | undefined {
    while (this.#ready.length > 0) {
      const worker = this.#ready[this.#next % this.#ready.length]!;
      this.#next = (this.#next + 1) % this.#ready.length;
      // A worker whose channel closed is dying: its exit is not reported yet, but it takes nothing.
      if (worker.isConnected()) return worker;
      this.#unready(worker);
    }
    return undefined;
  }

  #accept(socket: NetSocket): void {
    socket.on('error', () => socket.destroy());
    if (this.#closing && this.#workers.size === 0) {
      socket.destroy();
      return;
    }
    this.#reading.add(socket);
    const reader = new RequestLineReader({
      paths: this.#paths,
      maxRequestLineBytes: this.#options.maxRequestLineBytes,
      cookieNames: this.#cookieNames,
    });
    const held = this.#holder();
    const timer = setTimeout(() => {
      stop();
      held.free();
      refuse(socket, httpResponse(408, 'Request Timeout'));
    }, this.#options.routeTimeout);
    const stop = () => {
      clearTimeout(timer);
      this.#reading.delete(socket);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    const onClose = () => {
      stop();
      held.free();
    };
    const onData = (chunk: Buffer) => {
      if (!held.add(chunk.length)) {
        stop();
        held.free();
        refuse(socket, httpResponse(503, 'Service Unavailable'));
        return;
      }
      const route = reader.push(chunk);
      if (route.action === 'wait') return;
      stop();
      if (route.action === 'reject') {
        held.free();
        refuse(socket, httpResponse(route.status, route.message));
        return;
      }
      // Not one byte more: the rest of the request is the worker's to read.
      const buffered = stopReading(socket);
      for (const extra of buffered) held.add(extra.length);
      const bytes = buffered.length > 0 ? Buffer.concat([reader.bytes(), ...buffered]) : reader.bytes();
      this.#route(socket, route, bytes, held, Date.now() + this.#options.routeTimeout);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
  }

  /** Counts the bytes one connection makes the primary hold against `maxPendingBytes`. */
  #holder(): { add(bytes: number): boolean; free(): void } {
    let held = 0;
    return {
      add: (bytes) => {
        if (this.#pendingBytes + bytes > this.#options.maxPendingBytes) return false;
        held += bytes;
        this.#pendingBytes += bytes;
        return true;
      },
      free: () => {
        this.#pendingBytes -= held;
        held = 0;
      },
    };
  }

  #route(
    socket: NetSocket,
    { sid, previousSid }: { sid: string | undefined; previousSid?: string },
    bytes: Buffer,
    held: { free(): void },
    deadline: number,
  ): void {
    const handOver = (worker: Worker) => this.#handOver(worker, socket, bytes, held);
    const refused = (response: string) => {
      held.free();
      refuse(socket, response);
    };
    if (sid !== undefined) {
      const owner = this.#ownerOf(sid);
      if (owner) handOver(owner);
      else refused(httpResponse(400, UNKNOWN_SESSION, 'application/json'));
      return;
    }
    // A handshake whose routing cookie names a session of a worker that takes new sessions goes
    // there: socket.io's connection state recovery finds the session only in the worker that held
    // it (with the default in-memory adapter).
    const previousOwner = previousSid === undefined ? undefined : this.#ownerOf(previousSid);
    const worker = previousOwner && this.#ready.includes(previousOwner) ? previousOwner : this.#pick();
    if (worker) {
      handOver(worker);
      return;
    }
    if (this.#closing) {
      refused(httpResponse(503, 'Service Unavailable'));
      return;
    }
    // No worker is ready yet (start-up, or all of them being replaced): wait for one.
    const wait = (ready: Worker | undefined) => {
      clearTimeout(timer);
      socket.off('close', onClose);
      this.#waiting.delete(wait);
      if (ready) handOver(ready);
      else refused(httpResponse(503, 'Service Unavailable'));
    };
    const onClose = () => {
      clearTimeout(timer);
      this.#waiting.delete(wait);
      held.free();
    };
    const timer = setTimeout(() => wait(undefined), Math.max(0, deadline - Date.now()));
    socket.once('close', onClose);
    this.#waiting.add(wait);
  }

  /**
   * The worker that owns a session: any worker of this primary still connected, ready or
   * draining. A worker that stopped taking new sessions still serves the requests of its open
   * ones until it exits, which is what lets its polling clients drain.
   */
  #ownerOf(sid: string): Worker | undefined {
    const id = workerIdOfSession(sid);
    const worker = id === undefined ? undefined : this.#workers.get(id);
    return worker?.isConnected() ? worker : undefined;
  }

  #handOver(worker: Worker, socket: NetSocket, bytes: Buffer, held: { free(): void }): void {
    const message: StickyConnectionMessage = {
      [STICKY_MESSAGE_KEY]: 'connection',
      head: bytes.toString('base64'),
    };
    // keepOpen: the primary keeps its copy of the connection until the handle is written to the
    // worker's channel, then closes that copy. Node sends handles one at a time and, should the
    // worker die meanwhile, never releases the queued ones: the client would hang. Keeping them
    // lets the primary close them itself when the worker exits.
    let pending = this.#handing.get(worker.id);
    if (!pending) {
      pending = new Set();
      this.#handing.set(worker.id, pending);
    }
    const release = () => {
      pending.delete(release);
      held.free();
      socket.destroy();
    };
    pending.add(release);
    try {
      worker.send(message, socket, { keepOpen: true }, release);
    } catch {
      release();
    }
  }
}

/**
 * Starts the primary of a node cluster whose workers serve socket.io with sticky sessions: it
 * forks `workers` workers (replacing any that dies, after `restartDelay`), listens on `port`
 * itself and hands every HTTP request and websocket upgrade to the worker that owns its engine.io
 * session — handshakes round robin — so polling-first clients work across workers. It relays
 * whatever its `hooks` attach (the publish bus's relay between workers, say).
 *
 * Each worker must call {@link serveStickyWorker} on its socket.io server (and not listen on the
 * port). Resolves once the port listens; connections wait (up to `routeTimeout`) for a first
 * worker to be ready. One primary per process.
 *
 * Requests for a session whose worker died get engine.io's 400 `Session ID unknown`, so the
 * clients reconnect to another worker. The primary reads requests in plain HTTP: terminate TLS
 * in front of it.
 *
 * @throws {@link ClusterError} `ERR_INVALID_OPTIONS` for bad options or when called in a worker,
 * `ERR_LISTEN` when the port cannot be bound.
 *
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * import { startClusterPrimary } from '@pestras/micro-socket-cluster';
 *
 * if (cluster.isPrimary) {
 *   const primary = await startClusterPrimary({ workers: 2, port: 3001, handleSignals: true });
 *   primary.on('exit', (worker, code, signal) => console.log(`worker ${worker.id} exited`, code ?? signal));
 * } else {
 *   await import('./worker.js'); // a SocketServer + serveStickyWorker(io, httpServer)
 * }
 * ```
 */
export async function startClusterPrimary(options: ClusterPrimaryOptions): Promise<ClusterPrimary> {
  if (typeof options !== 'object' || options === null) {
    throw new ClusterError(
      'ERR_INVALID_OPTIONS',
      'startClusterPrimary: options { workers, port } are required',
    );
  }
  return new ClusterPrimary(options).start();
}
