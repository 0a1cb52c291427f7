import { settlesWithin } from '@pestras/micro-socket-core/internal';

/** Something with an `exit(code, signal)` method to coordinate: `Micro` in practice. */
export interface ExitTarget {
  exit(code?: number, signal?: NodeJS.Signals): void;
}

/** One thing to close before the process exits. */
export interface ExitTask {
  close(): unknown;
  /** How long to wait for it; without one, as long as it takes (it has deadlines of its own). */
  readonly timeout?: number;
}

/** What {@link coordinateExit} asks at exit time. */
export interface ExitCoordination {
  /** What must close first: the running MicroSocket plugins and, in a cluster primary, its workers. */
  tasks(): ExitTask[];
  /** Whether the replaced `exit` can run: Micro 1.2.5's dereferences its service unguarded. */
  canExit(): boolean;
  /** Reports a task that failed (or an `exit` that threw). */
  onError(err: unknown): void;
  /** Ends the process when the replaced `exit` cannot; `process.exit` unless a test says otherwise. */
  endProcess?: (code: number) => void;
}

/**
 * The one replacement of `target.exit` (`Micro.exit`): it first closes every task, each within
 * its own timeout, then calls the `exit` it replaced with the same arguments — or, with no
 * service to exit (a cluster primary, or a `start` that failed before creating it), ends the
 * process with the code.
 *
 * Why: @pestras/micro 1.2.5's `Micro.exit` calls every `onExit` synchronously and then
 * `process.exit` at once, so the asynchronous part of closing a socket server (telling clients,
 * closing the http server) never runs; and without a service it throws in an endless loop.
 * Micro's SIGTERM/SIGINT/SIGHUP handlers call `Micro.exit` by property lookup, so they go
 * through the replacement too. A second call while the first is still closing exits at once
 * (a second Ctrl-C forces).
 *
 * @returns a function that puts the replaced `exit` back if the replacement is still in place.
 */
export function coordinateExit(target: ExitTarget, coordination: ExitCoordination): () => void {
  const previous = target.exit;
  const endProcess = coordination.endProcess ?? ((code: number) => process.exit(code));
  let exiting = false;

  const finish = (code: number | undefined, signal: NodeJS.Signals | undefined) => {
    if (!coordination.canExit()) {
      endProcess(code ?? 0);
      return;
    }
    try {
      previous.call(target, code, signal);
    } catch (err) {
      // Micro.exit dereferences its service unguarded; a throw here must still end the process.
      coordination.onError(err);
      endProcess(code ?? 1);
    }
  };

  const exit = function exitAfterClosing(code?: number, signal?: NodeJS.Signals): void {
    if (exiting) {
      finish(code, signal);
      return;
    }
    exiting = true;
    const waits = coordination.tasks().map((task) => {
      let closing: Promise<unknown>;
      try {
        closing = Promise.resolve(task.close()).catch(coordination.onError);
      } catch (err) {
        closing = Promise.resolve(coordination.onError(err));
      }
      return task.timeout === undefined ? closing : settlesWithin(closing, task.timeout);
    });
    void Promise.all(waits).then(() => finish(code, signal));
  };
  target.exit = exit;
  return () => {
    if (target.exit === exit) target.exit = previous;
  };
}
