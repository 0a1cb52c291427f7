import { CodedError } from '@pestras/micro-socket-core';

/**
 * The codes a {@link MicroSocketError} carries.
 *
 * @example
 * ```ts
 * if (err instanceof MicroSocketError && err.code === 'ERR_NOT_STARTED') { ... }
 * ```
 */
export type MicroSocketErrorCode =
  /** A constructor argument of `MicroSocket` is not what the options table allows. */
  | 'ERR_INVALID_OPTIONS'
  /** `io`, `httpServer` or `publish` used before `init()` finished (or after the plugin closed). */
  | 'ERR_NOT_STARTED'
  /** `init()` called a second time. */
  | 'ERR_ALREADY_STARTED'
  /** The socket server could not start: the port is taken, the http server function returned nothing… */
  | 'ERR_START_FAILED'
  /** A message given to `MicroSocket.publish` was refused by the publish bus. */
  | 'ERR_PUBLISH_INVALID'
  /** The publish bus could not send a message (its transport failed, or it is closed). */
  | 'ERR_PUBLISH_FAILED'
  /** The cluster primary of `@SERVICE({ workers })` could not start. */
  | 'ERR_WORKERS';

/**
 * The one error class of `@pestras/micro-socket-plugin`. Errors of the packages below it (the
 * socket server's `SocketError`, the bus's `PublishError`) reach you as this error's `cause`.
 *
 * @example
 * ```ts
 * try {
 *   new MicroSocket({ port: -1 });
 * } catch (err) {
 *   if (err instanceof MicroSocketError) console.error(err.code, err.message); // ERR_INVALID_OPTIONS ...
 * }
 * ```
 */
export class MicroSocketError extends CodedError<MicroSocketErrorCode> {
  override readonly name = 'MicroSocketError';
}
