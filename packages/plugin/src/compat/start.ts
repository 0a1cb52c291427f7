import cluster from 'node:cluster';
import type { Micro } from '@pestras/micro';
import type { Logger } from '@pestras/micro-socket-server';
import { type MicroPrimary, startMicroPrimary } from '../cluster';
import { registeredMicroSockets } from '../plugin';
import { guardMicroWorkerListener } from './worker-listener';

/** The part of the `Micro` class {@link patchStart} reads and replaces. */
type MicroClass = typeof Micro;

/**
 * Replaces `Micro.start` of @pestras/micro 1.2.5:
 *
 * - in the primary of `@SERVICE({ workers: N })` with a MicroSocket registered, it runs this
 *   package's cluster primary instead of Micro's workers manager (which crashes on Node 20), and
 *   hands it to `onPrimary` so that the exit coordinator can stop the workers;
 * - in a cluster worker, once Micro started, it guards Micro's `@WORKER_MSG` listener against
 *   the IPC messages of the sticky sessions and the publish bus (see `guardMicroWorkerListener`).
 */
export function patchStart(
  micro: MicroClass,
  logger: Required<Logger>,
  onPrimary: (primary: Promise<MicroPrimary>) => void,
): void {
  const start = micro.start;
  micro.start = function startWithMicroSocket(ServiceClass: unknown, subServices?: unknown[]) {
    const workers = micro.config?.workers ?? 0;
    const [socket, ...others] = registeredMicroSockets();
    if (cluster.isPrimary && workers !== 0 && socket) {
      // Micro's primary never sets the log level it prints with.
      if (micro.config.logLevel) micro.logger.level = micro.config.logLevel;
      if (others.length > 0) {
        logger.warn('MicroSocket: with workers, only the first MicroSocket plugin gets sticky sessions');
      }
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
        process.on(signal, () => micro.exit(0, signal));
      }
      const options = socket.options;
      const primary = startMicroPrimary({
        workers,
        port: options.port ?? 3001,
        host: options.host ?? '0.0.0.0',
        logger,
      }).then((running) => {
        logger.info(
          `MicroSocket: cluster primary listening on ${options.host ?? '0.0.0.0'}:${running.port} for ${workers < 0 ? 'one worker per CPU' : `${workers} workers`}`,
        );
        return running;
      });
      onPrimary(primary);
      return primary.then(() => {});
    }
    const started = start.call(micro, ServiceClass as never, subServices as never);
    if (!cluster.isWorker) return started;
    return started.then(() => {
      guardMicroWorkerListener(logger);
    });
  };
}
