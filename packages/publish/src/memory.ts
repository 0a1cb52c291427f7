// The package's own main entry, not './errors': this file is the separate `./testing` entry, and a
// second copy of PublishError there would fail `instanceof` checks against the main one.
import { type PayloadHandler, PublishError, type PublishTransport } from '@pestras/micro-socket-publish';

/**
 * Links buses inside one process, as if they were separate processes: each transport from
 * {@link MemoryHub.transport} reaches every other open transport of the hub, asynchronously.
 * Meant for tests of code that publishes, without IPC or Redis.
 *
 * Exported from `@pestras/micro-socket-publish/testing`, not from the main entry.
 *
 * @example
 * ```ts
 * import { MemoryHub } from '@pestras/micro-socket-publish/testing';
 *
 * const hub = new MemoryHub();
 * const a = new PublishBus(ioA, { transport: hub.transport() });
 * const b = new PublishBus(ioB, { transport: hub.transport() });
 * await a.publish({ event: 'news', data: ['hello'] }); // reaches ioB's sockets
 * ```
 */
export class MemoryHub {
  readonly #handlers = new Map<object, PayloadHandler>();

  /** A new transport linked to every other transport of this hub. */
  transport(): PublishTransport {
    const key = {};
    const handlers = this.#handlers;
    let closed = false;
    return {
      name: 'memory',
      publish(payload) {
        if (closed) throw new PublishError('ERR_CLOSED', 'memory transport: closed');
        for (const [other, handler] of handlers) {
          if (other !== key) setImmediate(() => handlers.get(other) && handler(payload));
        }
      },
      subscribe(handler) {
        if (!closed) handlers.set(key, handler);
      },
      close() {
        closed = true;
        handlers.delete(key);
      },
    };
  }
}
