/**
 * Reads, in the cluster primary, the one thing it needs to route a connection: the request line.
 *
 * The primary routes by the engine.io session id (`sid`) in the request target. Everything after
 * the request line (headers, body, chunked encoding, `Expect: 100-continue`, upgrades) is the
 * business of the worker's own http parser (Node's llhttp), which gets the connection together
 * with every byte the primary read. So the primary parses no header at all: it scans its bytes
 * once for the first line feed, holds at most `maxRequestLineBytes` of them, and decides.
 */

/**
 * What the primary does with a connection, once {@link RequestLineReader.push} knows.
 *
 * @example
 * ```ts
 * const route: ConnectionRoute = reader.push(chunk);
 * if (route.action === 'wait') return; // the request line is not complete yet
 * ```
 */
export type ConnectionRoute =
  /** Keep reading. */
  | { readonly action: 'wait' }
  /** Hand it to the worker owning `sid`, or to any worker when there is none (a handshake, or not engine.io). */
  | { readonly action: 'route'; readonly sid: string | undefined }
  /** Answer `status` with `message` and close. */
  | { readonly action: 'reject'; readonly status: 400 | 414; readonly message: string };

/**
 * Limits of a {@link RequestLineReader}.
 *
 * @example
 * ```ts
 * const limits: RequestLineLimits = { paths: ['/socket.io/'], maxRequestLineBytes: 8_192 };
 * ```
 */
export interface RequestLineLimits {
  /** The engine.io paths (`'/socket.io/'`): a `sid` is only looked for in targets starting with one. */
  readonly paths: Iterable<string>;
  /** The most bytes read before the request line ends (leading empty lines included); 414 above. */
  readonly maxRequestLineBytes: number;
}

const WAIT: ConnectionRoute = Object.freeze({ action: 'wait' });
const CR = 0x0d;
const LF = 0x0a;
/** An HTTP method as llhttp knows them: upper-case letters, `-` and `_` (`M-SEARCH`). */
const METHOD = /^[A-Z][A-Z_-]{0,23}$/;

function reject(status: 400 | 414, message: string): ConnectionRoute {
  return Object.freeze({ action: 'reject', status, message });
}

/**
 * Accumulates the first bytes of a connection until its request line is complete, then decides
 * where the connection goes. Linear in the bytes pushed: each byte is scanned once.
 *
 * @example
 * ```ts
 * const reader = new RequestLineReader({ paths: ['/socket.io/'], maxRequestLineBytes: 8_192 });
 * reader.push(Buffer.from('GET /socket.io/?EIO=4&transport=polling&sid=2.abcdefghijklmnopqrstuv HTTP/1.1\r\n'));
 * // { action: 'route', sid: '2.abcdefghijklmnopqrstuv' }
 * ```
 */
export class RequestLineReader {
  readonly #limits: RequestLineLimits;
  #chunks: Buffer[] = [];
  #length = 0;
  /** Where the request line starts, after the empty lines llhttp skips; -1 until seen. */
  #start = -1;
  #route: ConnectionRoute = WAIT;

  constructor(limits: RequestLineLimits) {
    this.#limits = limits;
  }

  /** How many bytes the reader holds. */
  get length(): number {
    return this.#length;
  }

  /** Everything read so far, to hand over with the connection. */
  bytes(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#length)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  /** Adds a chunk; returns `wait` until the connection can be routed or must be refused. */
  push(chunk: Buffer): ConnectionRoute {
    if (this.#route.action !== 'wait') return this.#route;
    const offset = this.#length;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    let from = 0;
    if (this.#start < 0) {
      while (from < chunk.length && (chunk[from] === CR || chunk[from] === LF)) from++;
      if (from < chunk.length) this.#start = offset + from;
    }
    const lineFeed = this.#start < 0 ? -1 : chunk.indexOf(LF, from);
    const end = lineFeed < 0 ? this.#length : offset + lineFeed;
    if (end > this.#limits.maxRequestLineBytes) {
      this.#route = reject(414, 'URI Too Long');
    } else if (lineFeed >= 0) {
      this.#route = routeOf(this.bytes().toString('latin1', this.#start, end), this.#limits.paths);
    }
    return this.#route;
  }
}

/**
 * Routes by a request line (`METHOD SP target [SP version]`, its CR included). Only what is not
 * HTTP at all is refused here; a line llhttp would refuse otherwise reaches a worker, whose
 * llhttp refuses it with the very same answer as in a single process.
 */
function routeOf(line: string, paths: Iterable<string>): ConnectionRoute {
  const space = line.indexOf(' ');
  if (space < 1 || !METHOD.test(line.slice(0, space))) return reject(400, 'Bad Request');
  const targetEnd = line.indexOf(' ', space + 1);
  const target = line.slice(space + 1, targetEnd < 0 ? line.length : targetEnd).replace(/\r$/, '');
  // engine.io's own test: the request target starts with its path.
  let engine = false;
  for (const path of paths) if (target.startsWith(path)) engine = true;
  if (!engine) return { action: 'route', sid: undefined };
  let query: URLSearchParams;
  try {
    query = new URL(target, 'http://sticky.invalid').searchParams;
  } catch {
    return reject(400, 'Bad Request');
  }
  // engine.io reads the query with Object.fromEntries: the last `sid` wins, an empty one is none.
  return { action: 'route', sid: query.getAll('sid').at(-1) || undefined };
}
