/**
 * Reads, in the cluster primary, the little it needs to route a connection: the request line and,
 * for an engine.io handshake only, the routing cookie.
 *
 * The primary routes by the engine.io session id (`sid`) in the request target. A handshake has no
 * `sid`; when the workers set a routing cookie (engine.io's `cookie` option, which
 * `serveStickyWorker` turns on), a reconnecting client sends its previous session id in it, and the
 * handshake goes to the worker that holds that session, so socket.io's connection state recovery
 * finds it. Everything else (other headers, bodies, chunked encoding, `Expect: 100-continue`,
 * upgrades) is the business of the worker's own http parser (Node's llhttp), which gets the
 * connection together with every byte the primary read. The reader scans each byte once, holds at
 * most `maxRequestLineBytes` of them before it decides, and parses no header but `Cookie`.
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
  /**
   * Hand it to the worker owning `sid`, or, when there is none (a handshake, or not engine.io),
   * to the worker owning `previousSid` (the routing cookie of a handshake) if it takes new
   * sessions, else to any worker.
   */
  | { readonly action: 'route'; readonly sid: string | undefined; readonly previousSid?: string }
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
  /**
   * The most bytes read before the request line ends (leading empty lines included); 414 above.
   * Also how far into a handshake's head the routing cookie is looked for: a handshake whose head
   * is longer and has no routing cookie before that is routed without it.
   */
  readonly maxRequestLineBytes: number;
  /**
   * The names of the routing cookies (engine.io's `cookie.name` of the workers, `'io'` by default)
   * looked for in the `Cookie` headers of handshakes; none, and only the request line is read.
   */
  readonly cookieNames?: Iterable<string>;
}

const WAIT: ConnectionRoute = Object.freeze({ action: 'wait' });
const CR = 0x0d;
const LF = 0x0a;
/** An HTTP method as llhttp knows them: upper-case letters, `-` and `_` (`M-SEARCH`). */
const METHOD = /^[A-Z][A-Z_-]{0,23}$/;
/** `cookie:`, the one header name the reader compares, byte by byte and case-insensitively. */
const COOKIE_HEADER = Buffer.from('cookie:', 'latin1');

function reject(status: 400 | 414, message: string): ConnectionRoute {
  return Object.freeze({ action: 'reject', status, message });
}

/**
 * Accumulates the first bytes of a connection until it can be routed: the request line, and for
 * an engine.io handshake (when `cookieNames` are given) the head up to the routing cookie or its
 * end. Linear in the bytes pushed: each byte is scanned once, and each is copied at most twice
 * (into one buffer that doubles as it grows, only once a second chunk arrives).
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
  /** The bytes read: the first chunk as it came, then a copy with room to grow. */
  #buffer: Buffer = Buffer.alloc(0);
  #length = 0;
  /** Whether `#buffer` is the reader's own copy (else the first chunk itself). */
  #owned = false;
  /** Where the request line starts, after the empty lines llhttp skips; -1 until seen. */
  #start = -1;
  /** Where the line being scanned starts: the request line, then each header line of a handshake. */
  #lineStart = -1;
  /** Where the search for the next line feed resumes. */
  #scanned = 0;
  /** A handshake waiting for its routing cookie or the end of its head. */
  #handshake = false;
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
    return this.#buffer.subarray(0, this.#length);
  }

  /** Adds a chunk; returns `wait` until the connection can be routed or must be refused. */
  push(chunk: Buffer): ConnectionRoute {
    if (this.#route.action !== 'wait') return this.#route;
    this.#append(chunk);
    // What was read, not the buffer's spare room: a search there would rescan it on every push.
    const bytes = this.bytes();
    if (this.#start < 0) {
      let from = this.#scanned;
      while (from < this.#length && (bytes[from] === CR || bytes[from] === LF)) from++;
      this.#scanned = from;
      if (from < this.#length) this.#start = this.#lineStart = from;
      else if (this.#length > this.#limits.maxRequestLineBytes) this.#overLimit();
    }
    while (this.#start >= 0 && this.#route === WAIT) {
      const end = bytes.indexOf(LF, this.#scanned);
      if (end < 0) {
        this.#scanned = this.#length;
        if (this.#length > this.#limits.maxRequestLineBytes) this.#overLimit();
        break;
      }
      if (end > this.#limits.maxRequestLineBytes) {
        this.#overLimit();
        break;
      }
      this.#scanned = end + 1;
      const lineStart = this.#lineStart;
      this.#lineStart = end + 1;
      if (!this.#handshake) this.#readRequestLine(lineStart, end);
      else this.#readHeaderLine(lineStart, end);
    }
    return this.#route;
  }

  #append(chunk: Buffer): void {
    const length = this.#length + chunk.length;
    if (this.#length === 0) {
      this.#buffer = chunk;
      this.#owned = false;
    } else if (!this.#owned || length > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(length, this.#owned ? this.#buffer.length * 2 : 2 * length));
      this.#buffer.copy(grown, 0, 0, this.#length);
      chunk.copy(grown, this.#length);
      this.#buffer = grown;
      this.#owned = true;
    } else {
      chunk.copy(this.#buffer, this.#length);
    }
    this.#length = length;
  }

  /** Past `maxRequestLineBytes`: a request line is refused; a handshake goes on without its cookie. */
  #overLimit(): void {
    this.#route = this.#handshake ? handshakeRoute(undefined) : reject(414, 'URI Too Long');
  }

  #readRequestLine(start: number, end: number): void {
    const route = routeOf(this.#buffer.toString('latin1', start, end), this.#limits.paths);
    const cookieNames = this.#limits.cookieNames;
    if (route === HANDSHAKE && cookieNames && !isEmpty(cookieNames)) this.#handshake = true;
    else this.#route = route;
  }

  /** A header line of a handshake (its CR included): the end of the head, a `Cookie`, or neither. */
  #readHeaderLine(start: number, end: number): void {
    const bytes = this.#buffer;
    const contentEnd = end > start && bytes[end - 1] === CR ? end - 1 : end;
    if (contentEnd === start) {
      // The empty line: the head ended without a routing cookie.
      this.#route = handshakeRoute(undefined);
      return;
    }
    if (contentEnd - start < COOKIE_HEADER.length) return;
    for (let i = 0; i < COOKIE_HEADER.length; i++) {
      // ASCII letters only: OR-ing 0x20 lower-cases them and leaves ':' as it is.
      if ((bytes[start + i]! | 0x20) !== (COOKIE_HEADER[i]! | 0x20)) return;
    }
    const value = bytes.toString('latin1', start + COOKIE_HEADER.length, contentEnd);
    const previousSid = cookieValue(value, this.#limits.cookieNames ?? []);
    // The first routing cookie decides, even an empty or malformed one (as for a server that reads
    // the first one of the headers Node joins).
    if (previousSid !== NOT_FOUND) this.#route = handshakeRoute(previousSid);
  }
}

function isEmpty(names: Iterable<string>): boolean {
  for (const _ of names) return false;
  return true;
}

/** A route of an engine.io request without a `sid`: a handshake. */
const HANDSHAKE: ConnectionRoute = Object.freeze({ action: 'route', sid: undefined });
const NOT_ENGINE: ConnectionRoute = Object.freeze({ action: 'route', sid: undefined });

function handshakeRoute(previousSid: string | undefined): ConnectionRoute {
  return previousSid === undefined
    ? HANDSHAKE
    : Object.freeze({ action: 'route', sid: undefined, previousSid });
}

/** No cookie of the wanted names in a header. */
const NOT_FOUND = Symbol('not found');

/**
 * The value of the first cookie named one of `names` in a `Cookie` header value (`a=1; io=2.x`),
 * with its optional quotes removed and percent-decoded as engine.io's `cookie.serialize` encodes
 * it; `undefined` when that cookie is empty or not percent-decodable, {@link NOT_FOUND} when there
 * is none in the header. Linear in the header, however many cookies it has: a browser sends the
 * routing cookie after the site's older cookies, so it may come after many.
 */
function cookieValue(header: string, names: Iterable<string>): string | undefined | typeof NOT_FOUND {
  let from = 0;
  let equals = -1;
  while (from < header.length) {
    const semicolon = header.indexOf(';', from);
    const pairEnd = semicolon < 0 ? header.length : semicolon;
    // The next `=` is searched for again only once the pairs passed it: each byte is looked at
    // once, even in `a;a;a;…;io=x`.
    if (equals < from) equals = header.indexOf('=', from);
    if (equals < 0) break;
    if (equals < pairEnd) {
      const name = header.slice(from, equals).trim();
      for (const wanted of names) {
        if (name !== wanted) continue;
        let value = header.slice(equals + 1, pairEnd).trim();
        if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
        if (value.includes('%')) {
          try {
            value = decodeURIComponent(value);
          } catch {
            return undefined;
          }
        }
        return value === '' ? undefined : value;
      }
    }
    if (semicolon < 0) break;
    from = semicolon + 1;
  }
  return NOT_FOUND;
}

/**
 * Routes by a request line (`METHOD SP target [SP version]`, its CR included). Only what is not
 * HTTP at all is refused here; a line llhttp would refuse otherwise reaches a worker, whose
 * llhttp refuses it with the very same answer as in a single process. An engine.io request
 * without a `sid` is {@link HANDSHAKE}.
 */
function routeOf(line: string, paths: Iterable<string>): ConnectionRoute {
  const space = line.indexOf(' ');
  if (space < 1 || !METHOD.test(line.slice(0, space))) return reject(400, 'Bad Request');
  // llhttp takes several spaces before the target as one.
  let targetStart = space + 1;
  while (line.charCodeAt(targetStart) === 0x20) targetStart++;
  const targetEnd = line.indexOf(' ', targetStart);
  const target = line.slice(targetStart, targetEnd < 0 ? line.length : targetEnd).replace(/\r$/, '');
  // engine.io's own test: the request target starts with its path.
  let engine = false;
  for (const path of paths) if (target.startsWith(path)) engine = true;
  if (!engine) return NOT_ENGINE;
  let query: URLSearchParams;
  try {
    query = new URL(target, 'http://sticky.invalid').searchParams;
  } catch {
    return reject(400, 'Bad Request');
  }
  // engine.io reads the query with Object.fromEntries: the last `sid` wins, an empty one is none.
  const sid = query.getAll('sid').at(-1) || undefined;
  return sid === undefined ? HANDSHAKE : { action: 'route', sid };
}
