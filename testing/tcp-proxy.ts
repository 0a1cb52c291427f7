// A TCP proxy standing in for the load balancer in front of several hosts: the tests move clients
// from one host to another the way a failover does, without touching the clients.
import { once } from 'node:events';
import { type AddressInfo, connect as connectTcp, createServer, type Socket } from 'node:net';
import type { Resources } from './index';

/** Where a {@link TcpProxy} sends new connections. */
export interface TcpUpstream {
  readonly port: number;
  /** `127.0.0.1` when not given. */
  readonly host?: string;
}

/** A running {@link startTcpProxy}. */
export interface TcpProxy {
  /** The port the proxy listens on (127.0.0.1, chosen by the OS). */
  readonly port: number;
  /** `http://127.0.0.1:<port>`: the address clients are given. */
  readonly url: string;
  /** The upstream that new connections go to. */
  readonly upstream: TcpUpstream;
  /** How many client connections are open through the proxy right now. */
  readonly open: number;
  /**
   * Sends every connection accepted from now on to `upstream`; open connections stay where they
   * are (as behind a real balancer) until {@link cut} or their end.
   */
  route(upstream: TcpUpstream | number): void;
  /**
   * Destroys every open connection on both sides at once, as a failing balancer or network does:
   * clients and hosts both see their connection close. Returns how many were cut.
   */
  cut(): number;
  /** How many connections the proxy has sent to the upstream on `port` so far. */
  routedTo(port: number): number;
  /** Cuts every connection and stops listening (the resources do it too). */
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy on 127.0.0.1 and a port chosen by the OS, routing each new connection to the
 * currently selected upstream and piping bytes both ways; when either side closes or fails, the
 * other side is destroyed too. When the upstream refuses, the client's connection is destroyed
 * (what a balancer with no healthy host does). Fault injection: {@link TcpProxy.route} switches
 * the upstream, {@link TcpProxy.cut} cuts every open connection. The resources close it.
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy(resources, hostA.port);
 * const socket = client(resources, proxy.url, { transports: ['websocket'] });
 * // ... later, fail over to host B:
 * proxy.route(hostB.port);
 * proxy.cut();
 * ```
 */
export async function startTcpProxy(resources: Resources, upstream: TcpUpstream | number): Promise<TcpProxy> {
  const asUpstream = (value: TcpUpstream | number): TcpUpstream =>
    typeof value === 'number' ? { port: value } : value;
  let current = asUpstream(upstream);
  const pairs = new Set<[client: Socket, host: Socket]>();
  const routed = new Map<number, number>();

  const server = createServer((clientSide) => {
    const target = current;
    routed.set(target.port, (routed.get(target.port) ?? 0) + 1);
    const hostSide = connectTcp({ port: target.port, host: target.host ?? '127.0.0.1' });
    const pair: [Socket, Socket] = [clientSide, hostSide];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      clientSide.destroy();
      hostSide.destroy();
    };
    for (const side of pair) {
      side.setNoDelay(true);
      side.on('error', end);
      side.on('close', end);
    }
    clientSide.pipe(hostSide);
    hostSide.pipe(clientSide);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const cut = () => {
    const count = pairs.size;
    for (const [clientSide, hostSide] of [...pairs]) {
      clientSide.destroy();
      hostSide.destroy();
    }
    pairs.clear();
    return count;
  };
  const proxy: TcpProxy = {
    port,
    url: `http://127.0.0.1:${port}`,
    get upstream() {
      return current;
    },
    get open() {
      return pairs.size;
    },
    route(next) {
      current = asUpstream(next);
    },
    cut,
    routedTo: (upstreamPort) => routed.get(upstreamPort) ?? 0,
    close: async () => {
      if (!server.listening) return;
      const closed = once(server, 'close');
      server.close();
      cut();
      await closed;
    },
  };
  resources.add(proxy, (p) => p.close());
  return proxy;
}
