import type { EventEmitter } from 'node:events';
import type { Logger } from '@pestras/micro-socket-core';
import { EVENT, USESOCKET } from '@pestras/micro-socket-core';
import { client, connected, Resources, request, waitFor } from '@pestras/micro-socket-testing';
import { type Socket as ClientSocket, io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import {
  heapAfterGc,
  mb,
  objectHeapAfterGc,
  type RawSocket,
  rawSocket,
  seededRandom,
  startSocketServer,
} from '../test/helpers';
import { SocketError } from './errors';

const resources = new Resources();
afterEach(() => resources.stopAll());

const STRESS = Boolean(process.env.STRESS);
// A fixed seed by default; a random one under STRESS (printed, and FUZZ_SEED replays it).
const SEED = Number(process.env.FUZZ_SEED ?? (STRESS ? Math.floor(Math.random() * 2 ** 31) : 0x5eed));
const PACKETS = STRESS ? 30_000 : 10_000;
// The heap of objects (the heap without V8's compiled code, see objectHeapAfterGc) after the run
// may exceed the baseline by this much. The whole heap is printed too: measured on it, an earlier
// version saw up to +10 %, which heap snapshots showed to be optimised code and deopt data.
const HEAP_TOLERANCE = 0.05;
const RECOVERY_WINDOW = 2_000;
// engine.io keeps a polling session it closed until the client polls again or its close timeout
// (30 s) passed, ~6 KB each (measured): both heap figures are taken once that has passed.
const ENGINE_CLOSE_TIMEOUT = 30_000;

type Next = (err?: Error) => void;

class Target {
  @EVENT('echo') async echo(_io: unknown, _socket: unknown, value: unknown) {
    return value;
  }
  @EVENT('sum') sum(_io: unknown, _socket: unknown, a: unknown, b: unknown) {
    if (typeof a !== 'number' || typeof b !== 'number') throw new SocketError('BAD_ARGS', 'two numbers');
    return a + b;
  }
  @EVENT('walk') walk(_io: unknown, _socket: unknown, value: unknown): number {
    const depth = (v: unknown): number =>
      v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0;
    return depth(value);
  }
  @EVENT('blob') blob(_io: unknown, _socket: unknown, data: unknown) {
    if (!Buffer.isBuffer(data)) throw new SocketError('BAD_ARGS', 'a buffer');
    return data.byteLength;
  }
  @EVENT('toString') declared() {
    return 'declared';
  }
  @USESOCKET() guard(_io: unknown, packet: unknown[], next: Next) {
    next(packet[0] === 'forbidden' ? new Error('forbidden') : undefined);
  }
}

/** Counts log lines by level and keeps none, so that the heap figure measures the server. */
function countingLogger(): Logger & { counts: Record<string, number> } {
  const counts: Record<string, number> = { error: 0, warn: 0, info: 0, debug: 0 };
  const at = (level: string) => () => {
    counts[level] = (counts[level] ?? 0) + 1;
  };
  return { counts, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];
const RESERVED = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];
const DECLARED = ['echo', 'sum', 'walk', 'blob', 'toString', 'forbidden'];

function fuzzer(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const nested = (depth: number, asObject: boolean) =>
    asObject ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const value = (depth = 0): unknown => {
    switch (int(depth > 3 ? 5 : 8)) {
      case 0:
        return int(1e9) - 5e8;
      case 1:
        return 'x'.repeat(int(64));
      case 2:
        return null;
      case 3:
        return random() < 0.5;
      case 4:
        return Number.NaN;
      case 5:
        return Array.from({ length: int(4) }, () => value(depth + 1));
      case 6:
        return { [pick(PROTO_KEYS)]: value(depth + 1), k: value(depth + 1) };
      default:
        return JSON.parse(nested(1 + int(200), random() < 0.5));
    }
  };
  const args = () => Array.from({ length: int(6) }, () => value());
  const eventName = () =>
    pick([
      pick(PROTO_KEYS),
      pick(RESERVED),
      pick(DECLARED),
      pick(DECLARED),
      'x'.repeat(int(300)),
      '',
    ] as const);

  /** One raw websocket message: text or binary, valid or not. */
  const frame = (): string | Buffer => {
    const ack = random() < 0.5 ? String(int(1e6)) : '';
    switch (int(16)) {
      case 0:
        return `42${ack}${JSON.stringify([eventName(), ...args()])}`;
      case 1:
        return `42${ack}["${pick(['walk', 'echo'])}",${nested(1_000 + int(50_000), random() < 0.5)}]`;
      case 2:
        return `42${pick(['99999999999999999999999', '-1', '1e3', '0x1'])}["sum",1,2]`;
      case 3:
        return pick(['', '9', 'x', '4', '5', '6', '3', '2probe', '1', '8', ' ', '\u0000']);
      case 4:
        return pick([
          '47',
          '4-1',
          '42',
          '42[',
          '42{"a":1}',
          '42"str"',
          '42[1]',
          '42[null]',
          '42[]',
          '43',
          '430[',
        ]);
      case 5:
        return pick(['44', '40/nowhere,', '40/../,', '41/nowhere,', '42/nowhere,["echo"]', '40{"a":', '49']);
      case 6:
        return `451-["blob",{"_placeholder":true,"num":${pick([0, 0, 1, -1, 1e9, '"0"'])}}]`;
      case 7:
        return Buffer.from(Array.from({ length: 1 + int(2048) }, () => int(256)));
      case 8:
        return `45${pick(['9999999', '-1', 'x', '1'])}-["blob",{"_placeholder":true,"num":0}]`;
      case 9:
        return String.fromCharCode(...Array.from({ length: 1 + int(200) }, () => 32 + int(95)));
      case 10:
        return `42${ack}["sum",${JSON.stringify(value())},${JSON.stringify(value())}]`;
      case 11:
        return `42${ack}["toString"]`;
      case 12:
        return `42${ack}${JSON.stringify([pick(PROTO_KEYS), { __proto__: { polluted: true } }])}`.replace(
          '{}',
          '{"__proto__":{"polluted":true}}',
        );
      default:
        return `42${ack}${JSON.stringify([pick(DECLARED), ...args()])}`;
    }
  };
  return { int, pick, value, args, eventName, frame };
}

describe('hostile input', () => {
  it(`hostile input: ${PACKETS} fuzzed packets over websockets, socket.io-client and polling leave the service up, another client's acks intact and the heap at its baseline`, async () => {
    const logger = countingLogger();
    const { server, url } = await startSocketServer(resources, [new Target()], {
      logger,
      // socket.io keeps the session of a client dropped mid-way for recovery (2 min by default,
      // ~3 KB each, measured); a short window lets this test see what stays for good.
      serverOptions: { connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_WINDOW } },
      // The rate limiter stays in the path (fuzzed too) with limits no lane reaches: the lanes
      // and the monitor send far faster than the defaults allow (see rate-limit.test.ts).
      rateLimit: { perSecond: 1e6, burst: 1e6 },
    });
    // Sockets of the lanes, terminated at the end; closed ones leave, so the test holds no garbage.
    const rawSockets = resources.add(new Set<WebSocket>(), (set) => {
      for (const ws of set) ws.terminate();
    });
    const clients = resources.add(new Set<ClientSocket>(), (set) => {
      for (const socket of set) socket.disconnect();
    });
    // One PRNG per lane: the traffic of each lane is the same on every run of a seed.
    let lanes = 0;
    const lane = () => {
      const random = seededRandom(SEED + lanes++);
      return { random, fuzz: fuzzer(random) };
    };
    const sent = { raw: 0, client: 0, polling: 0, oversized: 0, binary: 0 };
    const status: Record<number, number> = {};

    // What reached the server: engine.io messages decoded from the fuzzed connections (raw
    // websocket frames and client emits, the monitor's own excluded), and polling requests answered.
    const received = { messages: 0 };
    let monitorId: string | undefined;
    server.io.engine.on('connection', (conn: EventEmitter & { id: string }) => {
      conn.on('packet', (packet: { type: string }) => {
        if (packet.type === 'message' && conn.id !== monitorId) received.messages++;
      });
    });
    const monitor = await connected(client(resources, url, { transports: ['websocket'] }));
    monitorId = monitor.io.engine.id;
    let monitorAcks = 0;
    let fuzzing = true;
    const monitorLoop = (async () => {
      while (fuzzing) {
        const n = monitorAcks;
        // every round trip must succeed: a failure rejects and fails the test
        expect(await request(monitor, 'sum', n, 1)).toBe(n + 1);
        monitorAcks++;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();

    // Each lane has its share of the packets: raw frames 55 %, client emits 30 %, polling 15 %.
    const budget = { raw: 0, client: 0, polling: 0 };

    // Raw engine.io/socket.io websocket frames, 8 sessions at a time; a session the server drops
    // is replaced by a new one.
    const rawLane = async () => {
      const { random, fuzz } = lane();
      while (budget.raw > 0) {
        const raw: RawSocket = await rawSocket(rawSockets, url);
        if (random() < 0.9) {
          raw.send(random() < 0.8 ? '40' : `40${JSON.stringify(fuzz.value())}`);
          await raw.waitFor(/^4[04]/).catch(() => undefined);
        }
        for (let i = 0; i < 40 + fuzz.int(40) && budget.raw > 0; i++) {
          const big = random() < 0.002;
          const data = big ? `42["echo","${'x'.repeat(1_100_000)}"]` : fuzz.frame();
          if (!raw.send(data)) break;
          budget.raw--;
          sent.raw++;
          if (big) sent.oversized++;
          if (typeof data !== 'string') sent.binary++;
          if (i % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
        }
        raw.send('41'); // a clean goodbye when still connected
        raw.ws.close();
        await raw.closed;
      }
    };

    // Well-formed socket.io-client traffic with hostile contents: names, arity, depth, binary.
    const clientLane = async () => {
      const { random, fuzz } = lane();
      let socket: ClientSocket | undefined;
      while (budget.client > 0) {
        if (!socket?.connected) {
          if (socket) {
            socket.disconnect();
            clients.delete(socket);
          }
          socket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true });
          clients.add(socket);
          await connected(socket);
        }
        const name = fuzz.eventName();
        const args: unknown[] = fuzz.args();
        if (random() < 0.2) args.push(Buffer.alloc(fuzz.int(4096), 7));
        try {
          if (random() < 0.5) socket.emit(name, ...args);
          else socket.timeout(2_000).emit(name, ...args, () => {});
          budget.client--;
          sent.client++;
        } catch {
          // socket.io-client refuses reserved names itself
        }
        if (sent.client % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      socket?.disconnect();
      if (socket) clients.delete(socket);
    };

    // Invalid polling requests: bad sid, bad EIO, bad transport, bad methods, bad and oversized bodies.
    const pollingLane = async () => {
      const { fuzz } = lane();
      const base = `${url}/socket.io/`;
      while (budget.polling > 0) {
        const handshake = await fetch(`${base}?EIO=4&transport=polling`);
        const sid = JSON.parse((await handshake.text()).slice(1)).sid as string;
        const session = `${base}?EIO=4&transport=polling&sid=${sid}`;
        for (let i = 0; i < 20 && budget.polling > 0; i++) {
          const request: [string, RequestInit] = fuzz.pick([
            [`${base}?EIO=4&transport=polling&sid=${fuzz.int(1e9)}`, {}],
            [`${base}?EIO=3&transport=polling`, {}],
            [`${base}?EIO=abc&transport=polling`, {}],
            [`${base}?transport=polling`, {}],
            [`${base}?EIO=4&transport=pigeon`, {}],
            [`${base}?EIO=4&transport=websocket`, {}],
            [`${base}?EIO=4&transport=polling`, { method: 'POST', body: '40' }],
            [`${base}?EIO=4&transport=polling`, { method: 'PUT', body: 'x' }],
            [session, { method: 'POST', body: fuzz.frame() as string }],
            [session, { method: 'POST', body: '4\u001e42["echo"\u001e' }],
            [
              session,
              {
                method: 'POST',
                body: new Uint8Array(fuzz.int(512)),
                headers: { 'content-type': 'application/octet-stream' },
              },
            ],
            [session, { method: 'POST', body: 'x'.repeat(1_100_000) }],
            [session, { method: 'DELETE' }],
            [`${base}?EIO=4&transport=polling`, { headers: { 'x-big': 'y'.repeat(20_000) } }],
          ] as Array<[string, RequestInit]>);
          const res = await fetch(...request).catch(() => undefined);
          if (res) {
            status[res.status] = (status[res.status] ?? 0) + 1;
            await res.arrayBuffer().catch(() => undefined);
          }
          budget.polling--;
          sent.polling++;
        }
        // end the session if the server has not already
        await fetch(session, { method: 'POST', body: '1' }).catch(() => undefined);
      }
    };

    const closeTimeoutPassed = (since: number) =>
      new Promise((resolve) => setTimeout(resolve, ENGINE_CLOSE_TIMEOUT + 1_000 - (Date.now() - since)));
    const run = async (packets: number) => {
      lanes = packets === PACKETS ? 100 : 0;
      budget.raw = Math.round(packets * 0.55);
      budget.client = Math.round(packets * 0.3);
      budget.polling = packets - budget.raw - budget.client;
      await Promise.all([
        ...Array.from({ length: 8 }, rawLane),
        ...Array.from({ length: 3 }, clientLane),
        ...Array.from({ length: 2 }, pollingLane),
      ]);
    };
    // Warm up first: lazy allocations of socket.io, the parser and the http agent, and above all
    // V8's optimised code for all those paths (heap snapshots showed ~1 MB of code and deopt
    // data compiled during a run that started from a short warm-up).
    await run(PACKETS / 2);
    await closeTimeoutPassed(Date.now());
    await waitFor('the warm-up clients gone', () => server.io.engine.clientsCount === 1, { timeout: 10_000 });
    const heapBefore = await heapAfterGc();
    const baseline = await objectHeapAfterGc();
    for (const key of Object.keys(sent) as Array<keyof typeof sent>) sent[key] = 0;
    received.messages = 0;
    for (const key of Object.keys(status)) delete status[Number(key)];

    await run(PACKETS);
    const fuzzEnded = Date.now();
    fuzzing = false;
    await monitorLoop;

    expect(await request(monitor, 'sum', 20, 22)).toBe(42);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await waitFor('only the monitor connected', () => server.io.engine.clientsCount === 1, {
      timeout: 10_000,
    });
    const limit = baseline * (1 + HEAP_TOLERANCE);
    const rightAfter = await objectHeapAfterGc();
    await new Promise((resolve) =>
      setTimeout(resolve, ENGINE_CLOSE_TIMEOUT + 1_000 - (Date.now() - fuzzEnded)),
    );
    const after = await objectHeapAfterGc();
    const heapAfter = await heapAfterGc();
    const total = sent.raw + sent.client + sent.polling;
    console.log(
      `[hostile input] seed ${SEED}: ${total} packets (${sent.raw} raw websocket frames incl. ${sent.binary} binary and ` +
        `${sent.oversized} over 1 MB, ${sent.client} socket.io-client emits, ${sent.polling} polling requests, ` +
        `statuses ${JSON.stringify(status)}); ${received.messages} engine.io messages decoded by the server from ` +
        `the websocket lanes; monitor acks ${monitorAcks}, each answered correctly (one wrong or late fails the run); ` +
        `logged ${JSON.stringify(logger.counts)}; object heap ${mb(baseline)} before, ${mb(after)} after ` +
        `(${(((after - baseline) / baseline) * 100).toFixed(1)} %, tolerance ${HEAP_TOLERANCE * 100} %) once engine.io's ` +
        `close timeout passed, ${mb(rightAfter)} right after the run; ` +
        `whole heap ${mb(heapBefore)} before, ${mb(heapAfter)} after`,
    );
    // The fuzz reached the server: a good share of the websocket packets was decoded (measured:
    // 56 % with the default seed; the rest are frames that do not parse, and frames sent to a
    // connection the server is dropping), and the polling requests were answered.
    expect(received.messages).toBeGreaterThan((sent.raw + sent.client) / 4);
    expect(Object.values(status).reduce((a, b) => a + b, 0)).toBeGreaterThan(sent.polling / 2);
    expect(monitorAcks).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(limit);
  }, 300_000);
});
