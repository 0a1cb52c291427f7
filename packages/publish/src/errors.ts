import { CodedError } from '@pestras/micro-socket-core';

/**
 * Why a {@link PublishError} was raised.
 *
 * - `ERR_INVALID_MESSAGE`: the message is not a valid {@link SocketIOPublishMessage}
 *   (no event, a reserved event name, `data` not an array, a bad `namespace`/`room`/`socketId`/`broadcast`).
 * - `ERR_UNSERIALIZABLE`: the payload holds something that cannot cross a process boundary
 *   faithfully: functions, symbols, BigInt, circular references, class instances, non-finite numbers.
 * - `ERR_TRANSPORT`: the transport failed to send (IPC channel closed, Redis unreachable, no adapter).
 * - `ERR_NO_IPC`: {@link ipcTransport} was created in a process that has no IPC channel.
 * - `ERR_CLOSED`: the bus or transport was closed.
 * - `ERR_INVALID_OPTIONS`: a factory received options it cannot use.
 *
 * @example
 * ```ts
 * const code: PublishErrorCode = 'ERR_INVALID_MESSAGE';
 * ```
 */
export type PublishErrorCode =
  | 'ERR_INVALID_MESSAGE'
  | 'ERR_UNSERIALIZABLE'
  | 'ERR_TRANSPORT'
  | 'ERR_NO_IPC'
  | 'ERR_CLOSED'
  | 'ERR_INVALID_OPTIONS';

/**
 * The one error class of `@pestras/micro-socket-publish`. Every rejection of
 * {@link PublishBus.publish} and every error the factories throw is a `PublishError` with a
 * stable {@link PublishErrorCode}; the original failure, if any, is its `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await bus.publish({ event: 'tick', data: [() => 1] });
 * } catch (err) {
 *   if (err instanceof PublishError && err.code === 'ERR_UNSERIALIZABLE') console.warn(err.message);
 * }
 * ```
 */
export class PublishError extends CodedError<PublishErrorCode> {
  override readonly name = 'PublishError';
}
