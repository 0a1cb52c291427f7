import type { Logger } from '@pestras/micro-socket-core';
import type { Socket } from 'socket.io';
import { SocketError } from './errors';
import {
  BINARY_EVENT_PACKET,
  type DecodedPacket,
  EVENT_PACKET,
  interceptDecodedPackets,
  sendAck,
} from './socketio-internals';

/**
 * A token bucket: `burst` events at once, refilled at `perSecond` events per second.
 *
 * @example
 * ```ts
 * const typing: RateLimit = { perSecond: 5, burst: 10 };
 * ```
 */
export interface RateLimit {
  /** Events per second a connection may send on average. */
  readonly perSecond: number;
  /** Events a connection may send at once, after a quiet spell: the bucket's size. */
  readonly burst: number;
}

/**
 * Inbound rate limits of a binding: one token bucket per connection and namespace for every event
 * a client sends, handled or not, and one of its own for each event listed in `events`.
 *
 * An event over its limit runs no handler (nor any `onAny` listener or `socket.use` middleware);
 * if it asked for an ack, the client gets
 * `{ error: { code: 'ERR_RATE_LIMITED', message, retryAfterMs } }`. Refused events count
 * against the bucket too: a client that keeps sending `disconnectAfter` events more than the
 * bucket refills is disconnected (the client sees `'io server disconnect'`), and a warning is
 * logged once.
 *
 * @example
 * ```ts
 * const limits: RateLimitOptions = {
 *   ...DEFAULT_RATE_LIMIT,
 *   events: { say: { perSecond: 2, burst: 5 }, cursor: { perSecond: 60, burst: 60 } },
 * };
 * new SocketServer({ rateLimit: limits });
 * ```
 */
export interface RateLimitOptions extends RateLimit {
  /** Refused events a client may send beyond the refill before it is disconnected; 0: at the first. */
  readonly disconnectAfter: number;
  /**
   * Limits of their own for some events, by event name (in every bound namespace); `false`
   * exempts an event from limits altogether.
   */
  readonly events?: Readonly<Record<string, RateLimit | false>> | null;
}

/**
 * The limits every binding applies unless told otherwise: 100 events per second, bursts of 200,
 * disconnected after 200 refused events.
 *
 * Why these: a person chatting sends a message every few seconds and a typing indicator a few
 * times a second; a dashboard subscribes to its widgets on load (tens at once) and then mostly
 * listens; a cursor or drawing client sends one event per animation frame, 60 per second. A
 * client coming back from offline flushes what socket.io-client buffered in one go. 100/s with
 * bursts of 200 leaves all of these untouched, while a flood stops after at most 200 handled
 * events: one polling POST of 1 MB carrying ~60,000 events answers 200 acks with
 * `ERR_RATE_LIMITED` and closes the connection before socket.io decodes the rest, running no
 * handler (the 200 let through had not been dispatched yet and go with the connection).
 *
 * @example
 * ```ts
 * new SocketServer({ rateLimit: { ...DEFAULT_RATE_LIMIT, perSecond: 500 } });
 * ```
 */
export const DEFAULT_RATE_LIMIT: Readonly<RateLimitOptions> = Object.freeze({
  perSecond: 100,
  burst: 200,
  disconnectAfter: 200,
});

/**
 * The acknowledgement of an event refused by the rate limit.
 *
 * @example
 * ```ts
 * socket.emit('say', 'general', 'hi', (res: RateLimitedAck | { delivered: true }) => {
 *   if ('error' in res) setTimeout(retry, res.error.retryAfterMs);
 * });
 * ```
 */
export interface RateLimitedAck {
  readonly error: {
    readonly code: 'ERR_RATE_LIMITED';
    readonly message: string;
    readonly retryAfterMs: number;
  };
}

function checkLimit(what: string, limit: RateLimit): RateLimit {
  const { perSecond, burst } = limit ?? ({} as RateLimit);
  if (!(typeof perSecond === 'number' && perSecond > 0) || !(typeof burst === 'number' && burst >= 1)) {
    throw new SocketError(
      'ERR_INVALID_OPTION',
      `${what}: perSecond must be a number > 0 and burst a number >= 1, got ${JSON.stringify(limit)}`,
    );
  }
  return { perSecond, burst };
}

/** The complete, checked limits for `option`; undefined when limits are off (`false`). */
export function resolveRateLimit(
  option: Partial<RateLimitOptions> | false | null | undefined,
): RateLimitOptions | undefined {
  if (option === false) return undefined;
  const merged = { ...DEFAULT_RATE_LIMIT, ...option };
  const { perSecond, burst } = checkLimit('rateLimit', merged);
  const disconnectAfter = merged.disconnectAfter;
  if (!(typeof disconnectAfter === 'number' && disconnectAfter >= 0)) {
    throw new SocketError(
      'ERR_INVALID_OPTION',
      `rateLimit.disconnectAfter must be a number >= 0, got ${JSON.stringify(disconnectAfter)}`,
    );
  }
  const events: Record<string, RateLimit | false> = {};
  for (const [event, limit] of Object.entries(merged.events ?? {})) {
    events[event] = limit === false ? false : checkLimit(`rateLimit.events['${event}']`, limit);
  }
  return { perSecond, burst, disconnectAfter, events };
}

class Bucket {
  readonly perMs: number;
  readonly burst: number;
  /** Below 0 after refused events: the debt the client has to wait off. */
  tokens: number;
  stamp: number;

  constructor(limit: RateLimit, now: number) {
    this.perMs = limit.perSecond / 1000;
    this.burst = limit.burst;
    this.tokens = limit.burst;
    this.stamp = now;
  }
}

/** The limits of one namespace: its default bucket and the events with buckets of their own. */
interface NamespaceLimits {
  readonly limit: RateLimit;
  /** undefined when no event has a limit of its own: no lookup per event then. */
  readonly events: ReadonlyMap<unknown, RateLimit | false> | undefined;
}

/** The buckets of one client in one namespace; they outlive a namespace disconnect/reconnect. */
interface SocketBuckets {
  socket: Socket;
  readonly limits: NamespaceLimits;
  readonly bucket: Bucket;
  byEvent: Map<unknown, Bucket> | undefined;
}

/**
 * Applies {@link RateLimitOptions} to every connection of a binding; the buckets of a connection
 * live as long as its engine.io connection.
 */
export class RateLimiter {
  readonly #options: RateLimitOptions;
  readonly #logger: Required<Logger>;
  // Keyed by socket.io's Client (one per engine.io connection): the entry goes with the connection.
  readonly #connections = new WeakMap<object, Map<string, SocketBuckets>>();
  #unsupported = false;

  constructor(options: RateLimitOptions, logger: Required<Logger>) {
    this.#options = options;
    this.#logger = logger;
  }

  /**
   * The limits for a namespace whose events with limits of their own (from `EVENT(name, {
   * rateLimit })`) are `eventLimits`; the binding's `events` option wins over them.
   */
  namespaceLimits(eventLimits: Iterable<readonly [string, RateLimit | false]> = []): NamespaceLimits {
    const events = new Map<unknown, RateLimit | false>();
    for (const [event, limit] of eventLimits) {
      events.set(event, limit === false ? false : checkLimit(`EVENT('${event}') rateLimit`, limit));
    }
    for (const [event, limit] of Object.entries(this.#options.events ?? {})) events.set(event, limit);
    return { limit: this.#options, events: events.size ? events : undefined };
  }

  /** Starts counting the events of a socket that just connected. */
  attach(socket: Socket, limits: NamespaceLimits): void {
    if (this.#unsupported) return;
    const client = socket.client as object;
    let sockets = this.#connections.get(client);
    if (!sockets) {
      const perNamespace = new Map<string, SocketBuckets>();
      const gate = (packet: DecodedPacket, forward: (packet: DecodedPacket) => void) => {
        const type = packet.type;
        if (type === EVENT_PACKET || type === BINARY_EVENT_PACKET) {
          const buckets = perNamespace.get(packet.nsp);
          if (buckets !== undefined && !this.#admit(buckets, packet)) return;
        }
        forward(packet);
      };
      if (!interceptDecodedPackets(socket, gate)) {
        this.#unsupported = true;
        this.#logger.error(
          'micro-socket: rate limits are OFF: this socket.io version does not have the internals the limiter expects (socket.io 4.8)',
        );
        return;
      }
      sockets = perNamespace;
      this.#connections.set(client, sockets);
    }
    const existing = sockets.get(socket.nsp.name);
    if (existing) existing.socket = socket;
    else
      sockets.set(socket.nsp.name, {
        socket,
        limits,
        bucket: new Bucket(limits.limit, performance.now()),
        byEvent: undefined,
      });
  }

  /** Takes a token for an incoming event; false when it is refused. */
  #admit(buckets: SocketBuckets, packet: DecodedPacket): boolean {
    let bucket = buckets.bucket;
    const events = buckets.limits.events;
    if (events !== undefined) {
      const name = (packet.data as unknown[])[0];
      const limit = events.get(name);
      if (limit === false) return true;
      if (limit !== undefined) {
        buckets.byEvent ??= new Map();
        let own = buckets.byEvent.get(name);
        if (!own) {
          own = new Bucket(limit, performance.now());
          buckets.byEvent.set(name, own);
        }
        bucket = own;
      }
    }
    const now = performance.now();
    let tokens = bucket.tokens + (now - bucket.stamp) * bucket.perMs;
    if (tokens > bucket.burst) tokens = bucket.burst;
    bucket.stamp = now;
    bucket.tokens = tokens - 1;
    if (tokens >= 1) return true;
    const socket = buckets.socket;
    if (!socket.connected) return false;
    if (-bucket.tokens > this.#options.disconnectAfter) {
      this.#logger.warn(
        `micro-socket: disconnected ${socket.handshake.address} (socket ${socket.id}, namespace ${socket.nsp.name}): ` +
          `it kept sending past the rate limit (${bucket.perMs * 1000}/s, burst ${bucket.burst}) after ${this.#options.disconnectAfter} refused events`,
      );
      // Closed now, not after this tick: engine.io then skips the rest of a polling POST (up to
      // ~60,000 events) without decoding it. The refusals already answered and socket.io's
      // DISCONNECT are flushed first; events of this POST that were let through but not yet
      // dispatched go with the connection, as socket.io drops what arrives after a disconnect.
      socket.disconnect(true);
      return false;
    }
    if (packet.id !== undefined && packet.id !== null) {
      const retryAfterMs = Math.ceil((1 - bucket.tokens) / bucket.perMs);
      sendAck(socket, packet.id, rateLimited(retryAfterMs));
    }
    return false;
  }
}

function rateLimited(retryAfterMs: number): RateLimitedAck {
  return {
    error: {
      code: 'ERR_RATE_LIMITED',
      message: `Too many events: retry in ${retryAfterMs} ms`,
      retryAfterMs,
    },
  };
}
