import { Micro, type MicroPlugin } from '@pestras/micro';
import { PublishBus, type PublishOptions, type SocketIOPublishMessage } from '@pestras/micro-socket-publish';
import {
  type HttpServerLike,
  type HttpServerSource,
  type Logger,
  SocketServer,
} from '@pestras/micro-socket-server';
import type { Server } from 'socket.io';
import { MicroSocketError } from './errors';
import { microLogger } from './logger';
import { checkOptions, checkServerSource, DEFAULT_EXIT_TIMEOUT, type MicroSocketOptions } from './options';
import { reportUnawaited } from './unawaited';
import { WorkerMode } from './worker-mode';

/** Marks MicroSocket instances across copies of this package (its ESM and CJS builds, say). */
const MICRO_SOCKET = Symbol.for('@pestras/micro-socket-plugin:MicroSocket');

/** The main service and every sub service Micro created, in that order. */
function serviceInstances(): object[] {
  const main: unknown = Micro.service;
  const subs: readonly unknown[] = Micro.subServices ?? [];
  return [main, ...subs].filter((s): s is object => typeof s === 'object' && s !== null);
}

/**
 * The MicroSocket plugins registered with Micro (`Micro.plugins` / `Micro.plugin`), read from
 * Micro's own plugin list: this package keeps no registry of its own.
 */
export function registeredMicroSockets(): MicroSocket[] {
  const plugins: unknown = (Micro as unknown as { _plugins?: unknown })._plugins;
  return Array.isArray(plugins) ? plugins.filter(MicroSocket.isMicroSocket) : [];
}

/**
 * The @pestras/micro plugin that runs a socket.io 4.8 server for the service: the decorated
 * methods (`CONNECT`, `EVENT`, ...) of the main service and of every sub service are bound to it,
 * each called on its own instance.
 *
 * - `init()` (called by `Micro.start`) starts the server, on its own http server (`port` 3001,
 *   `host` `'0.0.0.0'` by default) or on the one given; it then reports `healthy`, `ready` and
 *   `live` to Micro's health check.
 * - Failures are logged through `Micro.logger` unless `options.logger` is given.
 * - `Micro.exit` (SIGTERM, SIGINT, SIGHUP, `Micro.exit()`) closes the server first: clients are
 *   disconnected, the http server it created is closed, then the process exits with Micro's code.
 *   The wait is bounded by `exitTimeout` (2 s by default).
 *
 * @example
 * ```ts
 * import { Micro, SERVICE } from '@pestras/micro';
 * import { EVENT, MicroSocket } from '@pestras/micro-socket';
 *
 * Micro.plugin(new MicroSocket());
 *
 * @SERVICE()
 * class Chat {
 *   @EVENT('message')
 *   onMessage(io: Server, socket: Socket, text: string) {
 *     io.emit('message', text);
 *     return { delivered: true };
 *   }
 * }
 * Micro.start(Chat);
 * ```
 */
export class MicroSocket implements MicroPlugin {
  /** Micro's health flag: true once the server runs, false again once it closes or fails. */
  healthy = false;
  /** Micro's readiness flag: true while clients can connect. */
  ready = false;
  /** Micro's liveness flag: false once the plugin is closing. */
  live = true;
  /** The options as given (a copy); `null` and `undefined` are `{}`. */
  readonly options: Readonly<MicroSocketOptions>;
  readonly #source: HttpServerSource | undefined;
  #server: SocketServer | undefined;
  /** Set in a worker of `@SERVICE({ workers })`: see worker-mode.ts. */
  readonly #worker = WorkerMode.ofThisProcess();
  #bus: PublishBus | undefined;
  #closing: Promise<void> | undefined;
  readonly #logger = microLogger(() => Micro.logger);

  /**
   * @param options the seed's options table; `null` or nothing for the defaults.
   * @param server an http(s) server to attach to instead of creating one, or a function returning
   *   it, called in `init()` (after the plugins registered before this one have initialized).
   * @throws {@link MicroSocketError} `ERR_INVALID_OPTIONS` for options outside the table.
   */
  constructor(options?: MicroSocketOptions | null, server?: HttpServerSource | null) {
    this.options = Object.freeze(checkOptions(options));
    this.#source = checkServerSource(server);
    Object.defineProperty(this, MICRO_SOCKET, { value: true });
  }

  /**
   * Whether a value is a MicroSocket, also one created by another copy of this package.
   *
   * @example
   * ```ts
   * MicroSocket.isMicroSocket(new MicroSocket()); // true
   * ```
   */
  static isMicroSocket(this: void, value: unknown): value is MicroSocket {
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MICRO_SOCKET] === true
    );
  }

  /** The socket.io server. @throws {@link MicroSocketError} `ERR_NOT_STARTED` before `init()`. */
  get io(): Server {
    return this.#started().io;
  }

  /** The http server socket.io is attached to. @throws {@link MicroSocketError} `ERR_NOT_STARTED`. */
  get httpServer(): HttpServerLike {
    return this.#started().httpServer;
  }

  /** The port the plugin's own http server listens on (useful with `port: 0`). */
  get port(): number | undefined {
    return this.#server?.port;
  }

  /** Whether `init()` succeeded and the plugin has not closed. */
  get started(): boolean {
    return this.#server?.started === true && this.#closing === undefined;
  }

  /** Where the plugin logs: `options.logger`, else `Micro.logger` adapted to the Logger shape. */
  get logger(): Partial<Logger> {
    return this.options.logger ?? this.#logger;
  }

  /**
   * Starts the socket.io server and binds the handlers of `Micro.service` and `Micro.subServices`.
   * Micro calls it from `Micro.start`. If the server cannot start, the process exits with code 1
   * (see `exitOnStartFailure`); with `exitOnStartFailure: false` it rejects, Micro logs it and
   * goes on without sockets, and the plugin reports itself unhealthy.
   *
   * @throws {@link MicroSocketError} `ERR_ALREADY_STARTED`, `ERR_START_FAILED` (cause: the server's error).
   */
  async init(): Promise<void> {
    if (this.#server) throw new MicroSocketError('ERR_ALREADY_STARTED', 'MicroSocket: init() already ran');
    // In worker mode the primary owns the port and hands this worker its sessions' connections.
    const listen = this.#worker ? { listen: false } : {};
    const server = new SocketServer({ ...this.options, ...listen, logger: this.logger }, this.#source);
    this.#server = server;
    try {
      await server.start(serviceInstances());
      // The bus, like the socket server, fills in the methods a partial logger lacks.
      this.#bus = new PublishBus(server.io, { logger: this.logger as Logger });
    } catch (err) {
      await server.close({ timeout: 0 }).catch(() => {});
      this.#server = undefined;
      this.healthy = false;
      this.ready = false;
      const failure = new MicroSocketError('ERR_START_FAILED', `MicroSocket: ${(err as Error).message}`, {
        cause: err,
      });
      if (this.options.exitOnStartFailure ?? true) {
        // A service without its sockets is no use: exit so that an orchestrator restarts it.
        this.logger.error?.(`${failure.message}; exiting (exitOnStartFailure)`, err);
        Micro.exit(1);
      }
      throw failure;
    }
    // A server closed by someone else (the plugin that owns it) takes no more clients.
    server.httpServer.once('close', () => {
      this.healthy = false;
      this.ready = false;
    });
    this.healthy = true;
    // In worker mode, clients are routed here only once the services' onInit ran: see onReady.
    if (this.#worker) return;
    this.ready = true;
    this.logger.info?.(this.#startedMessage());
  }

  /**
   * Micro calls it once the services' `onInit` ran. In a worker of `@SERVICE({ workers })`, the
   * plugin only then tells the cluster primary to route clients to it.
   */
  onReady(): void {
    const server = this.#server;
    const worker = this.#worker;
    if (!worker || worker.serving || !server || this.#closing) return;
    try {
      worker.serve(server);
    } catch (err) {
      this.healthy = false;
      this.logger.error?.('MicroSocket: cannot take connections from the cluster primary', err);
      return;
    }
    this.ready = true;
    this.logger.info?.(this.#startedMessage());
  }

  /**
   * Sends a message to the sockets of the *other* processes of the service: the other workers of
   * `@SERVICE({ workers })` (over the cluster's IPC channel), or the other servers linked by the
   * `adapter` option. With `{ includeSelf: true }` this process's sockets receive it too; by
   * default they do not, as in the seed, where the handler emits locally itself. In a single
   * process without an adapter it only validates the message (nothing else to reach).
   *
   * The returned promise resolves once the message was handed over. A failure rejects it with a
   * {@link MicroSocketError}; it is logged (once) only when the caller does not take the
   * rejection (fire and forget), and it never becomes an unhandled rejection.
   *
   * @example
   * ```ts
   * await socketPlugin.publish({ event: 'ArticleUpdated', data: [id], namespace: 'blog', room: 'members' });
   * ```
   */
  publish(message: SocketIOPublishMessage, options?: PublishOptions): Promise<void> {
    return reportUnawaited(this.#publish(message, options), (err) => this.#log(err as MicroSocketError));
  }

  /** Publishes without logging: a failure rejects with a {@link MicroSocketError}. */
  async #publish(message: SocketIOPublishMessage, options?: PublishOptions): Promise<void> {
    const bus = this.#bus;
    if (!bus) throw new MicroSocketError('ERR_NOT_STARTED', 'MicroSocket.publish: the plugin is not running');
    try {
      await bus.publish(message, options);
    } catch (err) {
      throw toPublishError(err);
    }
  }

  /**
   * `MicroSocket.publish(message)` of the seed: {@link MicroSocket.prototype.publish} on every
   * running MicroSocket registered with Micro (normally the one).
   *
   * @example
   * ```ts
   * @SERVICE({ workers: 4 })
   * class Publisher {
   *   @EVENT('ArticleUpdated', ['blog'])
   *   onArticleUpdate(ns: Namespace, socket: Socket, id: string) {
   *     socket.to('members').emit('ArticleUpdated', id);
   *     MicroSocket.publish({ event: 'ArticleUpdated', data: [id], namespace: 'blog', room: 'members' });
   *   }
   * }
   * ```
   */
  static publish(message: SocketIOPublishMessage, options?: PublishOptions): Promise<void> {
    const running = registeredMicroSockets();
    const first = running[0];
    if (!first) {
      const error = new MicroSocketError(
        'ERR_NOT_STARTED',
        'MicroSocket.publish: no MicroSocket plugin is registered (Micro.plugin(new MicroSocket()), then Micro.start)',
      );
      return reportUnawaited(Promise.reject(error), () =>
        microLogger(() => Micro.logger).error(error.message),
      );
    }
    const all = Promise.all(running.map((plugin) => plugin.#publish(message, options))).then(() => {});
    return reportUnawaited(all, (err) => first.#log(err as MicroSocketError));
  }

  /**
   * Micro calls it from `Micro.exit`, synchronously before `process.exit`: it starts closing at
   * once (clients are told synchronously), in case the deferred exit was bypassed.
   */
  onExit(_code?: number, _signal?: NodeJS.Signals): void {
    void this.close();
  }

  /**
   * Disconnects every client, closes socket.io and the http server the plugin created (a given
   * server is left listening). Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.healthy = false;
    this.ready = false;
    this.live = false;
    const server = this.#server;
    if (!server) return Promise.resolve();
    // No new sessions from the primary; the open ones drain with the server.
    this.#worker?.close();
    const bus = this.#bus;
    this.#closing = (async () => {
      try {
        await server.close({ timeout: this.#exitTimeout() });
      } finally {
        await bus?.close();
      }
    })();
    return this.#closing;
  }

  #exitTimeout(): number {
    return this.options.exitTimeout ?? DEFAULT_EXIT_TIMEOUT;
  }

  #startedMessage(): string {
    if (this.#worker?.serving) return this.#worker.describe();
    const port = this.#server?.port;
    if (this.#source !== undefined) {
      return `MicroSocket: socket.io attached to the given http server${port === undefined ? '' : ` (port ${port})`}`;
    }
    return `MicroSocket: socket.io listening on ${formatHost(this.options.host ?? '0.0.0.0')}:${port}`;
  }

  #log(error: MicroSocketError): void {
    this.logger.error?.(error.message, ...(error.cause === undefined ? [] : [error.cause]));
  }

  #started(): SocketServer {
    if (!this.#server?.started) {
      throw new MicroSocketError(
        'ERR_NOT_STARTED',
        'MicroSocket: the plugin has not started (Micro.start runs init)',
      );
    }
    return this.#server;
  }
}

function toPublishError(err: unknown): MicroSocketError {
  const code = (err as { code?: unknown } | null)?.code;
  const invalid =
    code === 'ERR_INVALID_MESSAGE' || code === 'ERR_UNSERIALIZABLE' || code === 'ERR_INVALID_OPTIONS';
  return new MicroSocketError(
    invalid ? 'ERR_PUBLISH_INVALID' : 'ERR_PUBLISH_FAILED',
    `MicroSocket.publish: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
