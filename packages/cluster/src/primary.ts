import nodeCluster, { type Cluster, type ClusterSettings, type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { type AddressInfo, createServer, type Server as NetServer, type Socket as NetSocket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
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
  /**
   * Milliseconds a worker has to exit after SIGTERM, from `close()` or a rolling restart, before
   * SIGKILL; 5 000 by default.
   */
  shutdownTimeout?: number;
  /**
   * Milliseconds a replacement forked by {@link ClusterPrimary.restartWorkers} has to become ready
   * (call {@link serveStickyWorker}) before the rolling restart stops with `ERR_RESTART`, leaving
   * the workers not yet replaced running; 30 000 by default.
   */
  readyTimeout?: number;
  /**
   * Close on SIGTERM and SIGINT, then exit the process (code 0, or 1 if closing failed); restart
   * the workers one at a time on SIGHUP ({@link ClusterPrimary.restartWorkers}, a reload like
   * nginx's). Off by default.
   */
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
  readyTimeout: 30_000,
  path: '/socket.io/',
  routeTimeout: 10_000,
  maxRequestLineBytes: 8_192,
  maxPendingBytes: 8 * 1024 * 1024,
};

/** A cookie name as RFC 6265 allows it (a token), and short: it is compared on every handshake. */
function isCookieName(name: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(name);
}

/**
 * Milliseconds a worker retired by a rolling restart keeps serving after the last new session it
 * was given: a client that just completed its engine.io handshake there sends its socket.io
 * CONNECT next, which a worker already closing would refuse.
 */
const CONNECT_GRACE = 1_000;

/** How the wait for a replacement worker to be ready ended. */
type ReadyOutcome = 'ready' | 'exited' | 'timeout' | 'closing';

function closingError(): ClusterError {
  return new ClusterError('ERR_CLOSING', 'restartWorkers: the cluster primary is closing');
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
  /** Aborted when close() is called: what a rolling restart waiting for a worker listens to. */
  readonly #closed = new AbortController();
  /** The rolling restart running, and the one asked for meanwhile (see restartWorkers). */
  #restarting: Promise<void> | undefined;
  #nextRestart: Promise<void> | undefined;
  /** The step of the rolling restart in progress: the worker whose replacement is starting. */
  #replacing: { worker: Worker; crashDelay?: number } | undefined;
  /**
   * Workers whose exit is planned, by id, with what they are: retired by a rolling restart, or a
   * replacement not ready yet. Their exit is neither replaced nor counted by the restart backoff.
   */
  readonly #planned = new Map<number, string>();
  /** The ids of the workers a rolling restart has yet to replace: they get no new session while others can. */
  readonly #retiring = new Set<number>();
  /**
   * The ids of the workers this primary sent SIGTERM: one that reports ready only now (a replacement
   * late past `readyTimeout`) gets no session.
   */
  readonly #terminating = new Set<number>();
  /** When each worker was last given a new session (a request without `sid`), by id. */
  readonly #lastNewSession = new Map<number, number>();
  #signalHandlers: Array<[NodeJS.Signals, () => void]> = [];

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
      readyTimeout: positiveInteger('readyTimeout', options.readyTimeout ?? DEFAULTS.readyTimeout, 1),
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
    if (this.#options.handleSignals) this.#handleSignals();
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
    this.#closed.abort();
    for (const timer of this.#restarts) clearTimeout(timer);
    this.#restarts.clear();
    // New sessions are refused from now on (503); the requests of open sessions are still routed
    // to their worker while it drains (its polling clients get their last acks and the
    // disconnect through this port), so the port closes only once every worker exited.
    for (const resolve of [...this.#waiting]) resolve(undefined);
    this.#ready = [];
    await Promise.all(this.workers().map((worker) => this.#terminate(worker)));
    // Not awaiting close's callback: with handles sent to workers that all exited, Node 20's
    // net.Server waits for a reply from workers it no longer has, and never calls it. The
    // listening handle itself closes at once.
    this.#server.close();
    for (const socket of this.#reading) socket.destroy();
    this.#reading.clear();
    this.#detach();
  }

  #handleSignals(): void {
    const shutDown = (signal: NodeJS.Signals) => () => {
      this.#log.info(`cluster primary: ${signal}, shutting down`);
      this.close().then(
        () => process.exit(0),
        (err: unknown) => {
          this.#log.error('cluster primary: shutdown failed', err);
          process.exit(1);
        },
      );
    };
    const reload = () => {
      this.#log.info('cluster primary: SIGHUP, restarting the workers one at a time');
      this.restartWorkers().catch((err: unknown) => {
        // Refused while closing, or a replacement that did not start: the workers keep serving.
        this.#log.error('cluster primary: rolling restart failed', err);
      });
    };
    this.#signalHandlers = [
      ['SIGTERM', shutDown('SIGTERM')],
      ['SIGINT', shutDown('SIGINT')],
      ['SIGHUP', reload],
    ];
    for (const [signal, handler] of this.#signalHandlers) process.on(signal, handler);
  }

  #detach(): void {
    nodeCluster.off('message', this.#onMessage);
    for (const detach of this.#detachHooks.splice(0)) detach();
    for (const [signal, handler] of this.#signalHandlers.splice(0)) process.off(signal, handler);
  }

  /**
   * SIGTERM, then SIGKILL if the worker is still running after `shutdownTimeout`; resolves once
   * it exited and its IPC channel closed (node:cluster drops a worker from `cluster.workers` only
   * then, and the exit may come first).
   */
  async #terminate(worker: Worker): Promise<void> {
    const gone = new Promise<void>((resolve) => {
      const check = () => {
        const exited = worker.process.exitCode !== null || worker.process.signalCode !== null;
        if (exited && !worker.isConnected()) resolve();
      };
      worker.process.once('exit', check);
      worker.once('disconnect', check);
      check();
    });
    this.#terminating.add(worker.id);
    this.#unready(worker);
    this.#signal(worker, 'SIGTERM');
    if (!(await settlesWithin(gone, this.#options.shutdownTimeout))) {
      this.#log.warn(`cluster primary: worker ${worker.id} did not exit in time; SIGKILL`);
      this.#signal(worker, 'SIGKILL');
      await gone;
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

  #fork(): Worker | undefined {
    if (this.#closing) return undefined;
    const worker = nodeCluster.fork(this.#env);
    this.#workers.set(worker.id, worker);
    worker.on('error', (err) => this.#log.warn(`cluster primary: worker ${worker.id} IPC error`, err));
    worker.once('online', () => this.emit('online', worker));
    worker.process.once('exit', (code, signal) => this.#onExit(worker, code, signal));
    return worker;
  }

  #onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.#workers.delete(worker.id);
    this.#unready(worker);
    for (const release of [...(this.#handing.get(worker.id) ?? [])]) release();
    this.#handing.delete(worker.id);
    const readySince = this.#readySince.get(worker.id);
    this.#readySince.delete(worker.id);
    this.#lastNewSession.delete(worker.id);
    this.#terminating.delete(worker.id);
    const planned = this.#planned.get(worker.id);
    this.#planned.delete(worker.id);
    this.emit('exit', worker, code, signal);
    if (this.#closing) return;
    const exited = `worker ${worker.id} (pid ${worker.process.pid}) exited with ${signal ?? `code ${code}`}`;
    if (planned !== undefined) {
      this.#log.info(`cluster primary: ${exited}, ${planned}: not replaced`);
      return;
    }
    const delay = this.#restartDelay(readySince);
    if (this.#replacing?.worker === worker) {
      // A crash all the same (the backoff counts it), but the replacement starting takes its place.
      this.#replacing.crashDelay = delay;
      this.#log.warn(`cluster primary: ${exited} while its replacement starts; that one takes its place`);
      return;
    }
    this.#log.warn(`cluster primary: ${exited}; replacing it in ${delay} ms`);
    this.#forkIn(delay);
  }

  /** Waits until `worker` is ready, exits, misses `readyTimeout`, or the primary closes. */
  #untilReady(worker: Worker): Promise<ReadyOutcome> {
    return new Promise((resolve) => {
      const done = (outcome: ReadyOutcome) => {
        clearTimeout(timer);
        this.off('ready', onReady);
        worker.process.off('exit', onExit);
        this.#closed.signal.removeEventListener('abort', onClosing);
        resolve(outcome);
      };
      const onReady = (ready: Worker) => {
        if (ready === worker) done('ready');
      };
      const onExit = () => done('exited');
      const onClosing = () => done('closing');
      const timer = setTimeout(() => done('timeout'), this.#options.readyTimeout);
      this.on('ready', onReady);
      worker.process.once('exit', onExit);
      this.#closed.signal.addEventListener('abort', onClosing, { once: true });
    });
  }

  #forkIn(delay: number): void {
    const timer = setTimeout(() => {
      this.#restarts.delete(timer);
      this.#fork();
    }, delay);
    this.#restarts.add(timer);
  }

  /**
   * Replaces every worker running now with a new one, one at a time, without dropping a session
   * that can drain: it forks a replacement, waits until it is ready (it called
   * {@link serveStickyWorker}), then stops the old worker as `close()` stops every worker: no new
   * session is routed to it (and, should it have got one within the last second, it gets that
   * second for the client's socket.io CONNECT), SIGTERM, the requests of its open sessions still reach it while it
   * drains (so its polling and websocket clients get the acks of the handlers in flight, then
   * `transport close`, and reconnect by themselves to another worker), SIGKILL after `shutdownTimeout`. Only
   * then the next one. New sessions are never refused meanwhile: while one worker is replaced,
   * the others and its replacement take them, so there are never fewer ready workers than before.
   *
   * A retired worker is not replaced again and does not count for the restart backoff. With
   * `handleSignals: true`, SIGHUP calls it (a reload like nginx's). It logs the start and the end.
   *
   * A call while a restart runs is not lost: it resolves once another rolling restart, started
   * when the running one settled, replaced every worker again, so every worker running at the time
   * of the call (and whatever code it loaded) is replaced by one forked after it.
   *
   * @throws {@link ClusterError} `ERR_RESTART` when a replacement exits or is not ready within
   * `readyTimeout`: the replacement is stopped and the restart stops there, the workers not yet
   * replaced keep running. `ERR_CLOSING` when `close()` was called before or during the restart
   * (`close()` stops every worker, replacements included).
   *
   * @example
   * ```ts
   * // After deploying a new version of the worker script:
   * const before = primary.workers().map((w) => w.process.pid);
   * try {
   *   await primary.restartWorkers();
   *   console.log('replaced', before, 'by', primary.workers().map((w) => w.process.pid));
   * } catch (err) {
   *   if (err instanceof ClusterError && err.code === 'ERR_RESTART') console.error('new version does not start', err);
   * }
   * ```
   */
  restartWorkers(): Promise<void> {
    if (this.#closing) return Promise.reject(closingError());
    if (this.#restarting === undefined) {
      const run = this.#rollingRestart().finally(() => {
        if (this.#restarting === run) this.#restarting = undefined;
      });
      this.#restarting = run;
      return run;
    }
    this.#nextRestart ??= this.#restarting
      .catch(() => {
        // Its caller hears of it; the restart asked for since then runs all the same.
      })
      .then(() => {
        this.#nextRestart = undefined;
        return this.restartWorkers();
      });
    return this.#nextRestart;
  }

  async #rollingRestart(): Promise<void> {
    const retiring = this.workers().filter((worker) => !this.#planned.has(worker.id));
    this.#log.info(`cluster primary: rolling restart of ${retiring.length} workers`);
    for (const worker of retiring) this.#retiring.add(worker.id);
    const replaced: string[] = [];
    try {
      for (const worker of retiring) {
        // One that died meanwhile was replaced as any crashed worker, by a worker forked since.
        if (this.#workers.get(worker.id) !== worker) continue;
        const replacement = await this.#replace(worker);
        this.#retiring.delete(worker.id);
        replaced.push(`${worker.id} → ${replacement.id}`);
      }
    } finally {
      this.#retiring.clear();
    }
    this.#log.info(`cluster primary: rolling restart done (${replaced.join(', ')})`);
  }

  /** One step of a rolling restart: `worker` replaced by a new worker; resolves with it. */
  async #replace(worker: Worker): Promise<Worker> {
    const replacement = this.#fork();
    if (!replacement) throw closingError();
    // Until it is ready it is surplus: should it die, nobody replaces it.
    this.#planned.set(replacement.id, `the replacement of worker ${worker.id} in a rolling restart`);
    const step: { worker: Worker; crashDelay?: number } = { worker };
    this.#replacing = step;
    let outcome: ReadyOutcome;
    try {
      outcome = await this.#untilReady(replacement);
    } finally {
      this.#replacing = undefined;
    }
    if (outcome === 'closing') throw closingError();
    if (outcome !== 'ready') {
      if (this.#workers.has(replacement.id)) await this.#terminate(replacement);
      // The old one crashed while its replacement started, and that one failed too: the slot is
      // empty, replace it as any crashed worker.
      if (step.crashDelay !== undefined) this.#forkIn(step.crashDelay);
      throw new ClusterError(
        'ERR_RESTART',
        `restartWorkers: the replacement of worker ${worker.id} (worker ${replacement.id}) ${
          outcome === 'exited' ? 'exited' : `was not ready within ${this.#options.readyTimeout} ms`
        }; the workers not replaced yet keep running`,
      );
    }
    this.#planned.delete(replacement.id);
    if (this.#workers.get(worker.id) !== worker) return replacement;
    this.#planned.set(worker.id, `retired by a rolling restart (worker ${replacement.id} replaced it)`);
    // No new session from now on, and none just begun there cut short by SIGTERM.
    this.#unready(worker);
    const grace = (this.#lastNewSession.get(worker.id) ?? 0) + CONNECT_GRACE - Date.now();
    if (grace > 0) {
      await sleep(grace, undefined, { signal: this.#closed.signal }).catch(() => {
        // close() was called: it stops this worker with the others.
      });
    }
    await this.#terminate(worker);
    if (this.#closing) throw closingError();
    return replacement;
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
      if (this.#closing || this.#terminating.has(worker.id) || this.#ready.includes(worker)) return;
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

  /**
   * The next ready worker, round robin. During a rolling restart, one that stays if there is one:
   * a session opened on a worker still to be replaced would be drained again, so a client is
   * disconnected at most once by a rolling restart.
   */
  #pick(): Worker | undefined {
    if (this.#retiring.size > 0) {
      const staying = this.#nextReady((worker) => !this.#retiring.has(worker.id));
      if (staying) return staying;
    }
    return this.#nextReady(() => true);
  }

  /** The worker owning `sid` if it takes new sessions now (ready, connected, not being retired). */
  #pickOwner(sid: string): Worker | undefined {
    const owner = this.#ownerOf(sid);
    if (!owner || !this.#ready.includes(owner) || this.#retiring.has(owner.id)) return undefined;
    this.#lastNewSession.set(owner.id, Date.now());
    return owner;
  }

  #nextReady(eligible: (worker: Worker) => boolean): Worker | undefined {
    for (let tries = this.#ready.length; tries > 0 && this.#ready.length > 0; tries--) {
      const worker = this.#ready[this.#next % this.#ready.length]!;
      this.#next = (this.#next + 1) % this.#ready.length;
      // A worker whose channel closed is dying: its exit is not reported yet, but it takes nothing.
      if (!worker.isConnected()) {
        this.#unready(worker);
      } else if (eligible(worker)) {
        this.#lastNewSession.set(worker.id, Date.now());
        return worker;
      }
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
    // it (with the default in-memory adapter). Not to a worker a rolling restart is about to
    // retire: the client would be moved again moments later.
    const worker = (previousSid !== undefined && this.#pickOwner(previousSid)) || this.#pick();
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
