/**
 * The shape every error class of micro-socket shares: an `Error` with a stable, machine-readable
 * `code` and, where another failure caused it, that failure as `cause`. Each package has exactly
 * one subclass (`DecoratorError`, `SocketError`, `PublishError`, `MicroSocketError`, ...), so
 * `instanceof` tells where an error was raised and `code` tells why.
 *
 * @example
 * ```ts
 * try {
 *   await start();
 * } catch (err) {
 *   if (err instanceof CodedError) console.error(err.name, err.code, err.message);
 * }
 * ```
 */
export class CodedError<Code extends string = string> extends Error {
  /** A stable, machine-readable code. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The codes a {@link DecoratorError} carries.
 *
 * @example
 * ```ts
 * if (err instanceof DecoratorError && err.code === 'ERR_EVENT_NAME_RESERVED') { ... }
 * ```
 */
export type DecoratorErrorCode =
  | 'ERR_EVENT_NAME_MISSING'
  | 'ERR_EVENT_NAME_INVALID'
  | 'ERR_EVENT_NAME_RESERVED'
  | 'ERR_EVENT_OPTIONS_INVALID'
  | 'ERR_NAMESPACES_INVALID'
  | 'ERR_DECORATOR_TARGET'
  | 'ERR_METADATA_UNAVAILABLE'
  | 'ERR_HANDLER_NOT_A_FUNCTION';

/**
 * The one error class of `@pestras/micro-socket-core`: a decorator used wrongly, raised when the
 * class is defined (or, for a missing method, when a plan is made), never later at run time.
 *
 * @example
 * ```ts
 * try {
 *   class Chat { @EVENT('connect') onConnect() {} }
 * } catch (err) {
 *   if (err instanceof DecoratorError) console.error(err.code, err.message);
 * }
 * ```
 */
export class DecoratorError extends CodedError<DecoratorErrorCode> {
  override readonly name = 'DecoratorError';
}
