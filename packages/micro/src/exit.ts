import { settlesWithin } from '@pestras/micro-socket-core/internal';
/** Something with an `exit(code, signal)` method to defer: `Micro` in practice. */
export interface ExitTarget {
  exit(code?: number, signal?: NodeJS.Signals): void;
}

/**
 * Replaces `target.exit` so that it first runs `close` and waits for it (at most `timeout` ms)
 * before calling the `exit` it replaced, with the same arguments.
 *
 * Why: @pestras/micro 1.2.5's `Micro.exit` calls every `onExit` synchronously and then
 * `process.exit` at once, so the asynchronous part of closing a socket server (telling clients,
 * closing the http server) never runs. Micro's SIGTERM/SIGINT/SIGHUP handlers call `Micro.exit`
 * by property lookup, so they go through the replacement too.
 *
 * A second call while the first is still closing exits at once (a second Ctrl-C forces).
 *
 * @returns a function that restores the replaced `exit` if it is still in place.
 */
export function deferExit(
  target: ExitTarget,
  close: () => Promise<unknown>,
  timeout: number,
  onCloseError: (err: unknown) => void,
): () => void {
  const previous = target.exit;
  let exiting = false;
  const exit = function exitAfterClose(code?: number, signal?: NodeJS.Signals): void {
    if (exiting) {
      previous.call(target, code, signal);
      return;
    }
    exiting = true;
    let closing: Promise<unknown>;
    try {
      closing = Promise.resolve(close()).catch(onCloseError);
    } catch (err) {
      closing = Promise.resolve(onCloseError(err));
    }
    void settlesWithin(closing, timeout).then(() => {
      try {
        previous.call(target, code, signal);
      } catch (err) {
        // Micro.exit dereferences its service unguarded; a throw here must still end the process.
        onCloseError(err);
        process.exit(code ?? 1);
      }
    });
  };
  target.exit = exit;
  return () => {
    if (target.exit === exit) target.exit = previous;
  };
}
