/**
 * Where micro-socket's packages report failures: handler errors (server), dropped messages and
 * transport trouble (publish). `console` fits, and so does `Micro.logger` adapted by the plugin;
 * one logger object serves every package.
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

/**
 * A logger whose calls never throw, whatever the user passed; `warn` falls back to `error` when
 * missing. Without a logger it writes to `console`, except `debug`: the default stays quiet about
 * what is not a fault (a handler answering with a `SocketError`, say); pass `console` to see it.
 *
 * @example
 * ```ts
 * const log = safeLogger({ error: console.error });
 * log.debug('ignored: no debug method given');
 * safeLogger(undefined).debug('ignored: the default logger is quiet at debug');
 * log.warn('goes to console.error');
 * ```
 */
export function safeLogger(logger: Partial<Logger> | undefined): Required<Logger> {
  const base = logger ?? console;
  const quietDebug = logger === undefined;
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
  return {
    error: call('error'),
    warn: call('warn', 'error'),
    info: call('info'),
    debug: quietDebug ? () => {} : call('debug'),
  };
}
