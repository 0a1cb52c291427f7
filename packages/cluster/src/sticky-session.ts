import { randomBytes } from 'node:crypto';

/**
 * The engine.io session ids of sticky workers carry the id of the cluster worker that created
 * them, `<worker id>.<random>`: the primary reads the owner straight from the `sid` of a request,
 * so there is no table to keep in sync and no race between a handshake answer and the client's
 * next request.
 */
const SESSION_ID = /^([1-9][0-9]{0,8})\.[A-Za-z0-9_-]{16,64}$/;

/**
 * A new engine.io session id owned by cluster worker `workerId`: `<worker id>.<22 random base64url
 * characters>` (128 random bits, like engine.io's own ids).
 *
 * @example
 * ```ts
 * stickySessionId(3); // '3.q1Lx0sY7Wm2cPZQeVbq3aw'
 * ```
 */
export function stickySessionId(workerId: number): string {
  return `${workerId}.${randomBytes(16).toString('base64url')}`;
}

/**
 * The cluster worker id a sticky session id names, or `undefined` for an id that does not follow
 * the `<worker id>.<random>` scheme (a forged or foreign id).
 *
 * @example
 * ```ts
 * workerIdOfSession('3.q1Lx0sY7Wm2cPZQeVbq3aw'); // 3
 * workerIdOfSession('q1Lx0sY7Wm2cPZQeVbq3aw'); // undefined
 * ```
 */
export function workerIdOfSession(sid: string): number | undefined {
  const match = SESSION_ID.exec(sid);
  return match ? Number(match[1]) : undefined;
}

/** The key of every IPC message the sticky primary and its workers exchange. */
export const STICKY_MESSAGE_KEY = 'micro-socket:sticky';

/** Worker → primary: the worker accepts connections from now on. */
export interface StickyReadyMessage {
  readonly [STICKY_MESSAGE_KEY]: 'ready';
  /** The worker's engine.io path, as engine.io matches it (`'/socket.io/'`). */
  readonly path?: string;
  /** The name of the routing cookie the worker's engine.io sets on handshakes (`'io'`), if any. */
  readonly cookie?: string;
}

/** Worker → primary: route no new sessions to this worker (the requests of its open ones still reach it). */
export interface StickyStoppingMessage {
  readonly [STICKY_MESSAGE_KEY]: 'stopping';
}

/** Primary → worker, sent with the connection's handle: the bytes the primary read to route it. */
export interface StickyConnectionMessage {
  readonly [STICKY_MESSAGE_KEY]: 'connection';
  /** base64 of the bytes already read from the connection (the IPC channel serializes JSON). */
  readonly head: string;
}

interface StickyMessages {
  ready: StickyReadyMessage;
  stopping: StickyStoppingMessage;
  connection: StickyConnectionMessage;
}

/** Whether an IPC message is one of the sticky ones, of the given kind. */
export function isStickyMessage<K extends keyof StickyMessages>(
  message: unknown,
  kind: K,
): message is StickyMessages[K] {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as Record<string, unknown>)[STICKY_MESSAGE_KEY] === kind
  );
}
