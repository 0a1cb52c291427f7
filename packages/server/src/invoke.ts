import type { HandlerRef, Logger } from '@pestras/micro-socket-core';
import { type AckError, INTERNAL_ERROR, SocketError, toAckError } from './errors';
import type { InFlightHandlers } from './inflight';

/** What every bound handler needs besides its arguments. */
export interface BindContext {
  readonly logger: Required<Logger>;
  /** Milliseconds a HANDSHAKE/USE middleware may take before the socket is refused; 0 = no limit. */
  readonly middlewareTimeout: number;
  /** The running asynchronous handlers, and whether new work is refused. */
  readonly inFlight: InFlightHandlers;
}

/** The ack of an event that arrives while the server drains. */
export const SHUTTING_DOWN: AckError = Object.freeze({
  error: Object.freeze({ code: 'ERR_SHUTTING_DOWN', message: 'The server is shutting down' }),
});

type Thenable = {
  then(onFulfilled: ((value: unknown) => void) | undefined, onRejected: (reason: unknown) => void): unknown;
};

export function isThenable(value: unknown): value is Thenable {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export function handlerName(ref: HandlerRef): string {
  return `${ref.instance.constructor?.name ?? 'Object'}.${String(ref.method)}`;
}

/** Logs a handler failure: a SocketError is an answer the handler chose, anything else a fault. */
export function reportFailure(ctx: BindContext, label: string, ref: HandlerRef, err: unknown): void {
  if (err instanceof SocketError)
    ctx.logger.debug(`micro-socket: ${label} ${handlerName(ref)} answered ${err.code}`);
  else ctx.logger.error(`micro-socket: ${label} ${handlerName(ref)} failed`, err);
}

/** Calls a hook whose result nobody awaits (CONNECT, RECONNECT, DISCONNECT): failures are logged. */
export function invokeHook(ctx: BindContext, label: string, ref: HandlerRef, args: unknown[]): void {
  try {
    const result = ref.fn.apply(ref.instance, args);
    if (isThenable(result)) {
      const inFlight = ctx.inFlight;
      inFlight.enter();
      result.then(inFlight.leave, (err) => {
        inFlight.leave();
        reportFailure(ctx, label, ref, err);
      });
    }
  } catch (err) {
    reportFailure(ctx, label, ref, err);
  }
}

/**
 * The client's ack of one event, answered at most once whichever handler answers first.
 * `send` is what handlers receive as their `ack`.
 */
export class EventReply {
  answered = false;
  readonly #ctx: BindContext;
  readonly #label: string;
  readonly #fn: (...values: unknown[]) => void;

  constructor(ctx: BindContext, label: string, fn: (...values: unknown[]) => void) {
    this.#ctx = ctx;
    this.#label = label;
    this.#fn = fn;
  }

  /** Answers with `values` unless the event is answered already. */
  readonly send = (...values: unknown[]): void => {
    if (this.answered) return;
    this.answered = true;
    this.deliver(values);
  };

  /** Reserves the answer (for one that is checked first): false when it is taken already. */
  claim(): boolean {
    if (this.answered) return false;
    this.answered = true;
    return true;
  }

  /** Sends `values` to the client, whatever `answered` says. */
  deliver(values: unknown[]): void {
    sendAck(this.#ctx, this.#label, this.#fn, values);
  }
}

/** Calls a client's ack function with `values`; an answer socket.io cannot encode becomes ERR_INTERNAL. */
function sendAck(
  ctx: BindContext,
  label: string,
  fn: (...values: unknown[]) => void,
  values: unknown[],
): void {
  try {
    fn(...values);
  } catch (err) {
    // socket.io encodes the answer right here: a value it cannot encode (a cycle, nesting too
    // deep for its binary scan) throws, and must not become an unhandled rejection. Its ack
    // function marks itself sent only after encoding, so the client can still get an answer.
    ctx.logger.error(`micro-socket: ${label} could not send its ack`, err);
    try {
      fn(INTERNAL_ERROR);
    } catch {
      // nothing more to tell this client
    }
  }
}

function failEvent(ctx: BindContext, label: string, ref: HandlerRef, reply: EventReply, err: unknown): void {
  reportFailure(ctx, label, ref, err);
  if (!reply.answered) reply.send(toAckError(err));
}

/**
 * Calls one EVENT handler whose client asked for an ack: a returned value (or the value of a
 * returned promise) answers through `ack`, a throw or rejection answers with its error.
 */
export function callEventHandler(
  ctx: BindContext,
  label: string,
  ref: HandlerRef,
  args: unknown[],
  reply: EventReply,
  ack: (value: unknown) => void,
): void {
  try {
    const result = ref.fn.apply(ref.instance, args);
    if (isThenable(result)) {
      const inFlight = ctx.inFlight;
      inFlight.enter();
      result.then(
        (value) => {
          inFlight.leave();
          if (!reply.answered && value !== undefined) ack(value);
        },
        (err) => {
          inFlight.leave();
          failEvent(ctx, label, ref, reply, err);
        },
      );
    } else if (!reply.answered && result !== undefined) ack(result);
  } catch (err) {
    failEvent(ctx, label, ref, reply, err);
  }
}

/**
 * Runs the EVENT handlers of one event. `args` is `[target, socket, ...clientArgs]`, with the
 * client's ack function last when it asked for one. Events with a contract go through
 * `invokeContractEvent` (validate.ts) instead; this path stays as it was, closures and all, so
 * that contracts cost events without one nothing.
 */
export function invokeEvent(
  ctx: BindContext,
  label: string,
  refs: readonly HandlerRef[],
  args: unknown[],
): void {
  const last = args[args.length - 1];
  const inFlight = ctx.inFlight;
  if (typeof last !== 'function') {
    if (inFlight.draining) return;
    for (const ref of refs) invokeHook(ctx, label, ref, args);
    return;
  }
  if (inFlight.draining) {
    (last as (v: unknown) => void)(SHUTTING_DOWN);
    return;
  }

  let answered = false;
  const ack = (...values: unknown[]) => {
    if (answered) return;
    answered = true;
    sendAck(ctx, label, last as (...v: unknown[]) => void, values);
  };
  const answer = (value: unknown) => {
    if (!answered && value !== undefined) ack(value);
  };
  args[args.length - 1] = ack;
  for (const ref of refs) {
    const fail = (err: unknown) => {
      reportFailure(ctx, label, ref, err);
      if (!answered) ack(toAckError(err));
    };
    try {
      const result = ref.fn.apply(ref.instance, args);
      if (isThenable(result)) {
        inFlight.enter();
        result.then(
          (value) => {
            inFlight.leave();
            answer(value);
          },
          (err) => {
            inFlight.leave();
            fail(err);
          },
        );
      } else answer(result);
    } catch (err) {
      fail(err);
    }
  }
}
