import type { EventOptions } from './contract';
import { DecoratorError } from './errors';
import { getHandlerMetadata, type HookKind } from './metadata';

/**
 * One decorated method of one instance, ready to call: `fn.call(instance, ...)`.
 *
 * @example
 * ```ts
 * const ref: HandlerRef = { instance: chat, method: 'onMessage', hook: 'event', fn: chat.onMessage };
 * ref.fn.call(ref.instance, io, socket, 'hi');
 * ```
 */
export interface HandlerRef {
  readonly instance: object;
  readonly method: string | symbol;
  readonly hook: HookKind;
  readonly fn: (...args: any[]) => unknown;
  /** The options given to `EVENT` (its contract), for `hook: 'event'` only. */
  readonly options?: EventOptions;
}

/**
 * Everything bound to one namespace, each list in order: instances in the order given, each
 * instance's methods in declaration order (base classes first).
 *
 * @example
 * ```ts
 * const blog: NamespacePlan = createHandlerPlan([new Blog()]).get('/blog')!;
 * blog.events.get('newArticle'); // [HandlerRef]
 * ```
 */
export interface NamespacePlan {
  /** socket.io's namespace path: `'/'` for the main server. */
  readonly namespace: string;
  /** HANDSHAKE and USE together, in declaration order. */
  readonly middlewares: HandlerRef[];
  readonly connect: HandlerRef[];
  readonly reconnect: HandlerRef[];
  readonly usesocket: HandlerRef[];
  readonly disconnect: HandlerRef[];
  /** Event name → handlers. A `Map`, so that names such as `__proto__` are only data. */
  readonly events: Map<string, HandlerRef[]>;
}

/**
 * Namespace path → what is bound there.
 *
 * @example
 * ```ts
 * const plan: HandlerPlan = createHandlerPlan([new Chat()]);
 * for (const [path, ns] of plan) console.log(path, [...ns.events.keys()]);
 * ```
 */
export type HandlerPlan = Map<string, NamespacePlan>;

function emptyNamespacePlan(namespace: string): NamespacePlan {
  return {
    namespace,
    middlewares: [],
    connect: [],
    reconnect: [],
    usesocket: [],
    disconnect: [],
    events: new Map(),
  };
}

/**
 * Reads the decorators of a set of instances (their classes and base classes) into a plain plan:
 * namespace → hooks → (instance, method). An instance given twice is planned once.
 *
 * @throws {@link DecoratorError} `ERR_HANDLER_NOT_A_FUNCTION` when a decorated method is not a
 * function on the instance.
 * @example
 * ```ts
 * class Chat {
 *   @EVENT('message') onMessage(io: Server, socket: Socket, text: string) {}
 *   @EVENT('newArticle', ['blog']) onArticle(ns: Namespace, socket: Socket) {}
 * }
 * const plan = createHandlerPlan([new Chat()]);
 * [...plan.keys()]; // ['/', '/blog']
 * ```
 */
export function createHandlerPlan(instances: Iterable<object>): HandlerPlan {
  const plan: HandlerPlan = new Map();
  for (const instance of new Set(instances)) {
    if (typeof instance !== 'object' || instance === null) {
      throw new DecoratorError(
        'ERR_HANDLER_NOT_A_FUNCTION',
        `handler instances must be objects, got ${String(instance)}`,
      );
    }
    for (const entry of getHandlerMetadata(instance.constructor)) {
      const fn = (instance as Record<string | symbol, unknown>)[entry.method];
      if (typeof fn !== 'function') {
        throw new DecoratorError(
          'ERR_HANDLER_NOT_A_FUNCTION',
          `${instance.constructor.name}.${String(entry.method)} is decorated with ${entry.hook.toUpperCase()} but is not a function`,
        );
      }
      const ref: HandlerRef = {
        instance,
        method: entry.method,
        hook: entry.hook,
        fn: fn as HandlerRef['fn'],
        ...(entry.options ? { options: entry.options } : {}),
      };
      for (const path of entry.namespaces) {
        let ns = plan.get(path);
        if (!ns) {
          ns = emptyNamespacePlan(path);
          plan.set(path, ns);
        }
        switch (entry.hook) {
          case 'handshake':
          case 'use':
            ns.middlewares.push(ref);
            break;
          case 'event': {
            const event = entry.event as string;
            const list = ns.events.get(event);
            if (list) list.push(ref);
            else ns.events.set(event, [ref]);
            break;
          }
          default:
            ns[entry.hook].push(ref);
        }
      }
    }
  }
  return plan;
}
