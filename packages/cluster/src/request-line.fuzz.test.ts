// Differential fuzzing of the cluster primary's request line reader against Node's own http
// parser (llhttp): the same generated and mutated request bytes go to both. What llhttp parses as
// a request must be routed to the worker owning its session, with every byte the reader read;
// what llhttp refuses, the reader refuses or hands over byte for byte (so a worker's llhttp
// refuses it). `FUZZ_SEED=<n>` replays a seed; `STRESS=1` runs more cases on a random seed.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { Resources, seededRandom } from '@pestras/micro-socket-testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ConnectionRoute, RequestLineReader } from './request-line';

const STRESS = process.env.STRESS === '1';
const SEED = Number(process.env.FUZZ_SEED ?? (STRESS ? Math.floor(Math.random() * 2 ** 31) : 0x5eed));
const CASES = STRESS ? 6_000 : 800;
const PATHS = ['/socket.io/', '/ws/'];
const LIMITS = { paths: PATHS, maxRequestLineBytes: 8_192, cookieNames: ['io'] };

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (random: Random, max: number) => Math.floor(random() * max);

const SIDS = [
  '1.AbCdEfGhIjKlMnOpQrStUv',
  '2.q1Lx0sY7Wm2cPZQeVbq3aw',
  '12.AAAAAAAAAAAAAAAAAAAAAA',
  'plain-engine-io-id',
  '',
  '1.AbCd%45fGhIjKlMnOpQrStUv',
  '1.AbCd+EfGh',
  '%',
  '%zz',
  '0.x',
];

function target(random: Random): string {
  const path =
    random() < 0.6
      ? pick(random, PATHS)
      : pick(random, ['/socket.io', '/', '/health', '/ws', '*', 'http://h/socket.io/', '//x']);
  const parts = [
    `EIO=${pick(random, ['4', '3', 'x'])}`,
    `transport=${pick(random, ['polling', 'websocket'])}`,
  ];
  const sids = random() < 0.7 ? 1 : int(random, 4);
  for (let i = 0; i < sids; i++) parts.splice(int(random, parts.length + 1), 0, `sid=${pick(random, SIDS)}`);
  if (random() < 0.2) parts.push(`t=${'x'.repeat(int(random, 40))}`);
  const query = random() < 0.9 ? `?${parts.join(pick(random, ['&', '&', ';', '&&']))}` : '';
  return `${path}${query}${random() < 0.05 ? '#frag' : ''}`;
}

/** A `Cookie` header value: the routing cookie `io` among others, spaced, quoted or encoded at times. */
function cookies(random: Random): string {
  const pairs = [`io=${pick(random, SIDS)}`];
  if (random() < 0.2) pairs[0] = `io="${pick(random, SIDS)}"`;
  if (random() < 0.2) pairs[0] = `io=${encodeURIComponent(pick(random, SIDS))}`;
  for (let i = int(random, 4); i > 0; i--) {
    pairs.splice(
      int(random, pairs.length + 1),
      0,
      pick(random, ['a=1', 'xio=2.x', 'io', '=', 'b="c;d"', ' ']),
    );
  }
  // A busy site's many older cookies before the routing cookie (a browser sends them first).
  if (random() < 0.1) {
    const site = Array.from({ length: 60 + int(random, 100) }, (_, i) =>
      random() < 0.2 ? 'flag' : `c${i}=${i}`,
    );
    pairs.unshift(...site);
  }
  return pairs.join(pick(random, ['; ', ';', ' ; ']));
}

function request(random: Random): string {
  const method = pick(random, [
    'GET',
    'GET',
    'POST',
    'POST',
    'PUT',
    'HEAD',
    'OPTIONS',
    'DELETE',
    'M-SEARCH',
    'PRI',
  ]);
  const version =
    random() < 0.7 ? ' HTTP/1.1' : pick(random, [' HTTP/1.0', ' HTTP/0.9', ' HTTP/2.0', '', ' HTTP/1.10']);
  const eol = random() < 0.9 ? '\r\n' : '\n';
  const lead = random() < 0.1 ? '\r\n'.repeat(1 + int(random, 3)) : '';
  const headers = ['Host: example'];
  const body = 'x'.repeat(int(random, 30));
  const framing = int(random, 6);
  let payload = '';
  if (framing === 1) {
    headers.push(`Content-Length: ${body.length}`);
    payload = body;
  } else if (framing === 2) {
    headers.push('Transfer-Encoding: chunked');
    const ext = random() < 0.5 ? ';name=value' : '';
    const trailer = random() < 0.5 ? 'X-Trailer: 1\r\n' : '';
    payload = `${body.length.toString(16)}${ext}\r\n${body}\r\n0\r\n${trailer}\r\n`;
  } else if (framing === 3) {
    headers.push('Expect: 100-continue', `Content-Length: ${body.length}`);
    payload = body;
  } else if (framing === 4) {
    headers.push('Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13');
  } else if (framing === 5) {
    headers.push(`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked');
    payload = body;
  }
  if (random() < 0.2) headers.push(`X-Spaces:${' '.repeat(int(random, 200))}`);
  if (random() < 0.3) {
    const space = pick(random, [' ', ' ', '', '\t', ' \t ']);
    headers.push(`${pick(random, ['Cookie', 'cookie', 'COOKIE'])}:${space}${cookies(random)}`);
  }
  if (random() < 0.1) headers.push(`Cookie: ${cookies(random)}`);
  return `${lead}${method} ${target(random)}${version}${eol}${headers.join(eol)}${eol}${eol}${payload}`;
}

const NOISE = [
  '\r',
  '\n',
  ' ',
  '\t',
  '\0',
  '\x7f',
  '\x80',
  '\xff',
  '%',
  '?',
  '&',
  '=',
  ':',
  'HTTP/1.1',
  '\r\n',
];

function mutate(random: Random, bytes: string): string {
  let out = bytes;
  const edits = 1 + int(random, 3);
  for (let i = 0; i < edits; i++) {
    // Most edits land in the first line, where the reader decides.
    const firstLine = Math.max(1, out.indexOf('\n') + 1);
    const at = random() < 0.7 ? int(random, firstLine + 1) : int(random, out.length + 1);
    const kind = int(random, 5);
    if (kind === 0) out = out.slice(0, at) + pick(random, NOISE) + out.slice(at);
    else if (kind === 1) out = out.slice(0, at) + out.slice(at + 1 + int(random, 3));
    else if (kind === 2) out = out.slice(0, at) + String.fromCharCode(int(random, 256)) + out.slice(at + 1);
    else if (kind === 3)
      out = out.slice(0, at) + out.slice(at, at + 8).repeat(2 + int(random, 4)) + out.slice(at + 8);
    else out = out.slice(0, Math.max(1, at));
  }
  return out;
}

/** Splits bytes into 1 to 4 chunks at random points, as TCP may deliver them. */
function chunks(random: Random, bytes: Buffer): Buffer[] {
  const cuts = new Set<number>();
  const count = int(random, 4);
  for (let i = 0; i < count; i++) cuts.add(1 + int(random, Math.max(1, bytes.length - 1)));
  const points = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
  const out: Buffer[] = [];
  for (let i = 1; i < points.length; i++) {
    if (points[i]! > points[i - 1]!) out.push(bytes.subarray(points[i - 1], points[i]));
  }
  return out;
}

/** engine.io's reading of a request: its path test and its `Object.fromEntries` of the query. */
function engineSid(url: string): string | undefined {
  if (!PATHS.some((path) => url.slice(0, path.length) === path)) return undefined;
  const query = Object.fromEntries(new URL(url, 'https://socket.io').searchParams.entries());
  return query.sid || undefined;
}

/**
 * The routing cookie as a server reading Node's parsed headers would find it: the first `io` pair of
 * the `Cookie` headers (Node joins several with `; `), unquoted and percent-decoded.
 */
function routingCookie(header: string): string | undefined {
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== 'io') continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      return undefined;
    }
    return value || undefined;
  }
  return undefined;
}

/** What llhttp (Node's http server) makes of the bytes: the request target, or a refusal. */
type Verdict = { accepted: true; url: string; cookie: string } | { accepted: false };

const resources = new Resources();
let server: Server;
let port: number;

beforeAll(async () => {
  // requireHostHeader: false, so a verdict is llhttp's alone and not Node's Host rule.
  server = createServer({ requireHostHeader: false }, (req, res) => answer(req, res.socket));
  server.on('upgrade', (req: IncomingMessage, socket) => answer(req, socket));
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resources.add(server, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => resources.stopAll());

function answer(req: IncomingMessage, socket: { end(data: string): unknown } | null): void {
  // The socket, not the response: HEAD and 100-continue requests get it the same way.
  const cookie = Buffer.from(req.headers.cookie ?? '', 'latin1').toString('base64');
  socket?.end(`URL ${Buffer.from(req.url ?? '', 'latin1').toString('base64')} ${cookie}\n`);
}

function llhttp(bytes: Buffer): Promise<Verdict> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let text = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      const match = /^URL (\S*) (\S*)\n/.exec(text);
      const latin1 = (base64: string) => Buffer.from(base64, 'base64').toString('latin1');
      resolve(
        match ? { accepted: true, url: latin1(match[1]!), cookie: latin1(match[2]!) } : { accepted: false },
      );
    });
  });
}

interface Outcome {
  route: ConnectionRoute;
  /** The bytes handed over with the connection, and how many were pushed up to the decision. */
  handed: Buffer;
  pushed: number;
}

function readRoute(random: Random, bytes: Buffer): Outcome {
  const reader = new RequestLineReader(LIMITS);
  let route: ConnectionRoute = { action: 'wait' };
  let pushed = 0;
  for (const chunk of chunks(random, bytes)) {
    route = reader.push(chunk);
    pushed += chunk.length;
    if (route.action !== 'wait') break;
  }
  return { route, handed: reader.bytes(), pushed };
}

describe('RequestLineReader against llhttp (differential fuzzing)', () => {
  test(`fuzz: ${CASES} generated and mutated requests route as llhttp and engine.io read them (seed ${SEED})`, async () => {
    console.log(`request line fuzz: seed ${SEED} (replay: FUZZ_SEED=${SEED}), ${CASES} cases`);
    const random = seededRandom(SEED);
    const inputs = Array.from({ length: CASES }, (_, i) => {
      const text = request(random);
      return Buffer.from(i % 2 === 0 ? text : mutate(random, text), 'latin1');
    });
    const outcomes = inputs.map((bytes) => readRoute(random, bytes));
    const verdicts: Verdict[] = [];
    for (let i = 0; i < inputs.length; i += 16) {
      verdicts.push(...(await Promise.all(inputs.slice(i, i + 16).map(llhttp))));
    }
    const tally = { accepted: 0, routedBySid: 0, routedByCookie: 0, refusedByBoth: 0, handedToRefuse: 0 };
    const failures: string[] = [];
    inputs.forEach((bytes, i) => {
      const { route, handed, pushed } = outcomes[i]!;
      const verdict = verdicts[i]!;
      const input = JSON.stringify(bytes.toString('latin1').slice(0, 200));
      // Whatever it decides, the reader holds exactly the bytes it was given, in order.
      if (!handed.equals(bytes.subarray(0, pushed))) failures.push(`bytes differ: ${input}`);
      if (verdict.accepted) {
        tally.accepted++;
        const sid = engineSid(verdict.url);
        if (sid !== undefined) tally.routedBySid++;
        // A handshake (engine.io path, no sid) goes by the routing cookie llhttp read, if any.
        const handshake = sid === undefined && PATHS.some((path) => verdict.url.startsWith(path));
        const previousSid = handshake ? routingCookie(verdict.cookie) : undefined;
        if (previousSid !== undefined) tally.routedByCookie++;
        if (route.action !== 'route' || route.sid !== sid || route.previousSid !== previousSid) {
          failures.push(
            `llhttp accepted ${JSON.stringify(verdict.url)} (sid ${sid}, cookie ${JSON.stringify(verdict.cookie)}), reader ${JSON.stringify(route)}: ${input}`,
          );
        }
      } else if (route.action === 'reject') {
        tally.refusedByBoth++;
      } else {
        // Handed to a worker (or still waiting for a line end that never came): the worker's
        // llhttp gets these very bytes and refuses them.
        tally.handedToRefuse++;
      }
    });
    console.log(`request line fuzz: ${JSON.stringify(tally)}`);
    expect(failures.slice(0, 10)).toEqual([]);
    // The generator is worth its name: both sides of the difference are exercised.
    expect(tally.routedBySid).toBeGreaterThan(CASES / 10);
    expect(tally.routedByCookie).toBeGreaterThan(CASES / 100);
    expect(tally.refusedByBoth + tally.handedToRefuse).toBeGreaterThan(CASES / 10);
  });

  test('a 1 MB adversarial head is decided within the first maxRequestLineBytes, in linear time', () => {
    const attacks = [
      // No line feed at all: refused once past the limit.
      `GET /${'a'.repeat(1_000_000)}`,
      // The old header regex's worst case, 60 times longer: the line ends first, nothing else is parsed.
      `POST /socket.io/?EIO=4 HTTP/1.1\r\nX:${' '.repeat(1_000_000)}\n\r\n`,
      `${'\r\n'.repeat(500_000)}GET / HTTP/1.1\r\n`,
      `GET /socket.io/?${'sid=1.AbCdEfGhIjKlMnOpQrStUv&'.repeat(40_000)} HTTP/1.1\r\n`,
    ];
    for (const attack of attacks) {
      const bytes = Buffer.from(attack, 'latin1');
      const reader = new RequestLineReader(LIMITS);
      const started = process.hrtime.bigint();
      let pushed = 0;
      let route: ConnectionRoute = { action: 'wait' };
      for (let at = 0; at < bytes.length && route.action === 'wait'; at += 65_536) {
        route = reader.push(bytes.subarray(at, at + 65_536));
        pushed++;
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Decided on the first 64 KB read, whatever follows; the old reader needed over 60 s for 16 KB.
      expect({ pushed, decided: route.action !== 'wait' }).toEqual({ pushed: 1, decided: true });
      expect(ms).toBeLessThan(1_000);
    }
  });
});
