/**
 * Where the binding reports handler failures. `console` fits, and so does `Micro.logger`.
 *
 * @example
 * ```ts
 * const logger: Logger = { error: (msg, ...meta) => myLog.error(msg, ...meta), warn: console.warn };
 * bindHandlers(io, [new Chat()], { logger });
 * ```
 */
export interface Logger {
  error(message: string, ...meta: unknown[]): void;
  warn(message: string, ...meta: unknown[]): void;
  info?(message: string, ...meta: unknown[]): void;
  debug?(message: string, ...meta: unknown[]): void;
}

/** A logger that checks its inputs: whatever a user passes, a log call never throws. */
export function safeLogger(logger: Partial<Logger> | undefined): Required<Logger> {
  const base = logger ?? console;
  const call =
    (level: keyof Logger, fallback?: keyof Logger) =>
    (message: string, ...meta: unknown[]) => {
      const fn = base[level] ?? (fallback ? base[fallback] : undefined);
      try {
        fn?.call(base, message, ...meta);
      } catch {
        // A broken logger must not turn a handled failure into a crash.
      }
    };
  return { error: call('error'), warn: call('warn', 'error'), info: call('info'), debug: call('debug') };
}
