import { CodedError } from '@pestras/micro-socket-core';

/**
 * The one error class of `@pestras/micro-socket-server`, and the one handlers throw to answer a
 * client's acknowledgement with an error of their own: its `code` and `message` reach the client
 * as `{ error: { code, message } }` (thrown or passed to `next` by a HANDSHAKE or USE
 * middleware: as `connect_error` with `err.data.code`). Any other error thrown reaches the client
 * as {@link INTERNAL_ERROR} (EVENT) or {@link MIDDLEWARE_FAILED} (middlewares), with no message
 * or stack of its own.
 *
 * Codes of the package itself start with `ERR_`; handlers may use any code.
 *
 * @example
 * ```ts
 * class Blog {
 *   @EVENT('article')
 *   article(io: Server, socket: Socket, id: string) {
 *     if (!articles.has(id)) throw new SocketError('NOT_FOUND', `no article ${id}`);
 *     return articles.get(id);
 *   }
 * }
 * // client: socket.emit('article', 'x', (res) => res.error?.code === 'NOT_FOUND')
 * ```
 */
export class SocketError extends CodedError {
  override readonly name = 'SocketError';
}

/**
 * What a client receives in its acknowledgement when a handler failed.
 *
 * @example
 * ```ts
 * socket.emit('save', doc, (res: { error?: AckError['error'] }) => {
 *   if (res?.error) console.warn(res.error.code, res.error.message);
 * });
 * ```
 */
export interface AckError {
  readonly error: { readonly code: string; readonly message: string };
}

/**
 * The acknowledgement a client receives for a handler error that is not a {@link SocketError}.
 *
 * @example
 * ```ts
 * INTERNAL_ERROR; // { error: { code: 'ERR_INTERNAL', message: 'Internal server error' } }
 * ```
 */
export const INTERNAL_ERROR: AckError = Object.freeze({
  error: Object.freeze({ code: 'ERR_INTERNAL', message: 'Internal server error' }),
});

/**
 * The acknowledgement payload for an error: a {@link SocketError}'s own code and message,
 * {@link INTERNAL_ERROR} for anything else.
 *
 * @example
 * ```ts
 * toAckError(new SocketError('NOT_FOUND', 'gone')); // { error: { code: 'NOT_FOUND', message: 'gone' } }
 * toAckError(new TypeError('x is undefined')); // INTERNAL_ERROR
 * ```
 */
export function toAckError(err: unknown): AckError {
  return err instanceof SocketError ? { error: { code: err.code, message: err.message } } : INTERNAL_ERROR;
}

/**
 * What a client receives when a HANDSHAKE, USE or USESOCKET middleware failed, that is threw or
 * rejected something that is not a {@link SocketError}: as `connect_error` (`err.message`, and
 * `err.data.code` on the client) or as the refused packet's ack. The failure itself is logged
 * with its stack; nothing of it reaches the client.
 *
 * @example
 * ```ts
 * // client
 * socket.on('connect_error', (err) => {
 *   if ((err as { data?: { code?: string } }).data?.code === MIDDLEWARE_FAILED.error.code) retryLater();
 * });
 * ```
 */
export const MIDDLEWARE_FAILED: AckError = Object.freeze({
  error: Object.freeze({ code: 'ERR_MIDDLEWARE_FAILED', message: 'Internal server error' }),
});
