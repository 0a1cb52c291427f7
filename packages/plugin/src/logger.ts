import { inspect } from 'node:util';
import type { Logger } from '@pestras/micro-socket-server';

/**
 * The shape of `Micro.logger` in @pestras/micro 1.2.5: `debug/info/warn(msg, meta?)`, and
 * `error(error, extraMessage?)`, which prints `error.message` (never `extraMessage`) and a trace.
 *
 * @example
 * ```ts
 * const logger: MicroLoggerLike = Micro.logger;
 * ```
 */
export interface MicroLoggerLike {
  error(error: Error, extraMessage?: string): void;
  warn(msg: unknown, meta?: unknown): void;
  info(msg: unknown, meta?: unknown): void;
  debug(msg: unknown, meta?: unknown): void;
}

function describeMeta(value: unknown): string {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return `${value.name}${code === undefined ? '' : ` [${String(code)}]`}: ${value.message}`;
  }
  if (typeof value === 'string') return value;
  return inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY });
}

/** One line with the message and every meta value, so that nothing is lost whatever the logger prints. */
function line(message: unknown, meta: unknown[]): string {
  const head = typeof message === 'string' ? message : describeMeta(message);
  return meta.length === 0 ? head : `${head} ${meta.map(describeMeta).join(' ')}`;
}

/**
 * Adapts `Micro.logger` to the `Logger` shape the socket server logs through.
 *
 * Micro's `error(error)` prints only `error.message` and then `console.trace(error)`, so every
 * `error(message, ...meta)` becomes one `Error` whose message is the whole line (message and
 * meta) and whose stack is the stack of the first meta `Error`, when there is one. `warn`, `info`
 * and `debug` get the same single line. The logger is looked up on every call, so a replaced
 * `Micro.logger` (or `transferLog`) is honoured, and a logger that throws never breaks a caller.
 *
 * @param source returns the logger to write to, typically `() => Micro.logger`.
 * @example
 * ```ts
 * import { Micro } from '@pestras/micro';
 * const logger = microLogger(() => Micro.logger);
 * logger.error('EVENT "save" failed', new Error('disk full'));
 * // [ERROR: 4242] EVENT "save" failed Error: disk full
 * ```
 */
export function microLogger(source: () => MicroLoggerLike | null | undefined): Required<Logger> {
  const write =
    (level: 'warn' | 'info' | 'debug') =>
    (message: string, ...meta: unknown[]) => {
      try {
        source()?.[level](line(message, meta));
      } catch {
        // A broken logger must not turn a logged failure into a crash.
      }
    };
  return {
    error(message: string, ...meta: unknown[]) {
      const error = new Error(line(message, meta));
      const cause = meta.find((value): value is Error => value instanceof Error);
      error.stack = cause?.stack ? `${error.message}\n${cause.stack}` : error.message;
      try {
        source()?.error(error);
      } catch {
        // See above.
      }
    },
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
  };
}
