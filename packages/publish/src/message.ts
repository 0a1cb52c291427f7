import { namespacePath, RESERVED_EVENTS } from '@pestras/micro-socket-core';
import { describeValue } from '@pestras/micro-socket-core/internal';
import { PublishError } from './errors';

/**
 * A message for the sockets of other processes, as in the original `@pestras/micro-socket`.
 *
 * | fields                               | who receives `event(...data)`                                  |
 * | ------------------------------------ | -------------------------------------------------------------- |
 * | neither `room` nor `socketId`        | every socket of the namespace                                  |
 * | `room`                               | the sockets in that room                                       |
 * | `socketId`, `broadcast` not true     | that one socket, on whichever process it is connected          |
 * | `socketId`, `broadcast: true`        | the namespace (or the `room`, when given) except that socket   |
 *
 * @example
 * ```ts
 * const message: SocketIOPublishMessage = {
 *   event: 'ArticleUpdated',
 *   data: [id],
 *   namespace: 'blog',
 *   room: 'members',
 * };
 * await bus.publish(message);
 * ```
 */
export interface SocketIOPublishMessage {
  /** The event name the clients listen to. Reserved socket.io names (`connect`, `disconnect`, ...) are refused. */
  event: string;
  /** The event's arguments, spread: `data: [a, b]` arrives as `socket.on(event, (a, b) => ...)`. */
  data: unknown[];
  /** The namespace name: `'default'` (the default) or `'/'` is the main server, `'blog'` is `/blog`. */
  namespace?: string;
  /** Only the sockets in this room. */
  room?: string;
  /** That one socket, or with `broadcast: true` everyone but that socket. */
  socketId?: string;
  /** With `socketId`: deliver to everyone (in `room`, if given) except that socket. */
  broadcast?: boolean;
}

/** A validated message, namespace resolved to its socket.io path. */
export interface NormalizedMessage {
  readonly event: string;
  readonly data: unknown[];
  readonly namespace: string;
  readonly room?: string;
  readonly socketId?: string;
  readonly broadcast: boolean;
}

function optionalString(message: Record<string, unknown>, field: string): string | undefined {
  const value = message[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new PublishError(
      'ERR_INVALID_MESSAGE',
      `publish: '${field}' must be a non-empty string when given, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Checks a message's shape (not its payload) and resolves its namespace.
 * Throws a {@link PublishError} `ERR_INVALID_MESSAGE` naming the first bad field.
 */
export function normalizeMessage(message: unknown): NormalizedMessage {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new PublishError(
      'ERR_INVALID_MESSAGE',
      `publish: a message is an object like { event, data }, got ${describeValue(message)}`,
    );
  }
  const fields = message as Record<string, unknown>;
  const { event, data, broadcast } = fields;
  if (typeof event !== 'string' || event.length === 0) {
    throw new PublishError(
      'ERR_INVALID_MESSAGE',
      `publish: 'event' must be a non-empty string, got ${describeValue(event)}`,
    );
  }
  if (RESERVED_EVENTS.has(event)) {
    throw new PublishError('ERR_INVALID_MESSAGE', `publish: '${event}' is a reserved socket.io event name`);
  }
  if (!Array.isArray(data)) {
    throw new PublishError(
      'ERR_INVALID_MESSAGE',
      `publish: 'data' must be an array of the event's arguments, got ${describeValue(data)}`,
    );
  }
  if (broadcast !== undefined && broadcast !== null && typeof broadcast !== 'boolean') {
    throw new PublishError(
      'ERR_INVALID_MESSAGE',
      `publish: 'broadcast' must be a boolean when given, got ${describeValue(broadcast)}`,
    );
  }
  const namespace = optionalString(fields, 'namespace');
  const room = optionalString(fields, 'room');
  const socketId = optionalString(fields, 'socketId');
  return {
    event,
    data,
    namespace: namespacePath(namespace ?? 'default'),
    ...(room === undefined ? {} : { room }),
    ...(socketId === undefined ? {} : { socketId }),
    broadcast: broadcast === true,
  };
}
