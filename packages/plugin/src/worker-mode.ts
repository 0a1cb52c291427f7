import cluster from 'node:cluster';
import type { Server as HttpServer } from 'node:http';
import { type StickyWorker, serveStickyWorker } from '@pestras/micro-socket-cluster';
import type { SocketServer } from '@pestras/micro-socket-server';

/**
 * Set by the primary this package runs for `@SERVICE({ workers })` in the environment of every
 * worker it forks: such a worker serves the connections the primary routes to it (sticky
 * sessions) instead of listening itself.
 */
export const STICKY_WORKER_ENV = 'PESTRAS_MICRO_SOCKET_STICKY_WORKER';

/** Whether this process is a worker forked by {@link startMicroPrimary}. */
export function isStickyWorker(): boolean {
  return cluster.isWorker && process.env[STICKY_WORKER_ENV] === '1';
}

/**
 * The plugin in a worker forked by the primary this package runs for `@SERVICE({ workers })`
 * (see `startMicroPrimary`): the socket server does not listen (the primary owns the port); once
 * the services are ready the worker asks the primary for sessions, and on close it asks for no
 * new ones before the server drains, so the open sessions, polling clients too, get every answer.
 * Outside such a worker the plugin has no worker mode at all.
 */
export class WorkerMode {
  #sticky: StickyWorker | undefined;

  /** The worker mode of this process; undefined outside a worker of this package's primary. */
  static ofThisProcess(): WorkerMode | undefined {
    return isStickyWorker() ? new WorkerMode() : undefined;
  }

  /** Whether the primary routes sessions here (after {@link WorkerMode.serve}). */
  get serving(): boolean {
    return this.#sticky !== undefined;
  }

  /** Starts taking the sessions the primary routes here; throws as `serveStickyWorker` does. */
  serve(server: SocketServer): void {
    this.#sticky ??= serveStickyWorker(server.io, server.httpServer as HttpServer);
  }

  /** Asks the primary for no new sessions; the open ones still arrive until the process exits. */
  close(): void {
    this.#sticky?.close();
  }

  /** The line the plugin logs once it serves. */
  describe(): string {
    return `MicroSocket: socket.io serving cluster worker ${cluster.worker?.id} (sticky sessions routed by the primary)`;
  }
}
