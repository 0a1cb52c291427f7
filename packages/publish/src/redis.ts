import { type Logger, safeLogger } from '@pestras/micro-socket-core';
import { settlesWithin } from '@pestras/micro-socket-core/internal';
import { PublishError } from './errors';
import type { PayloadHandler, PublishTransport } from './transport';

/**
 * The part of a node-redis v5 client (`createClient()` from `redis`) the transport uses.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client: RedisClientLike = createClient({ url: 'redis://127.0.0.1:6379' });
 * ```
 */
export interface RedisClientLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  duplicate(): RedisClientLike;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  close(): Promise<unknown>;
  destroy(): unknown;
}

/**
 * Options of {@link redisTransport}.
 *
 * @example
 * ```ts
 * const options: RedisTransportOptions = { url: 'redis://10.0.0.5:6379', prefix: 'shop-prod:' };
 * ```
 */
export interface RedisTransportOptions {
  /** Where Redis is; default `process.env.REDIS_URL`, else `redis://127.0.0.1:6379`. Not with `client`. */
  url?: string;
  /**
   * An existing node-redis v5 client to publish with (connected or not). The transport subscribes
   * on a `duplicate()` of it, which it closes; the given client stays open on `close()`.
   */
  client?: RedisClientLike;
  /** The Redis pub/sub channel; default `'micro-socket:publish'`. */
  channel?: string;
  /** Prepended to the channel, to keep apps, environments or test runs apart; default `''`. */
  prefix?: string;
  /** How long a publish waits for Redis to be (re)connected before it rejects; default 5000 ms. */
  readyTimeout?: number;
  /** Where connection loss and recovery are reported; `console` by default. */
  logger?: Logger;
}

/**
 * The channel a {@link redisTransport} uses when none is given (after its `prefix`).
 *
 * @example
 * ```ts
 * redisTransport({ prefix: 'shop:' }); // publishes on 'shop:micro-socket:publish'
 * ```
 */
export const DEFAULT_REDIS_CHANNEL = 'micro-socket:publish';

// Keep retrying while Redis is away (node-redis's default gives up on socket timeouts), and
// never wait more than about a second once it is back.
function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, 1_000) + Math.floor(Math.random() * 100);
}

function invalid(message: string): PublishError {
  return new PublishError('ERR_INVALID_OPTIONS', `redisTransport: ${message}`);
}

function checkOptions(options: RedisTransportOptions): { channel: string; readyTimeout: number } {
  if (options.url !== undefined && options.client !== undefined)
    throw invalid('give either url or client, not both');
  if (options.url !== undefined && (typeof options.url !== 'string' || options.url.length === 0)) {
    throw invalid('url must be a non-empty string such as redis://127.0.0.1:6379');
  }
  const client = options.client as Partial<RedisClientLike> | undefined;
  if (
    client !== undefined &&
    (typeof client?.duplicate !== 'function' || typeof client.publish !== 'function')
  ) {
    throw invalid('client must be a node-redis v5 client (createClient() from redis)');
  }
  const { channel = DEFAULT_REDIS_CHANNEL, prefix = '', readyTimeout = 5_000 } = options;
  if (typeof channel !== 'string' || channel.length === 0)
    throw invalid('channel must be a non-empty string');
  if (typeof prefix !== 'string') throw invalid('prefix must be a string');
  if (!Number.isFinite(readyTimeout) || readyTimeout < 0)
    throw invalid('readyTimeout must be a number of ms >= 0');
  return { channel: `${prefix}${channel}`, readyTimeout };
}

/**
 * The Redis transport, for processes on several machines: every bus publishes to and subscribes
 * on one Redis pub/sub channel (node-redis v5, an optional peer dependency). While Redis is away
 * nothing crashes: the clients reconnect by themselves, publishes wait up to `readyTimeout` and
 * then reject with a {@link PublishError} `ERR_TRANSPORT`, and the subscription is restored, so
 * delivery resumes within about a second of Redis coming back. Messages published while Redis
 * is away are not delivered (Redis pub/sub keeps nothing).
 *
 * @example
 * ```ts
 * const bus = new PublishBus(io, {
 *   transport: redisTransport({ url: process.env.REDIS_URL, prefix: 'shop:' }),
 * });
 * await bus.ready(); // subscribed
 * ```
 */
export function redisTransport(options: RedisTransportOptions = {}): PublishTransport {
  const { channel, readyTimeout } = checkOptions(options);
  const logger = safeLogger(options.logger);
  const url = options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const owned: RedisClientLike[] = [];
  const detach: Array<() => void> = [];
  let closed = false;

  // Reports the first failure of an outage and the recovery, not every retry.
  function watch(client: RedisClientLike, role: string): void {
    let healthy = true;
    const onError = (err: Error) => {
      if (!healthy) return;
      healthy = false;
      logger.warn(`redisTransport: the ${role} cannot reach Redis (${err?.message ?? err}); retrying`);
    };
    const onReady = () => {
      if (healthy) return;
      healthy = true;
      logger.info(`redisTransport: ${role} reconnected to Redis`);
    };
    client.on('error', onError);
    client.on('ready', onReady);
    detach.push(() => {
      client.off('error', onError);
      client.off('ready', onReady);
    });
  }

  async function open(client: RedisClientLike): Promise<RedisClientLike> {
    if (!client.isOpen) await client.connect();
    return client;
  }

  const publisher: Promise<RedisClientLike> = (async () => {
    if (options.client) return options.client;
    const { createClient } = await import('redis').catch((err: unknown) => {
      throw new PublishError(
        'ERR_TRANSPORT',
        'redisTransport: the redis package (node-redis v5) is not installed',
        {
          cause: err,
        },
      );
    });
    const client = createClient({
      url,
      socket: { reconnectStrategy: reconnectDelay },
    }) as unknown as RedisClientLike;
    owned.push(client);
    return client;
  })();
  publisher.catch(() => {}); // reported by publish and subscribe, to whoever awaits them

  // Each client starts connecting once: the watchers must be on before any error can come.
  const connectedPublisher = publisher.then((client) => {
    watch(client, 'publisher');
    return open(client);
  });
  connectedPublisher.catch(() => {});

  // One 'ready' listener per outage, however many publishes wait for it.
  let nextReady: Promise<void> | undefined;
  function whenReady(client: RedisClientLike): Promise<void> {
    if (client.isReady) return Promise.resolve();
    nextReady ??= new Promise<void>((resolve) =>
      client.once('ready', () => {
        nextReady = undefined;
        resolve();
      }),
    );
    return settlesWithin(nextReady, readyTimeout).then((ready) => {
      if (!ready) {
        throw new PublishError(
          'ERR_TRANSPORT',
          `redisTransport: Redis is not reachable at the moment (waited ${readyTimeout} ms)`,
        );
      }
    });
  }

  return {
    name: 'redis',
    async publish(payload) {
      if (closed) throw new PublishError('ERR_CLOSED', 'redisTransport: closed');
      const client = await publisher;
      await whenReady(client);
      try {
        await client.publish(channel, payload);
      } catch (err) {
        throw new PublishError(
          'ERR_TRANSPORT',
          `redisTransport: PUBLISH failed: ${(err as Error)?.message ?? err}`,
          {
            cause: err,
          },
        );
      }
    },
    async subscribe(handler: PayloadHandler) {
      const base = await publisher;
      if (closed) return;
      const subscriber = base.duplicate();
      owned.push(subscriber);
      watch(subscriber, 'subscriber');
      try {
        await open(subscriber);
        // node-redis restores the subscription itself after every reconnect.
        await subscriber.subscribe(channel, (message) => handler(message));
      } catch (err) {
        if (closed) return; // closed while connecting: nothing to receive any more
        throw new PublishError(
          'ERR_TRANSPORT',
          `redisTransport: SUBSCRIBE failed: ${(err as Error)?.message ?? err}`,
          {
            cause: err,
          },
        );
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const off of detach.splice(0)) off();
      await Promise.all(
        owned.splice(0).map(async (client) => {
          // Keep an error listener: a client being torn down may still report one.
          client.on('error', () => {});
          try {
            if (client.isReady) await client.close();
            else client.destroy();
          } catch {
            client.destroy();
          }
        }),
      );
    },
  };
}
