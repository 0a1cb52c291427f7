// Every patch this package applies to @pestras/micro, in one room, behind one call. Written
// against and tested with @pestras/micro 1.2.5 (see version.ts); each file says what it replaces
// and why.
import { Micro } from '@pestras/micro';
import type { MicroPrimary } from '../cluster';
import { microLogger } from '../logger';
import { DEFAULT_EXIT_TIMEOUT } from '../options';
import { registeredMicroSockets } from '../plugin';
import { coordinateExit, type ExitTask } from './exit';
import { installMicroPlugin } from './plugin-alias';
import { patchStart } from './start';
import { installedMicroVersion, uncheckedVersionWarning } from './version';

/** Marks the Micro class once patched, across copies of this package (its ESM and CJS builds). */
const INSTALLED = Symbol.for('@pestras/micro-socket-plugin:micro-compat');

/** Extra time the exit gives a plugin's close, which has its own `exitTimeout` deadline. */
const EXIT_MARGIN = 500;

/**
 * Installs the patches MicroSocket needs on the `Micro` class, once per process (importing the
 * package calls it):
 *
 * - `Micro.plugin(plugin)` where missing (1.2.5 has only `Micro.plugins`);
 * - `Micro.start` runs this package's cluster primary for `@SERVICE({ workers })` and guards
 *   Micro's worker message listener;
 * - `Micro.exit` closes every running MicroSocket (and, in a cluster primary, its workers)
 *   before Micro exits, and no longer loops forever without a service.
 *
 * A Micro version the patches were not checked with gets a process warning
 * (`MICRO_SOCKET_UNCHECKED_MICRO`), not a silent patch.
 *
 * @returns whether this call installed them (false: already installed in this process).
 */
export function installMicroCompat(version: string | undefined = installedMicroVersion()): boolean {
  const micro = Micro as typeof Micro & { [INSTALLED]?: true };
  if (micro[INSTALLED]) return false;
  Object.defineProperty(micro, INSTALLED, { value: true });

  const warning = uncheckedVersionWarning(version);
  if (warning) process.emitWarning(warning, { code: 'MICRO_SOCKET_UNCHECKED_MICRO' });

  const logger = microLogger(() => Micro.logger);
  let primary: Promise<MicroPrimary> | undefined;

  installMicroPlugin(micro);
  patchStart(micro, logger, (started) => {
    primary = started;
  });
  coordinateExit(micro, {
    tasks: () => {
      const tasks: ExitTask[] = registeredMicroSockets().map((socket) => ({
        close: () => socket.close(),
        timeout: (socket.options.exitTimeout ?? DEFAULT_EXIT_TIMEOUT) + EXIT_MARGIN,
      }));
      const workers = primary;
      if (workers) {
        logger.info('MicroSocket: cluster primary exiting, stopping the workers');
        // The primary's close has deadlines of its own (SIGKILL after its shutdown timeout).
        tasks.push({
          close: () =>
            workers.then(
              (running) => running.close(),
              () => {},
            ),
        });
      }
      return tasks;
    },
    canExit: () => Boolean(Micro.service),
    onError: (err) => logger.error('MicroSocket: closing before exit failed', err),
  });
  return true;
}
