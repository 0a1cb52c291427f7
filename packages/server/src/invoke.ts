import type { HandlerRef } from '@pestras/micro-socket-core';
import { SocketError, toAckError } from './errors';
import type { Logger } from './logger';

/** What every bound handler needs besides its arguments. */
export interface BindContext {
  readonly logger: Required<Logger>;
  /** Milliseconds a HANDSHAKE/USE middleware may take before the socket is refused; 0 = no limit. */
  readonly middlewareTimeout: number;
}

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
    if (isThenable(result)) result.then(undefined, (err) => reportFailure(ctx, label, ref, err));
  } catch (err) {
    reportFailure(ctx, label, ref, err);
  }
}

/**
 * Runs the EVENT handlers of one event. `args` is `[target, socket, ...clientArgs]`, with the
 * client's ack function last when it asked for one.
 */
export function invokeEvent(
  ctx: BindContext,
  label: string,
  refs: readonly HandlerRef[],
  args: unknown[],
): void {
  const last = args[args.length - 1];
  if (typeof last !== 'function') {
    for (const ref of refs) invokeHook(ctx, label, ref, args);
    return;
  }

  let answered = false;
  const ack = (...values: unknown[]) => {
    if (answered) return;
    answered = true;
    (last as (...v: unknown[]) => void)(...values);
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
      if (isThenable(result)) result.then(answer, fail);
      else answer(result);
    } catch (err) {
      fail(err);
    }
  }
}
