/**
 * Waits for `work` to settle, but no longer than `timeout` ms. The timer is cleared as soon as
 * `work` settles, so a finished wait leaves nothing scheduled behind it; a rejection of `work`
 * counts as settled (whoever cares about the value awaits `work` itself).
 *
 * @returns true when `work` settled in time, false when the deadline passed first (at once for a
 *   `timeout` of 0 or less).
 *
 * @example
 * ```ts
 * import { settlesWithin } from '@pestras/micro-socket-core/internal';
 *
 * if (!(await settlesWithin(server.close(), 5_000))) console.warn('close took longer than 5 s');
 * ```
 */
export function settlesWithin(work: PromiseLike<unknown>, timeout: number): Promise<boolean> {
  if (timeout <= 0) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeout);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    Promise.resolve(work).then(done, done);
  });
}
