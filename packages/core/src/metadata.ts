import 'reflect-metadata';
import type { EventOptions } from './contract';
import { SYMBOL_METADATA } from './symbol-metadata';

/**
 * The hooks a decorator can register a method for.
 *
 * @example
 * ```ts
 * const hooks: HookKind[] = ['handshake', 'use', 'connect', 'reconnect', 'usesocket', 'event', 'disconnect'];
 * ```
 */
export type HookKind = 'handshake' | 'use' | 'connect' | 'reconnect' | 'usesocket' | 'event' | 'disconnect';

/**
 * What one decorator wrote about one method.
 *
 * @example
 * ```ts
 * const entry: HandlerMetadata = { hook: 'event', event: 'newArticle', namespaces: ['/blog'], method: 'newArticle' };
 * ```
 */
export interface HandlerMetadata {
  readonly hook: HookKind;
  /** The method's name on the instance. */
  readonly method: string | symbol;
  /** socket.io namespace paths: `'/'` for the main server. */
  readonly namespaces: readonly string[];
  /** The event name, for `hook: 'event'` only. */
  readonly event?: string;
  /** The options given to `EVENT` (its contract), for `hook: 'event'` only. */
  readonly options?: EventOptions;
}

/**
 * The metadata key, global by name so that two copies of this package in one process
 * (ESM and CJS, or two versions) read and write the same entries.
 *
 * @example
 * ```ts
 * Reflect.getOwnMetadata(HANDLERS_METADATA_KEY, MyService);
 * ```
 */
export const HANDLERS_METADATA_KEY = 'pestras:micro-socket:handlers';
const STANDARD_KEY = Symbol.for(HANDLERS_METADATA_KEY);

/** Appends an entry for a legacy (`experimentalDecorators`) decorator: stored on the class itself. */
export function addLegacyHandler(ctor: Function, entry: HandlerMetadata): void {
  const own: HandlerMetadata[] | undefined = Reflect.getOwnMetadata(HANDLERS_METADATA_KEY, ctor);
  if (own) own.push(entry);
  else Reflect.defineMetadata(HANDLERS_METADATA_KEY, [entry], ctor);
}

/** Appends an entry for a TC39 decorator: stored in the class's `Symbol.metadata` object. */
export function addStandardHandler(metadata: object, entry: HandlerMetadata): void {
  const record = metadata as Record<symbol, HandlerMetadata[] | undefined>;
  const own = Object.hasOwn(record, STANDARD_KEY) ? record[STANDARD_KEY] : undefined;
  if (own) own.push(entry);
  else record[STANDARD_KEY] = [entry];
}

/**
 * The handler entries a class declares itself, in declaration order, whichever decorator mode
 * compiled it. Inherited entries are not included: see {@link getHandlerMetadata}.
 *
 * @example
 * ```ts
 * getOwnHandlerMetadata(Chat); // [{ hook: 'event', event: 'message', namespaces: ['/'], method: 'onMessage' }]
 * ```
 */
export function getOwnHandlerMetadata(ctor: Function): readonly HandlerMetadata[] {
  const legacy: HandlerMetadata[] | undefined = Reflect.getOwnMetadata(HANDLERS_METADATA_KEY, ctor);
  const standardMetadata = Object.hasOwn(ctor, SYMBOL_METADATA)
    ? (ctor as unknown as Record<symbol, Record<symbol, HandlerMetadata[]> | undefined>)[SYMBOL_METADATA]
    : undefined;
  const standard =
    standardMetadata && Object.hasOwn(standardMetadata, STANDARD_KEY)
      ? standardMetadata[STANDARD_KEY]
      : undefined;
  if (legacy && standard) return [...legacy, ...standard];
  return legacy ?? standard ?? [];
}

/**
 * All handler entries of a class, base classes first, each class in declaration order.
 * An entry that names several namespaces comes back as one entry per namespace, and an entry a
 * subclass repeats for the same method and namespace is kept once.
 *
 * @example
 * ```ts
 * class Base { @CONNECT() onConnect() {} }
 * class Chat extends Base { @EVENT('message') onMessage() {} }
 * getHandlerMetadata(Chat).map((e) => e.hook); // ['connect', 'event']
 * ```
 */
export function getHandlerMetadata(ctor: Function): readonly HandlerMetadata[] {
  const chain: Function[] = [];
  for (
    let c: unknown = ctor;
    typeof c === 'function' && c !== Function.prototype;
    c = Object.getPrototypeOf(c)
  ) {
    chain.unshift(c as Function);
  }
  const seen = new Set<string>();
  const all: HandlerMetadata[] = [];
  for (const c of chain) {
    for (const entry of getOwnHandlerMetadata(c)) {
      for (const namespace of entry.namespaces) {
        const key = `${entry.hook}\0${entry.event ?? ''}\0${namespace}\0${String(entry.method)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        all.push(entry.namespaces.length === 1 ? entry : { ...entry, namespaces: [namespace] });
      }
    }
  }
  return all;
}
