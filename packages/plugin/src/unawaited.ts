/**
 * A promise that knows whether its caller took its rejection: `await`, `.catch`, `.then` with a
 * rejection handler, `Promise.all`/`Promise.race` over it (each calls `then` with one).
 */
class CallerPromise<T> extends Promise<T> {
  /** Promises derived from this one (`.then`, `.catch`) are plain promises. */
  static override get [Symbol.species]() {
    return Promise;
  }

  taken = false;

  // biome-ignore lint/suspicious/noThenProperty: a Promise subclass that records who takes its rejection
  override then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (typeof onRejected === 'function') this.taken = true;
    return super.then(onFulfilled, onRejected);
  }
}

/**
 * Returns `promise` to a caller that may await it or fire and forget it, and reports a failure
 * only when the caller did not take the rejection: a fire-and-forget call has its failure
 * reported once, an awaited (and caught) one is left to the caller. Either way the rejection is
 * never unhandled (which Micro turns into `exit(1)`).
 *
 * The caller counts as taking the rejection when it attached a handler by the turn after the
 * failure; `await` attaches one within the same turn.
 *
 * @example
 * ```ts
 * return reportUnawaited(bus.publish(message), (err) => logger.error('publish failed', err));
 * ```
 */
export function reportUnawaited<T>(promise: Promise<T>, report: (err: unknown) => void): Promise<T> {
  const result = new CallerPromise<T>((resolve, reject) => {
    promise.then(resolve, reject);
  });
  // Through Promise.prototype.then, not the override: this handler is not the caller's.
  Promise.prototype.then.call(result, undefined, (err: unknown) => {
    setImmediate(() => {
      if (!result.taken) report(err);
    });
  });
  return result;
}
