/** The part of a node:cluster `Worker` that {@link sendToWorkers} uses. */
export interface IpcWorker {
  readonly id: number;
  isConnected(): boolean;
  send(
    message: unknown,
    handle: undefined,
    options: undefined,
    callback: (err: Error | null) => void,
  ): unknown;
}

function ignore(): void {}

/**
 * The one fan-out of the cluster primaries: sends `message` to every connected worker but
 * `except` (the sender, when it must not get its own message back). A worker that is going away
 * simply misses the message: neither a disconnected channel nor a failing send reaches the
 * primary, which must stay up whatever its workers do.
 *
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * import { sendToWorkers } from '@pestras/micro-socket-core/internal';
 *
 * cluster.on('message', (sender, message) => sendToWorkers(Object.values(cluster.workers ?? {}), message, sender));
 * ```
 */
export function sendToWorkers(
  workers: Iterable<IpcWorker | undefined>,
  message: unknown,
  except?: { readonly id: number },
): void {
  for (const worker of workers) {
    if (!worker || worker.id === except?.id) continue;
    try {
      if (worker.isConnected()) worker.send(message, undefined, undefined, ignore);
    } catch {
      // gone meanwhile
    }
  }
}
