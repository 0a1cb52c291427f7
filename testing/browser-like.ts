// A socket.io-client in Node that keeps its cookies across reconnections, as a browser does.
import {
  type Socket as ClientSocket,
  io as connect,
  type ManagerOptions,
  type SocketOptions,
} from 'socket.io-client';
import type { Resources } from './index';

/** engine.io-client 6.6's per-connection cookie jar (`withCredentials: true` in Node). */
interface EngineWithCookieJar {
  _cookieJar?: { cookies: IterableIterator<[string, { value: string }]> };
}

/**
 * A reconnecting socket.io-client whose cookies outlive each connection, as a browser's cookie
 * store does for a page: what the server sets (`Set-Cookie`, e.g. engine.io's routing cookie) is
 * sent with every later handshake, reconnections included.
 *
 * socket.io-client in Node keeps cookies only with `withCredentials: true`, and then in a jar of
 * each engine.io connection (engine.io-client 6.6): a reconnection starts a new connection with an
 * empty jar. So after each handshake the jar's cookies are copied into the manager's
 * `extraHeaders`, which every later connection of the manager sends.
 *
 * @example
 * ```ts
 * const socket = await connected(browserLikeClient(resources, url));
 * socket.io.engine.close(); // the connection is lost; the client reconnects with its cookie
 * ```
 */
export function browserLikeClient(
  resources: Resources,
  url: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): ClientSocket {
  const socket = connect(url, {
    forceNew: true,
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    withCredentials: true,
    ...options,
  });
  const cookies = new Map<string, string>();
  socket.io.on('open', () => {
    const jar = (socket.io.engine as unknown as EngineWithCookieJar)._cookieJar;
    if (!jar) return;
    for (const [name, cookie] of jar.cookies) cookies.set(name, cookie.value);
    const header = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    socket.io.opts.extraHeaders = { ...socket.io.opts.extraHeaders, cookie: header };
  });
  return resources.add(socket, (s) => {
    s.disconnect();
  });
}
