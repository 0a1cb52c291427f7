/**
 * Receives the payloads other processes published. A handler never throws: the bus catches
 * and logs whatever goes wrong while parsing or delivering.
 *
 * @example
 * ```ts
 * const handler: PayloadHandler = (payload) => console.log('received', payload.length, 'chars');
 * ```
 */
export type PayloadHandler = (payload: string) => void;

/**
 * The seam between the {@link PublishBus} and the channel that links processes. A transport
 * moves opaque text payloads and nothing else: the bus validates, encodes, de-duplicates and
 * delivers, once, above it.
 *
 * Contract:
 * - `publish(payload)` sends the payload to the buses of the *other* processes, each once.
 *   Sending it back to the publishing bus too is allowed (Redis does): the bus drops its own echo.
 *   It rejects (with a `PublishError` `ERR_TRANSPORT`) when the payload could not be handed over.
 * - `subscribe(handler)` is called once by the bus; it resolves once the transport receives.
 * - `close()` stops receiving and releases what the transport created; it is idempotent.
 *
 * @example
 * ```ts
 * // A transport over any pub/sub with text messages:
 * function myTransport(pubsub: MyPubSub): PublishTransport {
 *   return {
 *     name: 'my-pubsub',
 *     publish: (payload) => pubsub.send('socket-publish', payload),
 *     subscribe: (handler) => pubsub.listen('socket-publish', handler),
 *     close: () => pubsub.unlisten('socket-publish'),
 *   };
 * }
 * ```
 */
export interface PublishTransport {
  /** A short name for logs, e.g. `'ipc'`, `'redis'`. */
  readonly name: string;
  publish(payload: string): Promise<void> | void;
  subscribe(handler: PayloadHandler): Promise<void> | void;
  close(): Promise<void> | void;
}

/**
 * A transport that reaches no other process: what a single-process service needs, and the
 * bus's default outside a cluster worker when no socket.io adapter is configured.
 * With it, `publish` only delivers locally, and only with `includeSelf: true`.
 *
 * @example
 * ```ts
 * const bus = new PublishBus(io, { transport: localTransport() });
 * await bus.publish({ event: 'tick', data: [1] }, { includeSelf: true }); // this process only
 * ```
 */
export function localTransport(): PublishTransport {
  return { name: 'local', publish() {}, subscribe() {}, close() {} };
}
