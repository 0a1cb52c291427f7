/**
 * Reads just enough of an HTTP/1.x request, in the primary, to know which worker gets it.
 *
 * The primary hands the connection's handle to a worker together with the bytes it already read;
 * bytes the primary reads after that would be lost. So it waits for the whole request (head and
 * `Content-Length` body) before routing: a client then sends nothing more until it has an answer.
 * An upgrade, or a body the client only sends after `100 Continue`, is routed at the end of the
 * head. Workers answer every request with `Connection: close`, so each request arrives on a new
 * connection and is routed by its own `sid`.
 */

/** What the primary does with a connection, once {@link StickyRequestReader.push} knows. */
export type StickyRoute =
  /** Keep reading. */
  | { readonly action: 'wait' }
  /** Hand it to the worker owning `sid`, or to any worker when there is none (a handshake). */
  | { readonly action: 'route'; readonly sid: string | undefined }
  /** Answer `status` with `message` and close. */
  | { readonly action: 'reject'; readonly status: number; readonly message: string };

/**
 * Limits of a {@link StickyRequestReader}.
 *
 * @example
 * ```ts
 * const limits: StickyRequestLimits = { paths: ['/socket.io/'], maxHeaderBytes: 16_384, maxBodyBytes: 1e6 };
 * ```
 */
export interface StickyRequestLimits {
  /** The engine.io paths (`'/socket.io/'`): a `sid` is only looked for in requests under one of them. */
  readonly paths: Iterable<string>;
  /** The largest request head accepted (431 above it). */
  readonly maxHeaderBytes: number;
  /** The largest `Content-Length` accepted (413 above it). */
  readonly maxBodyBytes: number;
}

const WAIT: StickyRoute = Object.freeze({ action: 'wait' });
const HEAD_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('0\r\n\r\n');
const REQUEST_LINE = /^([A-Z]{1,20}) (\S{1,16384}) HTTP\/1\.[01]$/;
const TOKEN_HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

function reject(status: number, message: string): StickyRoute {
  return { action: 'reject', status, message };
}

interface Head {
  readonly bodyStart: number;
  readonly sid: string | undefined;
  /** Bytes of body to wait for; `'chunked'` waits for the last chunk; 0 routes at once. */
  readonly body: number | 'chunked';
}

/**
 * Accumulates the first bytes of a connection and decides where it goes.
 *
 * @example
 * ```ts
 * const reader = new StickyRequestReader({ paths: ['/socket.io/'], maxHeaderBytes: 16_384, maxBodyBytes: 1e6 });
 * socket.on('data', (chunk) => {
 *   const route = reader.push(chunk);
 *   if (route.action === 'route') handOver(socket, reader.bytes(), route.sid);
 * });
 * ```
 */
export class StickyRequestReader {
  readonly #limits: StickyRequestLimits;
  #chunks: Buffer[] = [];
  #length = 0;
  #head: Head | undefined;
  #route: StickyRoute = WAIT;

  constructor(limits: StickyRequestLimits) {
    this.#limits = limits;
  }

  /** Everything read so far, to hand over with the connection. */
  bytes(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#length)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  /** Adds a chunk; returns `wait` until the request can be routed or must be refused. */
  push(chunk: Buffer): StickyRoute {
    if (this.#route.action !== 'wait') return this.#route;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    this.#route = this.#decide();
    return this.#route;
  }

  #decide(): StickyRoute {
    if (!this.#head) {
      const bytes = this.bytes();
      const end = bytes.indexOf(HEAD_END);
      if (end < 0) {
        return bytes.length > this.#limits.maxHeaderBytes
          ? reject(431, 'Request Header Fields Too Large')
          : WAIT;
      }
      if (end > this.#limits.maxHeaderBytes) return reject(431, 'Request Header Fields Too Large');
      const head = parseHead(bytes.subarray(0, end).toString('latin1'), end + HEAD_END.length, this.#limits);
      if ('action' in head) return head;
      this.#head = head;
    }
    const { body, bodyStart, sid } = this.#head;
    const received = this.#length - bodyStart;
    if (body === 'chunked') {
      const bytes = this.bytes();
      const done = received >= CHUNKED_END.length && bytes.subarray(-CHUNKED_END.length).equals(CHUNKED_END);
      if (done) return { action: 'route', sid };
      return received > this.#limits.maxBodyBytes ? reject(413, 'Payload Too Large') : WAIT;
    }
    return received >= body ? { action: 'route', sid } : WAIT;
  }
}

function parseHead(text: string, bodyStart: number, limits: StickyRequestLimits): Head | StickyRoute {
  const lines = text.split('\r\n');
  const requestLine = REQUEST_LINE.exec(lines[0] ?? '');
  if (!requestLine) return reject(400, 'Bad Request');
  const target = requestLine[2] as string;
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const header = TOKEN_HEADER.exec(line);
    if (!header) return reject(400, 'Bad Request');
    const name = (header[1] as string).toLowerCase();
    const values = headers.get(name);
    if (values) values.push(header[2] as string);
    else headers.set(name, [header[2] as string]);
  }
  const sid = sessionOf(target, limits.paths);
  if (sid === null) return reject(400, 'Bad Request');
  const upgrade = headers.has('upgrade');
  const expectsContinue = (headers.get('expect') ?? []).some((v) => v.toLowerCase() === '100-continue');
  const encoding = (headers.get('transfer-encoding') ?? []).join(',').toLowerCase();
  const lengths = headers.get('content-length');
  if (encoding && lengths) return reject(400, 'Bad Request');
  if (upgrade || expectsContinue) return { bodyStart, sid, body: 0 };
  if (encoding) {
    if (!encoding.split(',').some((v) => v.trim() === 'chunked')) return reject(400, 'Bad Request');
    return { bodyStart, sid, body: 'chunked' };
  }
  if (!lengths) return { bodyStart, sid, body: 0 };
  const distinct = new Set(lengths.flatMap((v) => v.split(',')).map((v) => v.trim()));
  const [length] = distinct;
  if (distinct.size !== 1 || length === undefined || !/^[0-9]{1,15}$/.test(length)) {
    return reject(400, 'Bad Request');
  }
  const bytes = Number(length);
  if (bytes > limits.maxBodyBytes) return reject(413, 'Payload Too Large');
  return { bodyStart, sid, body: bytes };
}

/**
 * The `sid` query parameter of a request under the engine.io path: a string, `undefined` when
 * there is none (or the request is not for engine.io), `null` when the target is malformed or
 * names more than one sid.
 */
function sessionOf(target: string, paths: Iterable<string>): string | undefined | null {
  let url: URL;
  try {
    url = new URL(target, 'http://sticky.invalid');
  } catch {
    return null;
  }
  const originForm = target.startsWith('/') ? target : `${url.pathname}${url.search}`;
  // engine.io's own test: the request target starts with its path.
  if (![...paths].some((path) => originForm.slice(0, path.length) === path)) return undefined;
  const sids = url.searchParams.getAll('sid');
  if (sids.length > 1) return null;
  return sids[0] || undefined;
}
