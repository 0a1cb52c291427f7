import { settlesWithin } from '@pestras/micro-socket-core/internal';

/**
 * Counts the handlers of a binding that are still running (the asynchronous EVENT, CONNECT,
 * RECONNECT and DISCONNECT handlers whose promise has not settled) so that a shutdown can wait
 * for them, and tells the binding when to refuse new work. A synchronous handler is over before
 * anyone could wait for it and costs nothing here.
 *
 * {@link SocketServer} makes one of its own; pass one to {@link bindHandlers} to drain a
 * socket.io server you manage yourself.
 *
 * @example
 * ```ts
 * const inFlight = new InFlightHandlers();
 * bindHandlers(io, [new Chat()], { inFlight });
 * // on shutdown: refuse new events, let the running ones answer their acks, then close
 * await inFlight.drain(5_000);
 * io.disconnectSockets(true);
 * ```
 */
export class InFlightHandlers {
  #running = 0;
  #draining = false;
  /** Settles when the running count next drops to zero; made only while someone waits. */
  #idle: { promise: Promise<void>; wake: () => void } | undefined;

  /** How many handlers are running now. */
  get running(): number {
    return this.#running;
  }

  /** Whether {@link InFlightHandlers.drain} was called: new connections and events are refused. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Called by the binding when a handler returned a promise. */
  enter(): void {
    this.#running++;
  }

  /**
   * Called by the binding when that promise settled. An arrow function so that it can be passed
   * to `then` as it is.
   */
  readonly leave = (): void => {
    if (--this.#running > 0 || !this.#idle) return;
    const { wake } = this.#idle;
    this.#idle = undefined;
    wake();
  };

  /**
   * Starts refusing new connections and events (they get `ERR_SHUTTING_DOWN`) and waits for the
   * running handlers.
   *
   * @returns true once no handler runs, false if some still ran after `timeout` ms.
   */
  drain(timeout: number): Promise<boolean> {
    this.#draining = true;
    return this.idle(timeout);
  }

  /**
   * Waits until no handler runs, without refusing anything.
   *
   * @returns true once no handler runs, false if some still ran after `timeout` ms.
   */
  idle(timeout: number): Promise<boolean> {
    if (this.#running === 0) return Promise.resolve(true);
    if (timeout <= 0) return Promise.resolve(false);
    if (!this.#idle) {
      let wake!: () => void;
      const promise = new Promise<void>((resolve) => {
        wake = resolve;
      });
      this.#idle = { promise, wake };
    }
    return settlesWithin(this.#idle.promise, timeout);
  }
}
