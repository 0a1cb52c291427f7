/**
 * Where the bus reports dropped messages and transport trouble. Structurally the same as the
 * `Logger` of `@pestras/micro-socket-server`, so `console`, `Micro.logger` or one logger object
 * serves both packages.
 *
 * @example
 * ```ts
 * const logger: Logger = { error: console.error, warn: console.warn };
 * const bus = new PublishBus(io, { logger });
 * ```
 */
export interface Logger {
  error(message: string, ...meta: unknown[]): void;
  warn(message: string, ...meta: unknown[]): void;
  info?(message: string, ...meta: unknown[]): void;
  debug?(message: string, ...meta: unknown[]): void;
}

/**
 * A logger whose calls never throw, whatever the user passed; `console` when none. (The same
 * as the server package's: this package must not depend on the server.)
 */
export function safeLogger(logger: Partial<Logger> | undefined): Required<Logger> {
  const base = logger ?? console;
  const call =
    (level: keyof Logger, fallback?: keyof Logger) =>
    (message: string, ...meta: unknown[]) => {
      const fn = base[level] ?? (fallback ? base[fallback] : undefined);
      try {
        fn?.call(base, message, ...meta);
      } catch {
        // A broken logger must not turn a dropped message into a crash.
      }
    };
  return { error: call('error'), warn: call('warn', 'error'), info: call('info'), debug: call('debug') };
}
