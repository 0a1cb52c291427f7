import type { Server } from 'socket.io';
import { PROTOCOL } from './codec';
import { PublishError } from './errors';
import type { PayloadHandler, PublishTransport } from './transport';

/**
 * True when the adapter overrides `serverSideEmit`, i.e. it links servers
 * (@socket.io/redis-adapter, @socket.io/cluster-adapter, ...). socket.io's in-memory adapter
 * only warns and drops server-side emits.
 */
export function linksServers(adapter: unknown): boolean {
  let proto = adapter === null || adapter === undefined ? null : Object.getPrototypeOf(adapter);
  while (proto && !Object.hasOwn(proto, 'serverSideEmit')) proto = Object.getPrototypeOf(proto);
  if (!proto) return false;
  // The first class defining serverSideEmit overrides an inherited one only on a real adapter.
  const parent = Object.getPrototypeOf(proto);
  return typeof parent?.serverSideEmit === 'function';
}

/**
 * The transport through the socket.io adapter's own channel (`serverSideEmit`), for servers
 * that already share an adapter such as `@socket.io/redis-adapter` or
 * `@socket.io/cluster-adapter`. The adapter reaches the other servers only, each once; the bus
 * still delivers locally, once, without going back through the adapter. It is the bus's default
 * when such an adapter is configured before the bus is created.
 *
 * Throws a {@link PublishError} `ERR_INVALID_OPTIONS` if the server uses the in-memory adapter.
 *
 * @example
 * ```ts
 * io.adapter(createAdapter(pubClient, subClient)); // @socket.io/redis-adapter
 * const bus = new PublishBus(io, { transport: adapterTransport(io) });
 * ```
 */
export function adapterTransport(io: Server<any, any, any, any>): PublishTransport {
  const main = io.of('/');
  if (!linksServers(main.adapter)) {
    throw new PublishError(
      'ERR_INVALID_OPTIONS',
      "adapterTransport: this server uses socket.io's in-memory adapter, which reaches no other server; configure an adapter first (io.adapter(createAdapter(...)) from @socket.io/redis-adapter or @socket.io/cluster-adapter), or use ipcTransport() or redisTransport()",
    );
  }
  let listener: ((payload: unknown) => void) | undefined;
  let closed = false;
  return {
    name: 'adapter',
    publish(payload) {
      if (closed) return Promise.reject(new PublishError('ERR_CLOSED', 'adapterTransport: closed'));
      try {
        main.serverSideEmit(PROTOCOL, payload);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(
          new PublishError('ERR_TRANSPORT', `adapterTransport: serverSideEmit failed: ${String(err)}`, {
            cause: err,
          }),
        );
      }
    },
    subscribe(handler: PayloadHandler) {
      if (closed || listener) return;
      listener = (payload) => {
        if (typeof payload === 'string') handler(payload);
      };
      main.on(PROTOCOL, listener);
    },
    close() {
      closed = true;
      if (listener) main.off(PROTOCOL, listener);
      listener = undefined;
    },
  };
}
