import { CodedError } from '@pestras/micro-socket-core';

/**
 * Why a {@link ClusterError} was raised.
 *
 * - `ERR_INVALID_OPTIONS`: options the primary or a worker cannot use, the primary started in a
 *   worker, `io` without an http server, an http server served twice.
 * - `ERR_LISTEN`: the primary cannot listen on its port.
 * - `ERR_NO_IPC`: {@link serveStickyWorker} outside a `node:cluster` worker.
 * - `ERR_RESTART`: a rolling restart ({@link ClusterPrimary.restartWorkers}) stopped because a
 *   replacement worker exited or was not ready within `readyTimeout`; the workers not replaced
 *   yet keep running.
 * - `ERR_CLOSING`: a rolling restart asked for, or interrupted, by `close()`.
 *
 * @example
 * ```ts
 * const code: ClusterErrorCode = 'ERR_LISTEN';
 * ```
 */
export type ClusterErrorCode =
  | 'ERR_INVALID_OPTIONS'
  | 'ERR_LISTEN'
  | 'ERR_NO_IPC'
  | 'ERR_RESTART'
  | 'ERR_CLOSING';

/**
 * The one error class of `@pestras/micro-socket-cluster`, with a stable {@link ClusterErrorCode};
 * the original failure, if any, is its `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await startClusterPrimary({ workers: 2, port: 3001 });
 * } catch (err) {
 *   if (err instanceof ClusterError && err.code === 'ERR_LISTEN') console.error('port taken');
 * }
 * ```
 */
export class ClusterError extends CodedError<ClusterErrorCode> {
  override readonly name = 'ClusterError';
}
