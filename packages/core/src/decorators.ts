import type { EventDecorator, EventOptions } from './contract';
import { DecoratorError, type DecoratorErrorCode } from './errors';
import { describeValue } from './internal/describe-value';
import { addLegacyHandler, addStandardHandler, type HandlerMetadata, type HookKind } from './metadata';
import { normalizeNamespaces } from './namespaces';

/**
 * A method decorator that works with both TypeScript decorator modes: `experimentalDecorators`
 * (legacy) and TC39 standard decorators (TypeScript 5's default when that flag is off).
 *
 * @example
 * ```ts
 * const onJoin: HandlerDecorator = EVENT('join', ['chat']);
 * ```
 */
export interface HandlerDecorator {
  (target: object, propertyKey: string | symbol, descriptor?: PropertyDescriptor): void;
  (value: Function, context: ClassMethodDecoratorContext): void;
}

/**
 * Namespace names as the decorators take them: an array (or one name); `'default'` is the main
 * server, any other name a socket.io namespace (`'blog'` and `'/blog'` are the same).
 *
 * @example
 * ```ts
 * const namespaces: Namespaces = ['default', 'blog'];
 * ```
 */
export type Namespaces = readonly string[] | string;

/**
 * Event names socket.io reserves for itself: an `EVENT` handler for one of them would never be
 * called for a client's event, so declaring one is an error.
 *
 * @example
 * ```ts
 * RESERVED_EVENTS.has('disconnect'); // true
 * ```
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

/**
 * The decorated member as a message names it: `Chat.onMessage`. A TC39 method decorator is not
 * given its class, so there the class is named only for static members (through a static
 * initializer, which runs while the class is defined); other members say which method it is.
 */
function memberName(classOrPrototype: unknown, member: string | symbol): string {
  const ctor =
    typeof classOrPrototype === 'function' ? classOrPrototype : (classOrPrototype as object)?.constructor;
  const className = typeof ctor === 'function' && ctor.name ? ctor.name : '<anonymous class>';
  return `${className}.${String(member)}`;
}

function located(code: DecoratorErrorCode, where: string, message: string): DecoratorError {
  return new DecoratorError(code, `${where}: ${message}`);
}

/**
 * Runs a decorator's arguments check; a bad argument is reported when the decorator is applied,
 * where its class and method are known (still when the class is defined).
 */
function deferred<T>(check: () => T): { value?: T; problem?: DecoratorError } {
  try {
    return { value: check() };
  } catch (err) {
    if (!(err instanceof DecoratorError)) throw err;
    return { problem: err };
  }
}

function handlerDecorator(
  decorator: string,
  hook: HookKind,
  namespaces: unknown,
  event?: string,
  options?: EventOptions,
  earlier?: DecoratorError,
): HandlerDecorator {
  const checked = earlier ? { problem: earlier } : deferred(() => normalizeNamespaces(decorator, namespaces));
  const problem = checked.problem;
  const paths = checked.value ?? [];
  const entryFor = (method: string | symbol): HandlerMetadata => {
    if (event === undefined) return { hook, method, namespaces: paths };
    return options === undefined
      ? { hook, method, namespaces: paths, event }
      : { hook, method, namespaces: paths, event, options };
  };

  return ((target: unknown, context: unknown): void => {
    if (typeof context === 'object' && context !== null && 'kind' in context) {
      const ctx = context as ClassMethodDecoratorContext;
      let failure: [DecoratorErrorCode, string] | undefined;
      if (ctx.kind !== 'method' || ctx.static || ctx.private) {
        failure = [
          'ERR_DECORATOR_TARGET',
          `${decorator} decorates public instance methods only, not ${ctx.static ? 'static ' : ''}${ctx.private ? 'private ' : ''}${ctx.kind} ${String(ctx.name)}`,
        ];
      } else if (problem) failure = [problem.code, problem.message];
      else if (!ctx.metadata) {
        failure = [
          'ERR_METADATA_UNAVAILABLE',
          `${decorator}: decorator metadata is unavailable; import '@pestras/micro-socket-core' before defining the class`,
        ];
      }
      if (failure) {
        const [code, message] = failure;
        if (!ctx.static) throw located(code, `${decorator} on ${String(ctx.name)}`, message);
        // A static initializer runs while the class is defined, with the class as `this`.
        ctx.addInitializer(function (this: unknown) {
          throw located(code, `${decorator} on ${memberName(this, ctx.name)}`, message);
        });
        return;
      }
      addStandardHandler(ctx.metadata as object, entryFor(ctx.name));
      return;
    }
    if (typeof context !== 'string' && typeof context !== 'symbol') {
      throw new DecoratorError('ERR_DECORATOR_TARGET', `${decorator} decorates methods only`);
    }
    const where = `${decorator} on ${memberName(target, context)}`;
    if (typeof target === 'function') {
      throw located(
        'ERR_DECORATOR_TARGET',
        where,
        `${decorator} decorates instance methods only, not static method ${String(context)}`,
      );
    }
    if (problem) throw located(problem.code, where, problem.message);
    addLegacyHandler((target as { constructor: Function }).constructor, entryFor(context));
  }) as HandlerDecorator;
}

/**
 * Runs the method for every socket newly connected to the namespaces, after the HANDSHAKE and
 * USE middlewares accepted it. Called with `(server or namespace, socket)`.
 *
 * @param namespaces defaults to `['default']`, the main server.
 * @example
 * ```ts
 * class Chat {
 *   @CONNECT()
 *   onConnect(io: Server, socket: Socket) { socket.join('lobby'); }
 *   @CONNECT(['blog'])
 *   onBlogConnect(ns: Namespace, socket: Socket) {}
 * }
 * ```
 */
export function CONNECT(namespaces?: Namespaces): HandlerDecorator {
  return handlerDecorator('CONNECT', 'connect', namespaces);
}

/**
 * Runs the method, instead of CONNECT, for a socket whose session socket.io restored through
 * connection state recovery. Called with `(server or namespace, socket)`.
 *
 * @param namespaces defaults to `['default']`, the main server.
 * @example
 * ```ts
 * class Chat {
 *   @RECONNECT()
 *   onReconnect(io: Server, socket: Socket) { console.log('welcome back', socket.id); }
 * }
 * ```
 */
export function RECONNECT(namespaces?: Namespaces): HandlerDecorator {
  return handlerDecorator('RECONNECT', 'reconnect', namespaces);
}

/**
 * Registers the method as a namespace middleware, mostly for authorization. Called with
 * `(server or namespace, socket, next)`; `next(err)`, a throw or a rejection refuses the socket
 * and the client receives `connect_error` with the error's message.
 *
 * @param namespaces defaults to `['default']`, the main server.
 * @example
 * ```ts
 * class Auth {
 *   @HANDSHAKE()
 *   check(io: Server, socket: Socket, next: (err?: Error) => void) {
 *     next(socket.handshake.auth.token === 'secret' ? undefined : new Error('unauthorized'));
 *   }
 * }
 * ```
 */
export function HANDSHAKE(namespaces?: Namespaces): HandlerDecorator {
  return handlerDecorator('HANDSHAKE', 'handshake', namespaces);
}

/**
 * A namespace middleware, the same as {@link HANDSHAKE}; HANDSHAKE and USE run together in the
 * order they are declared. Called with `(server or namespace, socket, next)`.
 *
 * @param namespaces defaults to `['default']`, the main server.
 * @example
 * ```ts
 * class Limits {
 *   @USE(['blog'])
 *   tag(ns: Namespace, socket: Socket, next: (err?: Error) => void) { socket.data.seen = Date.now(); next(); }
 * }
 * ```
 */
export function USE(namespaces?: Namespaces): HandlerDecorator {
  return handlerDecorator('USE', 'use', namespaces);
}

/**
 * A per-packet middleware (socket.io's `socket.use`) that sees every incoming event before any
 * EVENT handler. Called with `(server or namespace, packet, next, socket)`; a packet refused with
 * `next(err)` (or a throw) never reaches an EVENT handler.
 *
 * @param namespaces defaults to `['default']`, the main server.
 * @example
 * ```ts
 * class Guard {
 *   @USESOCKET()
 *   guard(io: Server, packet: unknown[], next: (err?: Error) => void, socket: Socket) {
 *     next(packet[0] === 'admin' && !socket.data.admin ? new Error('forbidden') : undefined);
 *   }
 * }
 * ```
 */
export function USESOCKET(namespaces?: Namespaces): HandlerDecorator {
  return handlerDecorator('USESOCKET', 'usesocket', namespaces);
}

/**
 * Runs the method for one event sent by a client. Called with
 * `(server or namespace, socket, ...args, ack?)`; returning a value (or a promise of one)
 * answers the client's acknowledgement when the method does not call `ack` itself.
 *
 * With options carrying a contract (`args`, `ack`: Standard Schema v1 schemas of any library),
 * the binding validates what the client sends: the method receives exactly `args.length` values
 * (each schema's output) then the ack or `undefined`, and is not called for invalid input (the
 * client's ack gets `ERR_VALIDATION`). TypeScript then checks the method's parameters and answer
 * against the schemas, in both decorator modes.
 *
 * @param name the event name; socket.io's reserved names ({@link RESERVED_EVENTS}) are refused.
 * @param namespaces one namespace name or an array of them; `['default']`, the main server, by default.
 * @param options the event's {@link EventOptions}; may come second when there are no namespaces.
 * @throws {@link DecoratorError} when the class is defined, for a missing, non-string or reserved
 * name, invalid namespaces or invalid options.
 * @example
 * ```ts
 * class Blog {
 *   @EVENT('newArticle', ['blog'])
 *   async newArticle(ns: Namespace, socket: Socket, title: string) {
 *     return { saved: true, title };
 *   }
 *
 *   @EVENT('rate', 'blog', { args: [z.string(), z.number().int().min(1).max(5)], ack: z.object({ saved: z.boolean() }) })
 *   rate(ns: Namespace, socket: Socket, id: string, stars: number) {
 *     return { saved: true };
 *   }
 * }
 * ```
 */
export function EVENT(name: string, namespaces?: Namespaces | null): HandlerDecorator;
export function EVENT<const O extends EventOptions>(name: string, options: O): EventDecorator<O>;
export function EVENT<const O extends EventOptions>(
  name: string,
  namespaces: Namespaces | null | undefined,
  options: O,
): EventDecorator<O>;
export function EVENT(name: string, second?: unknown, third?: unknown): HandlerDecorator {
  const checked = deferred(() => {
    checkEventName(name);
    const optionsSecond = isPlainObject(second);
    if (optionsSecond && third !== undefined) {
      throw new DecoratorError(
        'ERR_EVENT_OPTIONS_INVALID',
        `EVENT('${name}'): options come last: EVENT(name, namespaces, options) or EVENT(name, options)`,
      );
    }
    const namespaces = optionsSecond ? undefined : second;
    return { namespaces, options: checkEventOptions(name, optionsSecond ? second : third) };
  });
  const { namespaces, options } = checked.value ?? {};
  return handlerDecorator('EVENT', 'event', namespaces, name, options, checked.problem);
}

/** Checks an EVENT name (see {@link RESERVED_EVENTS}). */
function checkEventName(name: unknown): void {
  if (name === undefined || name === null || name === '') {
    throw new DecoratorError('ERR_EVENT_NAME_MISSING', "EVENT needs an event name, as in @EVENT('message')");
  }
  if (typeof name !== 'string') {
    throw new DecoratorError(
      'ERR_EVENT_NAME_INVALID',
      `EVENT needs the event name as a string, got ${describeValue(name)}`,
    );
  }
  if (RESERVED_EVENTS.has(name)) {
    throw new DecoratorError(
      'ERR_EVENT_NAME_RESERVED',
      `EVENT('${name}'): '${name}' is reserved by socket.io; use CONNECT, DISCONNECT or another event name`,
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStandardSchema(value: unknown): boolean {
  const props = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    typeof props === 'object' &&
    props !== null &&
    props.version === 1 &&
    typeof props.validate === 'function'
  );
}

/** Checks an EVENT's options when the class is defined, so a typo fails at start, not per event. */
const EVENT_OPTION_KEYS: ReadonlySet<string> = new Set(['args', 'ack', 'rateLimit']);

function checkEventOptions(name: string, options: unknown): EventOptions | undefined {
  if (options === undefined || options === null) return undefined;
  const invalid = (what: string) =>
    new DecoratorError('ERR_EVENT_OPTIONS_INVALID', `EVENT('${name}'): ${what}`);
  if (!isPlainObject(options)) throw invalid(`options must be an object, got ${describeValue(options)}`);
  // A misspelt key (`arg`, `acks`) would silently leave the event unvalidated.
  const unknown = Object.keys(options).filter((key) => !EVENT_OPTION_KEYS.has(key));
  if (unknown.length > 0) {
    throw invalid(
      `unknown option ${unknown.map((key) => `'${key}'`).join(', ')}; EVENT takes args, ack and rateLimit`,
    );
  }
  const { args, ack } = options;
  if (args !== undefined) {
    if (!Array.isArray(args)) throw invalid('args must be an array of Standard Schema v1 schemas');
    const bad = args.findIndex((schema) => !isStandardSchema(schema));
    if (bad >= 0) {
      throw invalid(`args[${bad}] is not a Standard Schema v1 schema (zod, valibot, arktype, ...)`);
    }
  }
  if (ack !== undefined && !isStandardSchema(ack)) {
    throw invalid('ack is not a Standard Schema v1 schema (zod, valibot, arktype, ...)');
  }
  const rateLimit = (options as { rateLimit?: unknown }).rateLimit;
  if (rateLimit !== undefined && rateLimit !== false) {
    const { perSecond, burst } = (isPlainObject(rateLimit) ? rateLimit : {}) as Record<string, unknown>;
    if (!(typeof perSecond === 'number' && perSecond > 0 && typeof burst === 'number' && burst >= 1)) {
      throw invalid('rateLimit must be false or { perSecond: a number > 0, burst: a number >= 1 }');
    }
  }
  return Object.freeze({ ...options, ...(args ? { args: Object.freeze([...args]) } : {}) }) as EventOptions;
}

/**
 * Runs the method when a socket leaves the namespace. Called with
 * `(server or namespace, socket, reason)`.
 *
 * @param namespaces defaults to `['default']`, the main server.
 * @example
 * ```ts
 * class Presence {
 *   @DISCONNECT()
 *   gone(io: Server, socket: Socket, reason: string) { io.emit('left', socket.id, reason); }
 * }
 * ```
 */
export function DISCONNECT(namespaces?: Namespaces): HandlerDecorator {
  return handlerDecorator('DISCONNECT', 'disconnect', namespaces);
}
