import nodeCluster, { type Worker } from 'node:cluster';
import { sendToWorkers } from '@pestras/micro-socket-core/internal';
import { PROTOCOL } from './codec';
import { PublishError } from './errors';
import type { PayloadHandler, PublishTransport } from './transport';

/** What a bus message looks like on the cluster IPC channel; anything else there is not ours. */
interface IpcPacket {
  readonly type: typeof PROTOCOL;
  readonly payload: string;
}

function isIpcPacket(message: unknown): message is IpcPacket {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as IpcPacket).type === PROTOCOL &&
    typeof (message as IpcPacket).payload === 'string'
  );
}

/**
 * The part of a process with an IPC channel the transport uses: a cluster worker's (or forked
 * child's) `process`, which is the default.
 *
 * @example
 * ```ts
 * const channel: IpcChannel = process;
 * const transport = ipcTransport(channel);
 * ```
 */
export interface IpcChannel {
  send?(
    message: unknown,
    sendHandle?: undefined,
    options?: undefined,
    callback?: (err: Error | null) => void,
  ): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  readonly connected?: boolean;
}

/**
 * The node cluster IPC transport, and the bus's default in a cluster worker: the worker
 * `process.send`s each message to the primary, whose {@link attachPublishRelay} forwards it to
 * every other worker. Works on one machine only; payloads (Buffers included) are JSON text.
 *
 * Throws a {@link PublishError} `ERR_NO_IPC` in a process without an IPC channel.
 *
 * @example
 * ```ts
 * // worker.ts, started by a primary that called attachPublishRelay()
 * const bus = new PublishBus(io, { transport: ipcTransport() });
 * await bus.publish({ event: 'ArticleUpdated', data: [id], namespace: 'blog', room: 'members' });
 * ```
 */
export function ipcTransport(channel: IpcChannel = process as unknown as IpcChannel): PublishTransport {
  if (typeof channel.send !== 'function') {
    throw new PublishError(
      'ERR_NO_IPC',
      'ipcTransport: this process has no IPC channel; run it as a node cluster worker (or forked child) whose primary calls attachPublishRelay()',
    );
  }
  let listener: ((message: unknown) => void) | undefined;
  let closed = false;
  return {
    name: 'ipc',
    publish(payload) {
      if (closed) return Promise.reject(new PublishError('ERR_CLOSED', 'ipcTransport: closed'));
      if (channel.connected === false) {
        return Promise.reject(
          new PublishError('ERR_TRANSPORT', 'ipcTransport: the IPC channel to the primary is closed'),
        );
      }
      const packet: IpcPacket = { type: PROTOCOL, payload };
      return new Promise<void>((resolve, reject) => {
        const done = (err: Error | null) =>
          err
            ? reject(
                new PublishError('ERR_TRANSPORT', `ipcTransport: send failed: ${err.message}`, {
                  cause: err,
                }),
              )
            : resolve();
        try {
          channel.send?.(packet, undefined, undefined, done);
        } catch (err) {
          done(err instanceof Error ? err : new Error(String(err)));
        }
      });
    },
    subscribe(handler: PayloadHandler) {
      if (closed || listener) return;
      listener = (message) => {
        if (isIpcPacket(message)) handler(message.payload);
      };
      channel.on('message', listener);
    },
    close() {
      closed = true;
      if (listener) channel.off('message', listener);
      listener = undefined;
    },
  };
}

/**
 * The part of `node:cluster` the relay uses, so a primary can pass its own cluster object.
 *
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * const detach = attachPublishRelay(cluster satisfies ClusterLike);
 * ```
 */
export interface ClusterLike {
  on(event: 'message', listener: (worker: Worker, message: unknown) => void): unknown;
  off(event: 'message', listener: (worker: Worker, message: unknown) => void): unknown;
  readonly workers?: NodeJS.Dict<Worker>;
}

/**
 * The primary's side of {@link ipcTransport}: forwards every bus message a worker sends to all
 * the *other* connected workers, and ignores every other IPC message. A worker being replaced or
 * gone is skipped; nothing the workers send can make the primary throw. The publishing worker
 * delivers to itself in-process when asked to (`includeSelf`), so the relay never echoes.
 *
 * Returns a function that detaches the relay.
 *
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * if (cluster.isPrimary) {
 *   const detach = attachPublishRelay(cluster);
 *   for (let i = 0; i < 4; i++) cluster.fork();
 *   process.once('SIGTERM', detach);
 * }
 * ```
 */
export function attachPublishRelay(cluster: ClusterLike = nodeCluster): () => void {
  const relay = (sender: Worker, message: unknown) => {
    if (!isIpcPacket(message)) return;
    const packet: IpcPacket = { type: PROTOCOL, payload: message.payload };
    sendToWorkers(Object.values(cluster.workers ?? {}), packet, sender);
  };
  cluster.on('message', relay);
  return () => {
    cluster.off('message', relay);
  };
}
