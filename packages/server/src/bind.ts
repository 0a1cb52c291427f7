import {
  createHandlerPlan,
  type HandlerPlan,
  type HandlerRef,
  type Logger,
  type NamespacePlan,
  safeLogger,
} from '@pestras/micro-socket-core';
import type { Namespace, Server, Socket } from 'socket.io';
import { DEFAULT_MAX_BUFFERED_BYTES, dropSlowConsumers } from './backpressure';
import { forEachEngine } from './engine';
import { SocketError } from './errors';
import { InFlightHandlers } from './inflight';
import { type BindContext, invokeEvent, invokeHook, SHUTTING_DOWN } from './invoke';
import { namespaceMiddleware, packetMiddleware } from './middleware';
import { warnOversizedMessages } from './oversize';
import { type RateLimit, RateLimiter, type RateLimitOptions, resolveRateLimit } from './rate-limit';
import { answerUnknownEvents } from './unknown-event';
import { hasContract, invokeContractEvent } from './validate';

/**
 * How long a HANDSHAKE or USE middleware may take before the socket is refused, in milliseconds.
 *
 * @example
 * ```ts
 * bindHandlers(io, [new Auth()], { middlewareTimeout: DEFAULT_MIDDLEWARE_TIMEOUT * 2 });
 * ```
 */
export const DEFAULT_MIDDLEWARE_TIMEOUT = 10_000;

/**
 * Options of {@link bindHandlers}.
 *
 * @example
 * ```ts
 * const options: BindOptions = {
 *   logger: console,
 *   maxListeners: 20,
 *   middlewareTimeout: 5_000,
 *   maxBufferedBytes: 1024 * 1024,
 *   inFlight: new InFlightHandlers(),
 * };
 * ```
 */
export interface BindOptions {
  /** Where handler failures are logged; `console` by default. */
  logger?: Partial<Logger> | null;
  /** `setMaxListeners` for the server and every bound namespace. */
  maxListeners?: number | null;
  /**
   * Milliseconds a HANDSHAKE/USE middleware may take to call `next` before the client receives
   * `connect_error`; {@link DEFAULT_MIDDLEWARE_TIMEOUT} by default, 0 for no limit.
   */
  middlewareTimeout?: number | null;
  /**
   * Bytes of output a client may leave unread (a websocket peer that stopped reading, a polling
   * client that stopped polling) before it is dropped; {@link DEFAULT_MAX_BUFFERED_BYTES} (8 MiB)
   * by default, 0 for no limit. A single burst larger than this, sent in one tick, drops the
   * client too.
   */
  maxBufferedBytes?: number | null;
  /**
   * Counts the running handlers, for a graceful shutdown: `inFlight.drain(timeout)` refuses new
   * connections and events and waits for the running ones. A new one by default.
   */
  inFlight?: InFlightHandlers | null;
  /**
   * Inbound rate limits per connection ({@link DEFAULT_RATE_LIMIT} by default: 100 events/s,
   * bursts of 200, disconnected after 200 refused events); fields given replace the defaults',
   * `false` turns limits off.
   */
  rateLimit?: Partial<RateLimitOptions> | false | null;
}

function bindNamespace(
  ctx: BindContext,
  nsp: Namespace,
  target: Server | Namespace,
  plan: NamespacePlan,
  rateLimiter: RateLimiter | undefined,
): void {
  const inFlight = ctx.inFlight;
  // Another namespace of an already open connection is a new connection too.
  nsp.use((_socket, next) => {
    if (inFlight.draining) next(new SocketError(SHUTTING_DOWN.error.code, SHUTTING_DOWN.error.message));
    else next();
  });
  for (const ref of plan.middlewares) nsp.use(namespaceMiddleware(ctx, ref, target));

  // One listener per event, shared by every socket: socket.io calls it with `this` = the socket,
  // so a connection costs no closure per event.
  const events = [...plan.events].map(([event, refs]) => {
    const label = `EVENT '${event}'`;
    checkOneContract(nsp.name, event, refs);
    // An event without a contract keeps the listener it always had: validation costs it nothing.
    const listener = hasContract(refs)
      ? function (this: Socket, ...args: unknown[]) {
          invokeContractEvent(ctx, label, refs, target, this, args);
        }
      : function (this: Socket, ...args: unknown[]) {
          invokeEvent(ctx, label, refs, [target, this, ...args]);
        };
    return [event, listener] as const;
  });
  const disconnect = plan.disconnect;
  const onDisconnect = disconnect.length
    ? function (this: Socket, reason: string) {
        for (const ref of disconnect) invokeHook(ctx, 'DISCONNECT', ref, [target, this, reason]);
      }
    : undefined;
  const usesocket = plan.usesocket;
  const limits = rateLimiter?.namespaceLimits(eventRateLimits(plan));

  nsp.on('connection', (socket: Socket) => {
    if (limits) rateLimiter?.attach(socket, limits);
    if (usesocket.length) socket.use(packetMiddleware(ctx, usesocket, target, socket));
    answerUnknownEvents(socket);
    for (const [event, listener] of events) socket.on(event, listener);
    if (onDisconnect) socket.on('disconnect', onDisconnect);
    // Events are bound first so that a CONNECT handler still awaiting something misses nothing.
    const [hooks, label] = socket.recovered ? [plan.reconnect, 'RECONNECT'] : [plan.connect, 'CONNECT'];
    for (const ref of hooks) invokeHook(ctx, label, ref, [target, socket]);
  });
}

/**
 * A contract and a rate limit belong to the event, not to one of its handlers: with several
 * handlers of one event (a service and a sub service, say), a handler without the contract would
 * receive the input the other one refuses, and the AsyncAPI document and the rate limit would
 * take one handler's at random. They must all declare the same (the same schema objects).
 */
function checkOneContract(namespace: string, event: string, refs: readonly HandlerRef[]): void {
  const [first, ...others] = refs;
  if (!first) return;
  const key = (ref: HandlerRef) => ref.options;
  for (const other of others) {
    const a = key(first);
    const b = key(other);
    const sameArgs =
      a?.args === b?.args ||
      (a?.args !== undefined &&
        b?.args !== undefined &&
        a.args.length === b.args.length &&
        a.args.every((schema, i) => schema === b.args?.[i]));
    if (sameArgs && a?.ack === b?.ack && sameLimit(a?.rateLimit, b?.rateLimit)) continue;
    const name = (ref: HandlerRef) => `${ref.instance.constructor.name}.${String(ref.method)}`;
    throw new SocketError(
      'ERR_CONTRACT_CONFLICT',
      `EVENT '${event}' in namespace ${namespace}: ${name(first)} and ${name(other)} declare different contracts or rate limits; ` +
        'every handler of one event must declare the same (share one contract object)',
    );
  }
}

function sameLimit(a: RateLimit | false | undefined, b: RateLimit | false | undefined): boolean {
  return a === b || (!!a && !!b && a.perSecond === b.perSecond && a.burst === b.burst);
}

/** The events of a namespace declared with a `rateLimit` of their own (`EVENT(name, { rateLimit })`). */
function eventRateLimits(plan: NamespacePlan): Array<[string, RateLimit | false]> {
  const limits: Array<[string, RateLimit | false]> = [];
  for (const [event, refs] of plan.events) {
    const limit = refs.find((ref) => ref.options?.rateLimit !== undefined)?.options?.rateLimit;
    if (limit !== undefined) limits.push([event, limit]);
  }
  return limits;
}

/** Marks a socket.io server whose handlers are bound, across copies of this package. */
const BOUND = Symbol.for('@pestras/micro-socket-server:bound');

/**
 * Binds the decorated methods of handler instances to a socket.io server: HANDSHAKE and USE as
 * namespace middlewares, USESOCKET as packet middleware, CONNECT/RECONNECT/DISCONNECT and EVENT
 * handlers on each socket, each method called on its own instance. Methods for the main server
 * receive the `Server` as first argument, methods for another namespace its `Namespace`.
 *
 * Call it once per server (a second call throws `ERR_ALREADY_BOUND`), before clients connect; the server may still be unattached
 * (`new Server(options)`, then `io.attach(httpServer)` or `io.listen(port)`).
 *
 * @returns the plan that was bound, for inspection.
 * @example
 * ```ts
 * import { Server } from 'socket.io';
 * import { EVENT } from '@pestras/micro-socket-core';
 * import { bindHandlers } from '@pestras/micro-socket-server';
 *
 * class Echo {
 *   @EVENT('echo')
 *   echo(io: Server, socket: Socket, text: string) { return text; }
 * }
 * const io = new Server(3000);
 * bindHandlers(io, [new Echo()]);
 * ```
 */
export function bindHandlers(io: Server, handlers: Iterable<object>, options: BindOptions = {}): HandlerPlan {
  // A second binding would put a second packet gate before socket.io's decoder and run every
  // packet twice: all handlers of a server are bound in one call.
  const marked = io as Server & { [BOUND]?: true };
  if (marked[BOUND]) {
    throw new SocketError(
      'ERR_ALREADY_BOUND',
      'bindHandlers: this socket.io server already has its handlers bound; pass every handler instance in one call',
    );
  }
  Object.defineProperty(marked, BOUND, { value: true });
  const plan = createHandlerPlan(handlers);
  const logger = safeLogger(options.logger ?? undefined);
  const rateLimit = resolveRateLimit(options.rateLimit);
  const rateLimiter = rateLimit ? new RateLimiter(rateLimit, logger) : undefined;
  const ctx: BindContext = {
    logger,
    middlewareTimeout: options.middlewareTimeout ?? DEFAULT_MIDDLEWARE_TIMEOUT,
    inFlight: options.inFlight ?? new InFlightHandlers(),
  };
  // The main namespace accepts clients even when nothing is bound to it: count their events too.
  if (rateLimiter && !plan.has('/')) {
    const limits = rateLimiter.namespaceLimits();
    io.of('/').on('connection', (socket: Socket) => rateLimiter.attach(socket, limits));
  }
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  // `new Server(options)` has no engine until `io.attach`/`io.listen`: the guards wait for it.
  forEachEngine(io, (engine) => {
    if (maxBufferedBytes > 0) dropSlowConsumers(engine, maxBufferedBytes, ctx.logger);
    warnOversizedMessages(io, engine, ctx.logger);
  });
  const maxListeners = options.maxListeners;
  if (typeof maxListeners === 'number') io.setMaxListeners(maxListeners);
  for (const nsPlan of plan.values()) {
    const nsp = io.of(nsPlan.namespace);
    if (typeof maxListeners === 'number') nsp.setMaxListeners(maxListeners);
    bindNamespace(ctx, nsp, nsPlan.namespace === '/' ? io : nsp, nsPlan, rateLimiter);
  }
  return plan;
}
