import { integerOptionMessage, isIntegerIn } from '@pestras/micro-socket-core/internal';
import type { HttpServerSource, SocketIOOptions } from '@pestras/micro-socket-server';
import { MicroSocketError } from './errors';

/**
 * The options of {@link MicroSocket}: the seed's table (`serverOptions`, `maxListeners`,
 * `adapter`, `port` 3001, `host` `'0.0.0.0'`), the socket server's `logger` and
 * `middlewareTimeout`, and `exitTimeout`.
 *
 * @example
 * ```ts
 * const options: MicroSocketOptions = {
 *   port: Number(process.env.PORT ?? 3001),
 *   serverOptions: { cors: { origin: 'https://example.com' } },
 *   exitTimeout: 1_000,
 * };
 * Micro.plugin(new MicroSocket(options));
 * ```
 */
export interface MicroSocketOptions extends SocketIOOptions {
  /**
   * How long `Micro.exit` (SIGTERM, SIGINT, SIGHUP, `Micro.exit()`) waits for the socket server to
   * close before the process exits, in milliseconds; {@link DEFAULT_EXIT_TIMEOUT} by default.
   */
  exitTimeout?: number | null;
  /**
   * What `init()` does when the socket server cannot start (port taken, no http server): `true`
   * (the default) logs the failure and exits the process with code 1 through `Micro.exit`, so
   * that its orchestrator (systemd, Kubernetes, the cluster primary) restarts it; `false` rejects
   * with `ERR_START_FAILED` and lets Micro 1.2.5 run the service without sockets, reporting
   * `healthy: false, ready: false`.
   */
  exitOnStartFailure?: boolean | null;
}

/**
 * The default of {@link MicroSocketOptions.exitTimeout}, in milliseconds.
 *
 * @example
 * ```ts
 * new MicroSocket({ exitTimeout: DEFAULT_EXIT_TIMEOUT * 2 });
 * ```
 */
export const DEFAULT_EXIT_TIMEOUT = 2_000;

function invalid(message: string): MicroSocketError {
  return new MicroSocketError('ERR_INVALID_OPTIONS', `MicroSocket: ${message}`);
}

function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (isAbsent(value)) return;
  if (!isIntegerIn(value, min, max)) throw invalid(integerOptionMessage(name, value, min, max));
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the constructor arguments and returns a copy of the options (`null` is no options). */
export function checkOptions(options: unknown): MicroSocketOptions {
  if (isAbsent(options)) return {};
  if (!isObject(options)) throw invalid(`options must be an object or null, got ${typeof options}`);
  const o = options as Record<string, unknown>;
  checkInteger('port', o.port, 0, 65_535);
  checkInteger('maxListeners', o.maxListeners, 0, Number.MAX_SAFE_INTEGER);
  checkInteger('middlewareTimeout', o.middlewareTimeout, 0, 2_147_483_647);
  checkInteger('exitTimeout', o.exitTimeout, 0, 2_147_483_647);
  if (!isAbsent(o.host) && (typeof o.host !== 'string' || o.host === '')) {
    throw invalid(`host must be a non-empty string, got ${String(o.host)}`);
  }
  if (!isAbsent(o.serverOptions) && !isObject(o.serverOptions)) {
    throw invalid('serverOptions must be an object of socket.io server options');
  }
  if (!isAbsent(o.exitOnStartFailure) && typeof o.exitOnStartFailure !== 'boolean') {
    throw invalid(`exitOnStartFailure must be a boolean, got ${String(o.exitOnStartFailure)}`);
  }
  if (!isAbsent(o.logger) && !isObject(o.logger)) {
    throw invalid('logger must be an object with error and warn methods');
  }
  return { ...(options as MicroSocketOptions) };
}

/** Checks the second constructor argument: an http(s) server, a function returning one, or nothing. */
export function checkServerSource(server: unknown): HttpServerSource | undefined {
  if (isAbsent(server)) return undefined;
  if (typeof server === 'function') return server as HttpServerSource;
  const candidate = server as { listen?: unknown; listeners?: unknown };
  if (
    isObject(server) &&
    typeof candidate.listen === 'function' &&
    typeof candidate.listeners === 'function'
  ) {
    return server as HttpServerSource;
  }
  throw invalid('server must be an http(s) server or a function returning one');
}
