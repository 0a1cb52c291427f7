import cluster from 'node:cluster';
import { randomBytes, randomUUID } from 'node:crypto';
import { type Logger, safeLogger } from '@pestras/micro-socket-core';
import type { Namespace, Server } from 'socket.io';
import { adapterTransport, linksServers } from './adapter';
import { decodeEnvelope, encodeEnvelope } from './codec';
import { PublishError } from './errors';
import { ipcTransport } from './ipc';
import { type NormalizedMessage, normalizeMessage, type SocketIOPublishMessage } from './message';
import { localTransport, type PublishTransport } from './transport';

/** How many recent message ids a bus remembers to refuse a duplicate. */
const REMEMBERED_IDS = 10_000;

/**
 * Options of {@link PublishBus}.
 *
 * @example
 * ```ts
 * const options: PublishBusOptions = { transport: redisTransport({ url: 'redis://127.0.0.1:6379' }), logger: console };
 * ```
 */
export interface PublishBusOptions {
  /** How messages reach other processes; see {@link defaultTransport} for the default. */
  transport?: PublishTransport;
  /** Where dropped messages and delivery failures are reported; `console` by default. */
  logger?: Logger;
}

/**
 * Options of one {@link PublishBus.publish} call.
 *
 * @example
 * ```ts
 * await bus.publish({ event: 'reload', data: [] }, { includeSelf: true } satisfies PublishOptions);
 * ```
 */
export interface PublishOptions {
  /**
   * Also deliver to this process's own sockets (in-process, before sending). By default only the
   * *other* processes are reached, as in the original, where the handler emits locally first.
   */
  includeSelf?: boolean;
}

/**
 * The transport a bus uses when none is given: {@link adapterTransport} when the server already
 * has an adapter that links servers, else {@link ipcTransport} in a node cluster worker, else
 * {@link localTransport} (a single process: nothing to reach, harmless).
 *
 * @example
 * ```ts
 * defaultTransport(io).name; // 'adapter', 'ipc' or 'local'
 * ```
 */
export function defaultTransport(io: Server<any, any, any, any>): PublishTransport {
  if (linksServers(io.of('/').adapter)) return adapterTransport(io);
  if (cluster.isWorker) return ipcTransport();
  return localTransport();
}

/**
 * Delivers {@link SocketIOPublishMessage}s to the sockets connected to other processes (node
 * cluster workers, other hosts) through a {@link PublishTransport}. Every process runs one bus
 * on its socket.io server; a message published on one is delivered exactly once by each other
 * bus, to its local sockets only, following the message's semantics table.
 *
 * Bad messages are refused at `publish` with a {@link PublishError}; a received message that
 * does not parse is dropped and logged, never executed.
 *
 * @example
 * ```ts
 * const io = new Server(httpServer);
 * const bus = new PublishBus(io, { transport: redisTransport({ url: process.env.REDIS_URL }) });
 * await bus.ready();
 * await bus.publish({ event: 'ArticleUpdated', data: [id], namespace: 'blog', room: 'members' });
 * await bus.close();
 * ```
 */
export class PublishBus {
  /** This bus's id on the wire; its own messages coming back are ignored. */
  readonly id: string = randomUUID();
  /** The transport in use (given, or chosen by {@link defaultTransport}). */
  readonly transport: PublishTransport;
  readonly #io: Server<any, any, any, any>;
  readonly #logger: Required<Logger>;
  /**
   * Its messages' ids are this (96 random bits, base64url) then a counter: unique like a UUID
   * per message, at half the bytes and without drawing random numbers per message.
   */
  readonly #idPrefix = `${randomBytes(12).toString('base64url')}.`;
  #published = 0;
  readonly #seen = new Set<string>();
  /** The ids in `#seen`, oldest first from `#nextSlot`: evicting one costs O(1). */
  readonly #recent: (string | undefined)[] = new Array(REMEMBERED_IDS);
  #nextSlot = 0;
  readonly #subscribed: Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(io: Server<any, any, any, any>, options: PublishBusOptions = {}) {
    if (!io || typeof io.of !== 'function') {
      throw new PublishError(
        'ERR_INVALID_OPTIONS',
        'PublishBus: the first argument must be a socket.io Server',
      );
    }
    this.#io = io;
    this.#logger = safeLogger(options.logger);
    const transport = options.transport ?? defaultTransport(io);
    if (
      typeof transport?.publish !== 'function' ||
      typeof transport.subscribe !== 'function' ||
      typeof transport.close !== 'function'
    ) {
      throw new PublishError(
        'ERR_INVALID_OPTIONS',
        'PublishBus: transport must be a PublishTransport { name, publish, subscribe, close }, e.g. redisTransport()',
      );
    }
    this.transport = transport;
    this.#subscribed = Promise.resolve()
      .then(() => this.transport.subscribe((payload) => this.#receive(payload)))
      .then(() => undefined);
    // Reported here once; ready() still rejects for whoever awaits it.
    this.#subscribed.catch((err) =>
      this.#logger.error(`publish bus: the ${this.transport.name} transport cannot receive`, err),
    );
  }

  /**
   * Resolves once the bus receives from its transport (e.g. the Redis subscription is active);
   * rejects with a {@link PublishError} `ERR_TRANSPORT` if it cannot.
   *
   * @example
   * ```ts
   * await bus.ready();
   * ```
   */
  async ready(): Promise<void> {
    try {
      await this.#subscribed;
    } catch (err) {
      throw err instanceof PublishError
        ? err
        : new PublishError(
            'ERR_TRANSPORT',
            `publish bus: the ${this.transport.name} transport cannot receive`,
            {
              cause: err,
            },
          );
    }
  }

  /**
   * Validates `message` and sends it to the other processes (and, with `includeSelf`, delivers
   * it to this process's sockets first). Resolves once the transport took it; rejects with a
   * {@link PublishError}: `ERR_INVALID_MESSAGE`/`ERR_UNSERIALIZABLE` for a bad message (delivered
   * nowhere), `ERR_TRANSPORT` when the transport failed, `ERR_CLOSED` after {@link close}.
   *
   * @example
   * ```ts
   * await bus.publish({ event: 'notice', data: ['hi'], socketId: 'Xyz', broadcast: true });
   * ```
   */
  async publish(message: SocketIOPublishMessage, options: PublishOptions = {}): Promise<void> {
    if (this.#closing) throw new PublishError('ERR_CLOSED', 'publish bus: closed');
    const includeSelf = options?.includeSelf ?? false;
    if (typeof includeSelf !== 'boolean') {
      throw new PublishError('ERR_INVALID_OPTIONS', "publish: 'includeSelf' must be a boolean when given");
    }
    let normalized: NormalizedMessage;
    let payload: string;
    try {
      normalized = normalizeMessage(message);
      payload = encodeEnvelope(`${this.#idPrefix}${(this.#published++).toString(36)}`, this.id, normalized);
    } catch (err) {
      if (err instanceof PublishError) throw err;
      // A getter, toJSON or proxy of the caller's threw while the message was read.
      throw new PublishError('ERR_UNSERIALIZABLE', `publish: reading the message failed: ${String(err)}`, {
        cause: err,
      });
    }
    if (includeSelf) this.#deliverSafely(normalized);
    try {
      await this.transport.publish(payload);
    } catch (err) {
      if (err instanceof PublishError) throw err;
      throw new PublishError(
        'ERR_TRANSPORT',
        `publish: the ${this.transport.name} transport failed: ${String(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  /**
   * Stops receiving and closes the transport. Further `publish` calls reject with `ERR_CLOSED`.
   * Idempotent.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => bus.close());
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        await this.transport.close();
      } catch (err) {
        this.#logger.warn(`publish bus: closing the ${this.transport.name} transport failed`, err);
      }
    })();
    return this.#closing;
  }

  #receive(payload: string): void {
    if (this.#closing) return;
    let envelope: ReturnType<typeof decodeEnvelope>;
    try {
      envelope = decodeEnvelope(payload);
    } catch (err) {
      this.#logger.warn(
        `publish bus: dropped a message from the ${this.transport.name} transport: ${(err as Error).message}`,
      );
      return;
    }
    if (envelope.origin === this.id || this.#seen.has(envelope.id)) return;
    // A ring of the last REMEMBERED_IDS ids: `#seen.values().next()` would walk over every
    // entry deleted since V8 last compacted the Set, thousands per message once it is full.
    const evicted = this.#recent[this.#nextSlot];
    if (evicted !== undefined) this.#seen.delete(evicted);
    this.#recent[this.#nextSlot] = envelope.id;
    this.#nextSlot = (this.#nextSlot + 1) % REMEMBERED_IDS;
    this.#seen.add(envelope.id);
    this.#deliverSafely(envelope.message);
  }

  #deliverSafely(message: NormalizedMessage): void {
    try {
      deliverLocally(this.#io, message);
    } catch (err) {
      this.#logger.error(`publish bus: delivering '${message.event}' to ${message.namespace} failed`, err);
    }
  }
}

/**
 * Emits a message to this process's sockets only (`.local`: never back through an adapter).
 * A namespace this process does not serve has no sockets here, and is not created.
 */
function deliverLocally(io: Server<any, any, any, any>, message: NormalizedMessage): void {
  const namespace: Namespace | undefined = io._nsps.get(message.namespace);
  if (!namespace) return;
  const { event, data, room, socketId, broadcast } = message;
  if (socketId !== undefined && !broadcast) {
    namespace.sockets.get(socketId)?.emit(event, ...data);
    return;
  }
  let target = namespace.local;
  if (room !== undefined) target = target.to(room);
  if (socketId !== undefined) target = target.except(socketId);
  target.emit(event, ...data);
}
