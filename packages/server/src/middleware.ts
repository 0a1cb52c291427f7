import type { HandlerRef } from '@pestras/micro-socket-core';
import type { Socket } from 'socket.io';
import { type AckError, MIDDLEWARE_FAILED, SocketError } from './errors';
import { type BindContext, isThenable, reportFailure } from './invoke';

type Next = (err?: Error) => void;

// One rule for every middleware (HANDSHAKE, USE, USESOCKET):
// - `next(err)` is a deliberate answer, as in socket.io: its message reaches the client;
// - a SocketError, passed or thrown, reaches the client with its message and its code;
// - anything else thrown or rejected is a fault: logged with its stack, and the client gets
//   MIDDLEWARE_FAILED, nothing of the original text.

/** A value passed to `next` that is not an Error: a string is its message. */
function passedError(err: unknown, code: string): Error {
  return err instanceof Error ? err : new SocketError(code, typeof err === 'string' ? err : 'Rejected');
}

/** An error that socket.io sends as `connect_error` with `data: { code }` (`err.data.code` on the client). */
function withCode(code: string, message: string): SocketError {
  return Object.assign(new SocketError(code, message), { data: { code } });
}

/** The `connect_error` a client receives for a refusal: a SocketError's code travels as `data.code`. */
function connectError(err: Error): Error {
  return err instanceof SocketError ? withCode(err.code, err.message) : err;
}

/** What a thrown or rejected value becomes for the client. */
function thrownAnswer(err: unknown): AckError {
  return err instanceof SocketError ? { error: { code: err.code, message: err.message } } : MIDDLEWARE_FAILED;
}

/**
 * A HANDSHAKE/USE method as a socket.io namespace middleware: `next` can be called once, a throw
 * or rejection refuses the socket (see the rule above), and a method that never answers is cut off.
 */
export function namespaceMiddleware(ctx: BindContext, ref: HandlerRef, target: unknown) {
  const label = ref.hook === 'use' ? 'USE' : 'HANDSHAKE';
  return (socket: Socket, next: Next): void => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (err: Error | undefined) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      next(err);
    };
    const answer = (err?: unknown) => {
      settle(
        err === undefined || err === null
          ? undefined
          : connectError(passedError(err, 'ERR_MIDDLEWARE_REJECTED')),
      );
    };
    if (ctx.middlewareTimeout > 0) {
      timer = setTimeout(() => {
        ctx.logger.warn(
          `micro-socket: ${label} ${String(ref.method)} did not call next within ${ctx.middlewareTimeout} ms`,
        );
        answer(
          new SocketError('ERR_MIDDLEWARE_TIMEOUT', 'Connection refused: the server did not answer in time'),
        );
      }, ctx.middlewareTimeout);
      timer.unref();
    }
    const fail = (err: unknown) => {
      reportFailure(ctx, label, ref, err);
      const { code, message } = thrownAnswer(err).error;
      settle(withCode(code, message));
    };
    try {
      const result = ref.fn.call(ref.instance, target, socket, answer);
      if (isThenable(result)) result.then(undefined, fail);
    } catch (err) {
      fail(err);
    }
  };
}

/**
 * The USESOCKET methods of a namespace as one `socket.use` middleware, run in order. A refused
 * packet with an ack gets `{ error }` back, so the client is not left waiting.
 */
export function packetMiddleware(
  ctx: BindContext,
  refs: readonly HandlerRef[],
  target: unknown,
  socket: Socket,
) {
  return (packet: unknown[], next: Next): void => {
    let index = 0;
    const refuse = (answer: AckError, err: Error) => {
      const ack = packet[packet.length - 1];
      if (typeof ack === 'function') ack(answer);
      next(err);
    };
    const refusePassed = (err: unknown) => {
      const error = passedError(err, 'ERR_PACKET_REJECTED');
      const code = error instanceof SocketError ? error.code : 'ERR_PACKET_REJECTED';
      refuse({ error: { code, message: error.message } }, error);
    };
    const step = (): void => {
      const ref = refs[index++];
      if (!ref) {
        next();
        return;
      }
      let called = false;
      const once = (err?: unknown) => {
        if (called) return;
        called = true;
        if (err === undefined || err === null) step();
        else refusePassed(err);
      };
      const fail = (err: unknown) => {
        reportFailure(ctx, 'USESOCKET', ref, err);
        if (called) return;
        called = true;
        const answer = thrownAnswer(err);
        refuse(answer, new SocketError(answer.error.code, answer.error.message));
      };
      try {
        const result = ref.fn.call(ref.instance, target, packet, once, socket);
        if (isThenable(result)) result.then(undefined, fail);
      } catch (err) {
        fail(err);
      }
    };
    step();
  };
}
