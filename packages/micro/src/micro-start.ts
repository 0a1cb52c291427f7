import cluster from 'node:cluster';
import { Micro } from '@pestras/micro';
import { guardMicroWorkerListener, type MicroPrimary, startMicroPrimary } from './cluster';
import { microLogger } from './logger';
import { installMicroPlugin } from './micro-compat';
import { registeredMicroSockets } from './plugin';

/** Marks the Micro class once patched, across copies of this package (its ESM and CJS builds). */
const INSTALLED = Symbol.for('@pestras/micro-socket-plugin:micro-patched');

type StartFn = typeof Micro.start;
type ExitFn = typeof Micro.exit;

/**
 * Patches the `Micro` class of @pestras/micro 1.2.5 once per process, on import of this package:
 *
 * - `Micro.plugin(plugin)` where missing (see `installMicroPlugin`);
 * - `Micro.start`: in the primary of `@SERVICE({ workers: N })` with a MicroSocket registered, runs
 *   this package's cluster primary instead of Micro's workers manager (which crashes on Node 20);
 *   in a cluster worker, guards Micro's `@WORKER_MSG` listener against foreign IPC messages;
 * - `Micro.exit`: with no service (a cluster primary, or `start` failed before creating it) it no
 *   longer throws in an endless loop: it stops the workers, if any, and exits with the code.
 */
export function patchMicro(): void {
  const micro = Micro as typeof Micro & { [INSTALLED]?: true };
  if (micro[INSTALLED]) return;
  Object.defineProperty(micro, INSTALLED, { value: true });
  installMicroPlugin(micro);

  const logger = microLogger(() => Micro.logger);
  let primary: Promise<MicroPrimary | undefined> | undefined;

  const exit: ExitFn = micro.exit;
  micro.exit = function exitWithoutService(code = 0, signal = 'SIGTERM') {
    if (Micro.service) return exit.call(Micro, code, signal);
    if (!primary) process.exit(code);
    logger.info(`MicroSocket: cluster primary got ${signal}, stopping the workers`);
    void primary
      .then(
        (running) => running?.close(),
        () => {}, // it could not start: already reported by start()
      )
      .catch((err: unknown) => logger.error('MicroSocket: stopping the workers failed', err))
      .finally(() => process.exit(code));
  };

  const start: StartFn = micro.start;
  micro.start = function startWithMicroSocket(ServiceClass: unknown, subServices?: unknown[]) {
    const workers = Micro.config?.workers ?? 0;
    const [socket, ...others] = registeredMicroSockets();
    if (cluster.isPrimary && workers !== 0 && socket) {
      // Micro's primary never sets the log level it prints with.
      if (Micro.config.logLevel) Micro.logger.level = Micro.config.logLevel;
      if (others.length > 0) {
        logger.warn('MicroSocket: with workers, only the first MicroSocket plugin gets sticky sessions');
      }
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
        process.on(signal, () => Micro.exit(0, signal));
      }
      const options = socket.options;
      primary = startMicroPrimary({
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
      return primary.then(() => {});
    }
    const started = start.call(Micro, ServiceClass, subServices);
    if (!cluster.isWorker) return started;
    return started.then(() => {
      guardMicroWorkerListener(logger);
    });
  };
}
