import { PublishError } from './errors';
import { type NormalizedMessage, normalizeMessage } from './message';

/** Marks a bus envelope among other payloads on a shared channel (IPC, adapter, Redis). */
export const PROTOCOL = '@pestras/micro-socket-publish';
const VERSION = 1;
/** Deeper payloads are refused rather than risking a stack overflow while encoding or decoding. */
const MAX_DEPTH = 512;

/** One published message on the wire: who sent it, a unique id, and the message. */
export interface Envelope {
  /** Unique per published message, so a process never delivers one twice. */
  readonly id: string;
  /** The id of the sending bus, so a bus never delivers its own echo. */
  readonly origin: string;
  readonly message: NormalizedMessage;
}

// The wire is JSON (IPC and Redis are text). Values JSON cannot carry faithfully are written as
// { $: tag, v: value }; a plain object that happens to have a '$' key is wrapped as { $: 'obj' }.
type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

function unserializable(path: string, what: string): PublishError {
  return new PublishError(
    'ERR_UNSERIALIZABLE',
    `publish: ${path} is ${what}, which cannot be sent to other processes; send plain data (objects, arrays, strings, finite numbers, booleans, null, Date, Buffer, typed arrays, ArrayBuffer)`,
  );
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// Where a value sits in `data`, as keys; formatted only for an error message, so encoding a
// payload builds no path string per value.
type Keys = Array<string | number>;

function pathOf(keys: Keys): string {
  let path = 'data';
  for (const key of keys) path += typeof key === 'number' ? `[${key}]` : `.${key}`;
  return path;
}

// On a throw the key stack is left as it was at the bad value: the encoding is abandoned anyway.
function encodeValue(value: unknown, keys: Keys, ancestors: object[]): Encoded {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw unserializable(pathOf(keys), `the number ${value}`);
      return value;
    case 'undefined':
      return { $: 'undef' };
    case 'bigint':
      throw unserializable(pathOf(keys), 'a BigInt');
    case 'function':
      throw unserializable(pathOf(keys), 'a function');
    case 'symbol':
      throw unserializable(pathOf(keys), 'a symbol');
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.includes(object)) throw unserializable(pathOf(keys), 'a circular reference');
  if (ancestors.length >= MAX_DEPTH)
    throw unserializable(pathOf(keys), `nested deeper than ${MAX_DEPTH} levels`);
  if (Buffer.isBuffer(object)) return { $: 'buf', v: object.toString('base64') };
  // Any other view (Uint8Array, Float32Array, DataView...) goes out as its bytes, as socket.io sends it.
  if (ArrayBuffer.isView(object)) {
    return {
      $: 'u8',
      v: Buffer.from(object.buffer, object.byteOffset, object.byteLength).toString('base64'),
    };
  }
  if (object instanceof ArrayBuffer) return { $: 'ab', v: Buffer.from(object).toString('base64') };
  if (object instanceof Date) {
    if (Number.isNaN(object.getTime())) throw unserializable(pathOf(keys), 'an invalid Date');
    return { $: 'date', v: object.toISOString() };
  }
  ancestors.push(object);
  try {
    if (Array.isArray(object)) {
      // A loop, not Array.from with a callback: this runs for every published message's `data`.
      const items: Encoded[] = new Array(object.length);
      for (let index = 0; index < object.length; index++) {
        keys.push(index);
        items[index] = encodeValue(object[index], keys, ancestors);
        keys.pop();
      }
      return items;
    }
    // What socket.io itself would send for an object with toJSON (an ObjectId, a Decimal...).
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return encodeValue(toJSON.call(object, ''), keys, ancestors);
    if (!isPlainObject(object)) {
      const name = (object as { constructor?: { name?: string } }).constructor?.name || 'a class';
      throw unserializable(pathOf(keys), `an instance of ${name}`);
    }
    const out: { [key: string]: Encoded } = {};
    for (const key of Object.keys(object)) {
      keys.push(key);
      define(out, key, encodeValue((object as Record<string, unknown>)[key], keys, ancestors));
      keys.pop();
    }
    return Object.hasOwn(out, '$') ? { $: 'obj', v: out } : out;
  } finally {
    ancestors.pop();
  }
}

// Own data properties only: a received "__proto__" key must stay a key, never become a prototype.
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function malformed(detail: string): Error {
  return new Error(`malformed payload: ${detail}`);
}

function decodeValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) throw malformed(`nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((item) => decodeValue(item, depth + 1));
  const fields = value as Record<string, unknown>;
  if (Object.hasOwn(fields, '$')) return decodeTagged(fields, depth);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) define(out, key, decodeValue(fields[key], depth + 1));
  return out;
}

function decodeTagged(fields: Record<string, unknown>, depth: number): unknown {
  const { $: tag, v } = fields;
  if (tag === 'undef') return undefined;
  if (tag === 'obj') {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed('bad wrapped object');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v))
      define(out, key, decodeValue((v as Record<string, unknown>)[key], depth + 1));
    return out;
  }
  if (typeof v !== 'string') throw malformed(`tag ${String(tag)} without a string value`);
  switch (tag) {
    case 'buf':
      return Buffer.from(v, 'base64');
    case 'u8':
      return new Uint8Array(Buffer.from(v, 'base64'));
    case 'ab': {
      const bytes = Buffer.from(v, 'base64');
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }
    case 'date': {
      const date = new Date(v);
      if (Number.isNaN(date.getTime())) throw malformed('bad date');
      return date;
    }
    default:
      throw malformed(`unknown tag ${JSON.stringify(tag)}`);
  }
}

/**
 * Validates a message and its payload and writes the envelope as JSON text.
 * Throws a {@link PublishError} (`ERR_INVALID_MESSAGE` or `ERR_UNSERIALIZABLE`) for bad input.
 */
export function encodeEnvelope(id: string, origin: string, message: NormalizedMessage): string {
  const data = encodeValue(message.data, [], []);
  const { event, namespace, room, socketId, broadcast } = message;
  // Fields at their defaults stay off the wire (JSON.stringify skips undefined): every byte is
  // written, copied and parsed again by each process on the way (twice over IPC).
  return JSON.stringify({
    p: PROTOCOL,
    v: VERSION,
    id,
    origin,
    m: {
      event,
      data,
      namespace: namespace === '/' ? undefined : namespace,
      room,
      socketId,
      broadcast: broadcast || undefined,
    },
  });
}

/** Parses and validates a received envelope; throws a plain Error describing what is wrong. */
export function decodeEnvelope(payload: unknown): Envelope {
  if (typeof payload !== 'string') throw malformed(`expected text, got ${typeof payload}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    throw malformed('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw malformed('not an object');
  const { p, v, id, origin, m } = parsed as Record<string, unknown>;
  if (p !== PROTOCOL) throw malformed('not a publish bus message');
  if (v !== VERSION) throw malformed(`unsupported version ${String(v)}`);
  if (typeof id !== 'string' || id.length === 0 || typeof origin !== 'string' || origin.length === 0) {
    throw malformed('missing id or origin');
  }
  if (typeof m !== 'object' || m === null) throw malformed('missing message');
  const fields = m as Record<string, unknown>;
  const message = normalizeMessage({
    event: fields.event,
    data: decodeValue(fields.data, 0),
    namespace: fields.namespace,
    room: fields.room,
    socketId: fields.socketId,
    broadcast: fields.broadcast,
  });
  return { id, origin, message };
}
