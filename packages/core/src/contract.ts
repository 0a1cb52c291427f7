import type { StandardSchemaV1 } from '@standard-schema/spec';

export type { StandardSchemaV1 } from '@standard-schema/spec';

/**
 * The options of one `EVENT`: its contract (`args`, `ack`), validated by the binding with any
 * Standard Schema v1 library (zod, valibot, arktype, ...).
 *
 * - `args`: one schema per argument. The handler receives exactly `args.length` values, each
 *   schema's output, then the ack (or `undefined`); a missing argument is `undefined` to its
 *   schema, an extra one is a validation failure.
 * - `ack`: the schema the handler's answer must pass before it reaches the client.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * const options: EventOptions = { args: [z.string(), z.number().int()], ack: z.object({ ok: z.boolean() }) };
 * class Shop {
 *   @EVENT('buy', options) buy(io: Server, socket: Socket, item: string, count: number) { return { ok: true }; }
 * }
 * ```
 */
export interface EventOptions<
  Args extends readonly StandardSchemaV1[] = readonly StandardSchemaV1[],
  Ack extends StandardSchemaV1 = StandardSchemaV1,
> {
  /** One schema per argument the client sends, in order. */
  readonly args?: Args;
  /** The schema of the handler's answer (its return value or its call of `ack`). */
  readonly ack?: Ack;
  /**
   * This event's own inbound rate limit per connection, a token bucket of `burst` events refilled
   * at `perSecond`, instead of the binding's default bucket; `false` exempts the event. Over it,
   * the handler does not run and the ack gets `ERR_RATE_LIMITED` (see the server's `rateLimit`).
   */
  readonly rateLimit?: EventRateLimit | false;
}

/**
 * An event's own rate limit: `burst` events at once, refilled at `perSecond` events per second.
 *
 * @example
 * ```ts
 * class Chat {
 *   @EVENT('say', { rateLimit: { perSecond: 2, burst: 5 } satisfies EventRateLimit })
 *   say(io: Server, socket: Socket, text: string) {}
 * }
 * ```
 */
export interface EventRateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/**
 * Named event contracts, as {@link defineEvents} returns them: event name → {@link EventOptions}.
 *
 * @example
 * ```ts
 * const events: EventContracts = { join: { args: [z.string()] } };
 * ```
 */
export type EventContracts = { readonly [event: string]: EventOptions };

/**
 * Declares event contracts once, to share between the server (`@EVENT('join', chat.join)`), a
 * socket.io-client typed with {@link ClientToServerEvents} / {@link ServerToClientEvents}, and
 * the AsyncAPI document. It returns its argument; it only keeps the tuple types of `args`.
 *
 * @example
 * ```ts
 * export const chat = defineEvents({
 *   join: { args: [z.string()], ack: z.object({ members: z.number() }) },
 * });
 * class Chat { @EVENT('join', chat.join) join(io: Server, socket: Socket, room: string) { return { members: 1 }; } }
 * ```
 */
export function defineEvents<const Contracts extends EventContracts>(contracts: Contracts): Contracts {
  return contracts;
}

/**
 * What a client's ack receives when the server refused or failed the event.
 *
 * @example
 * ```ts
 * const answer = (await socket.emitWithAck('join', 'general')) as { members: number } | AckFailure;
 * if ('error' in answer) console.warn(answer.error.code, answer.error.issues);
 * ```
 */
export interface AckFailure {
  readonly error: {
    readonly code: string;
    readonly message: string;
    /** For `ERR_VALIDATION`: each issue, `path[0]` being the argument's index. */
    readonly issues?: readonly { readonly path: readonly (string | number)[]; readonly message: string }[];
  };
}

/**
 * The outputs of a tuple of schemas: what a handler receives.
 *
 * @example
 * ```ts
 * type T = SchemaOutputs<[z.ZodString, z.ZodNumber]>; // [string, number]
 * ```
 */
export type SchemaOutputs<Schemas extends readonly StandardSchemaV1[]> = {
  -readonly [K in keyof Schemas]: StandardSchemaV1.InferOutput<Schemas[K]>;
};

/**
 * The inputs of a tuple of schemas: what a client sends.
 *
 * @example
 * ```ts
 * type T = SchemaInputs<[z.ZodString, z.ZodDefault<z.ZodNumber>]>; // [string, number | undefined]
 * ```
 */
export type SchemaInputs<Schemas extends readonly StandardSchemaV1[]> = {
  -readonly [K in keyof Schemas]: StandardSchemaV1.InferInput<Schemas[K]>;
};

type ArgsSchemas<O> = O extends { readonly args: infer S extends readonly StandardSchemaV1[] } ? S : never;
type AckSchema<O> = O extends { readonly ack: infer A extends StandardSchemaV1 } ? A : never;

/**
 * The ack function a handler of an event with options `O` receives: typed by the `ack` schema's
 * input when there is one.
 *
 * @example
 * ```ts
 * type Ack = EventAck<{ ack: z.ZodNumber }>; // (answer: number) => void
 * ```
 */
export type EventAck<O> = [AckSchema<O>] extends [never]
  ? (...answer: unknown[]) => void
  : (answer: StandardSchemaV1.InferInput<AckSchema<O>>) => void;

/**
 * The method type an `EVENT` with options `O` accepts: `(server or namespace, socket, ...outputs,
 * ack | undefined)`, returning the `ack` schema's input (or a promise of it), or nothing.
 *
 * @example
 * ```ts
 * type H = EventHandler<{ args: [z.ZodNumber]; ack: z.ZodNumber }>;
 * // (io: any, socket: any, a: number, ack: ((answer: number) => void) | undefined) => number | void | PromiseLike<...>
 * ```
 */
export type EventHandler<O> = (
  target: any,
  socket: any,
  ...args: [ArgsSchemas<O>] extends [never]
    ? any[]
    : [...SchemaOutputs<ArgsSchemas<O>>, ack: EventAck<O> | undefined]
) => [AckSchema<O>] extends [never]
  ? unknown
  :
      | StandardSchemaV1.InferInput<AckSchema<O>>
      | undefined
      | void
      // biome-ignore lint/suspicious/noConfusingVoidType: a method that answers through `ack` returns void, or a promise of it
      | PromiseLike<StandardSchemaV1.InferInput<AckSchema<O>> | undefined | void>;

/**
 * The decorator `EVENT(name, options)` returns: in both decorator modes, it refuses at compile
 * time a method whose parameters do not accept the schemas' outputs or whose answer does not fit
 * the `ack` schema.
 *
 * @example
 * ```ts
 * const join: EventDecorator<{ args: [z.ZodString] }> = EVENT('join', { args: [z.string()] });
 * ```
 */
export interface EventDecorator<O> {
  <F extends EventHandler<O>>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): void;
  <F extends EventHandler<O>>(value: F, context: ClassMethodDecoratorContext<any, F>): void;
}

type ClientArgs<O> = [ArgsSchemas<O>] extends [never] ? any[] : SchemaInputs<ArgsSchemas<O>>;

/**
 * The socket.io event map of the events clients send, derived from their contracts: for
 * socket.io-client's `Socket<ListenEvents, EmitEvents>` (as `EmitEvents`) and socket.io's
 * `Server<ListenEvents>`. An event with an `ack` schema takes an ack receiving the schema's
 * output or an {@link AckFailure}.
 *
 * @example
 * ```ts
 * const socket: Socket<ServerToClientEvents<typeof pushed>, ClientToServerEvents<typeof chat>> = io(url);
 * const res = await socket.emitWithAck('join', 'lobby'); // { members: number } | AckFailure
 * ```
 */
export type ClientToServerEvents<Contracts extends EventContracts> = {
  [E in keyof Contracts & string]: [AckSchema<Contracts[E]>] extends [never]
    ? (...args: ClientArgs<Contracts[E]>) => void
    : (
        ...args: [
          ...ClientArgs<Contracts[E]>,
          ack: (answer: StandardSchemaV1.InferOutput<AckSchema<Contracts[E]>> | AckFailure) => void,
        ]
      ) => void;
};

/**
 * The socket.io event map of the events the server sends, declared with the same contracts:
 * for socket.io-client's `Socket<ListenEvents>` and socket.io's `Server<_, EmitEvents>`.
 *
 * @example
 * ```ts
 * const pushed = defineEvents({ message: { args: [z.object({ text: z.string() })] } });
 * socket.on('message', (m) => m.text); // typed
 * ```
 */
export type ServerToClientEvents<Contracts extends EventContracts> = {
  [E in keyof Contracts & string]: (...args: ClientArgs<Contracts[E]>) => void;
};
