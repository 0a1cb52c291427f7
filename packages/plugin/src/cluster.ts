import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { type ClusterPrimary, startClusterPrimary } from '@pestras/micro-socket-cluster';
import { sendToWorkers } from '@pestras/micro-socket-core/internal';
import { attachPublishRelay } from '@pestras/micro-socket-publish';
import type { Logger } from '@pestras/micro-socket-server';
import { isMicroMessage } from './compat/worker-listener';
import { MicroSocketError } from './errors';
import { STICKY_WORKER_ENV } from './worker-mode';

/**
 * The `Micro.message` a worker sends to have every worker replaced, one at a time
 * (`ClusterPrimary.restartWorkers`): Micro 1.2.5's own workers manager took messages naming
 * `restart` as a request to restart its workers.
 */
const MICRO_RESTART_MESSAGE = 'restart';

/**
 * Relays `Micro.message(msg, data, target)` between workers, as Micro's own workers manager was
 * meant to: `'others'` (Micro's default) reaches every other worker, `'all'` every worker, the
 * sender included. `Micro.message('restart')` is the primary's own, whatever its target: a rolling
 * restart of every worker, relayed to none. Any other IPC message (sticky sessions, the publish
 * bus) is not Micro's.
 */
function relayMicroMessages(primary: ClusterPrimary, logger: Required<Logger>): () => void {
  const relay = (sender: Worker, message: unknown) => {
    if (!isMicroMessage(message)) return;
    if (message.message === MICRO_RESTART_MESSAGE) {
      logger.info(`MicroSocket: worker ${sender.id} asked for a rolling restart of the workers`);
      primary.restartWorkers().catch((err: unknown) => {
        // Refused while closing, or a replacement that did not start: the workers keep serving.
        logger.error('MicroSocket: the rolling restart of the workers failed', err);
      });
      return;
    }
    if (message.target !== 'all' && message.target !== 'others') return;
    sendToWorkers(primary.workers(), message, message.target === 'others' ? sender : undefined);
  };
  cluster.on('message', relay);
  return () => cluster.off('message', relay);
}

/** What {@link startMicroPrimary} needs to know. */
export interface MicroPrimaryOptions {
  /** `@SERVICE({ workers })`: a negative number means one worker per CPU. */
  readonly workers: number;
  readonly port: number;
  readonly host: string;
  readonly logger: Required<Logger>;
}

/** A running primary: `close()` stops every worker (SIGTERM, their `Micro.exit`) and resolves once they exited. */
export interface MicroPrimary {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The cluster primary of a Micro service with `@SERVICE({ workers })` that uses MicroSocket,
 * in place of Micro 1.2.5's workers manager (which crashes on Node 20): the sticky primary of
 * `@pestras/micro-socket-cluster` (it owns the port, forks and replaces workers, routes each
 * engine.io session to its worker and relays the publish bus) plus the relay of `Micro.message`,
 * and a rolling restart of the workers on `Micro.message('restart')`.
 */
export async function startMicroPrimary(options: MicroPrimaryOptions): Promise<MicroPrimary> {
  const count = options.workers < 0 ? availableParallelism() : options.workers;
  let primary: ClusterPrimary;
  try {
    primary = await startClusterPrimary({
      workers: count,
      port: options.port,
      host: options.host,
      env: { [STICKY_WORKER_ENV]: '1' },
      logger: options.logger,
      hooks: [attachPublishRelay],
    });
  } catch (err) {
    throw new MicroSocketError(
      'ERR_WORKERS',
      `MicroSocket: the cluster primary cannot start: ${String((err as Error).message ?? err)}`,
      {
        cause: err,
      },
    );
  }
  const detach = relayMicroMessages(primary, options.logger);
  primary.on('online', (worker) =>
    options.logger.info(`MicroSocket: worker ${worker.id} (pid ${worker.process.pid}) online`),
  );
  return {
    get port() {
      return primary.port;
    },
    close: () => primary.close().finally(detach),
  };
}
