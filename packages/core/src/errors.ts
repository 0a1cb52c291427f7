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
export class DecoratorError extends Error {
  override readonly name = 'DecoratorError';
  /** A stable, machine-readable code. */
  readonly code: DecoratorErrorCode;

  constructor(code: DecoratorErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
