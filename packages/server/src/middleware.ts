import type { HandlerRef } from '@pestras/micro-socket-core';
import type { Socket } from 'socket.io';
import { SocketError, toAckError } from './errors';
import { type BindContext, isThenable, reportFailure } from './invoke';

type Next = (err?: Error) => void;

function asError(err: unknown, code: string): Error {
  return err instanceof Error ? err : new SocketError(code, typeof err === 'string' ? err : 'Rejected');
}

/**
 * A HANDSHAKE/USE method as a socket.io namespace middleware: `next` can be called once, a throw
 * or rejection counts as `next(err)`, and a method that never answers is cut off.
 */
export function namespaceMiddleware(ctx: BindContext, ref: HandlerRef, target: unknown) {
  const label = ref.hook === 'use' ? 'USE' : 'HANDSHAKE';
  return (socket: Socket, next: Next): void => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      next(err === undefined || err === null ? undefined : asError(err, 'ERR_MIDDLEWARE_REJECTED'));
    };
    if (ctx.middlewareTimeout > 0) {
      timer = setTimeout(() => {
        ctx.logger.warn(
          `micro-socket: ${label} ${String(ref.method)} did not call next within ${ctx.middlewareTimeout} ms`,
        );
        finish(
          new SocketError('ERR_MIDDLEWARE_TIMEOUT', 'Connection refused: the server did not answer in time'),
        );
      }, ctx.middlewareTimeout);
      timer.unref();
    }
    const fail = (err: unknown) => {
      reportFailure(ctx, label, ref, err);
      finish(err ?? new SocketError('ERR_MIDDLEWARE_REJECTED', 'Rejected'));
    };
    try {
      const result = ref.fn.call(ref.instance, target, socket, finish);
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
    const reject = (err: unknown, thrown: boolean) => {
      const ack = packet[packet.length - 1];
      if (typeof ack === 'function') {
        const payload =
          thrown || err instanceof SocketError
            ? toAckError(err)
            : {
                error: {
                  code: 'ERR_PACKET_REJECTED',
                  message: err instanceof Error ? err.message : String(err),
                },
              };
        ack(payload);
      }
      next(asError(err, 'ERR_PACKET_REJECTED'));
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
        else reject(err, false);
      };
      const fail = (err: unknown) => {
        reportFailure(ctx, 'USESOCKET', ref, err);
        if (called) return;
        called = true;
        reject(err, true);
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
