// Helpers for this package's tests: a real SocketServer on port 0 and a logger that remembers.
import type { EventEmitter } from 'node:events';
import { getHeapSnapshot, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '@pestras/micro-socket-core';
import { type Resources, waitFor } from '@pestras/micro-socket-testing';
import { WebSocket } from 'ws';
import { type SocketIOOptions, SocketServer } from '../src/server';

export interface MemoryLogger extends Logger {
  readonly lines: Array<{ level: string; message: string; meta: unknown[] }>;
}

export function memoryLogger(): MemoryLogger {
  const lines: MemoryLogger['lines'] = [];
  const at =
    (level: string) =>
    (message: string, ...meta: unknown[]) =>
      lines.push({ level, message, meta });
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

export async function startSocketServer(
  resources: Resources,
  handlers: object[],
  options: SocketIOOptions = {},
): Promise<{ server: SocketServer; url: string; logger: MemoryLogger }> {
  const logger = memoryLogger();
  const server = await new SocketServer({ port: 0, host: '127.0.0.1', logger, ...options }).start(handlers);
  resources.add(server, (s) => s.close());
  return { server, url: `http://127.0.0.1:${server.port}`, logger };
}

/**
 * A raw engine.io v4 websocket, for frames socket.io-client would never send. `messages` holds
 * every text frame received (the server's `0{...}` open packet first).
 */
export interface RawSocket {
  readonly ws: WebSocket;
  readonly messages: string[];
  readonly closed: Promise<void>;
  /** Sends when still open; returns whether it did. */
  send(frame: string | Buffer): boolean;
  /** Waits for a received text frame matching `pattern`. */
  waitFor(pattern: RegExp, timeout?: number): Promise<string>;
}

/**
 * Opens a raw socket and waits for engine.io's open packet. The resources terminate it; pass a
 * Set instead for thousands of short-lived sockets (a socket leaves it once closed).
 */
export async function rawSocket(
  owner: Resources | Set<WebSocket>,
  url: string,
  query = '',
): Promise<RawSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket${query}`);
  if (owner instanceof Set) {
    owner.add(ws);
    ws.once('close', () => owner.delete(ws));
  } else owner.add(ws, (w) => w.terminate());
  const messages: string[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString();
      // engine.io pings every pingInterval; answering keeps a long test's sockets alive
      if (text === '2') ws.send('3');
      messages.push(text);
    }
  });
  ws.on('error', () => {
    // a refused or dropped raw socket is what several tests expect
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const raw: RawSocket = {
    ws,
    messages,
    closed,
    send(frame) {
      if (ws.readyState !== WebSocket.OPEN) return false;
      ws.send(frame);
      return true;
    },
    async waitFor(pattern, timeout = 5_000) {
      const find = () => messages.find((m) => pattern.test(m));
      const closedFirst = closed.then(() => {
        const found = find();
        if (found === undefined) throw new Error(`closed before a frame matching ${pattern}`);
        return found;
      });
      closedFirst.catch(() => undefined);
      return Promise.race([waitFor(`a frame matching ${pattern}`, find, { timeout }), closedFirst]);
    },
  };
  await raw.waitFor(/^0\{/);
  return raw;
}

/** Runs `global.gc` (exposed on demand, no `--expose-gc` needed) until the heap stops shrinking. */
export async function heapAfterGc(): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // fetch records a PerformanceResourceTiming for every request, up to 250 of them
  performance.clearResourceTimings();
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    // let closed sockets' timers and nextTicks run, so that what they hold can go
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last * 0.999) return used;
    last = used;
  }
  return last;
}

/**
 * The heap without V8's compiled code, after GC: the self sizes of every node of a heap snapshot
 * except those of type `code` (machine code, bytecode, deopt data, feedback), which grow as V8
 * optimises hot paths and would hide or fake a leak of real objects.
 */
export async function objectHeapAfterGc(): Promise<number> {
  await heapAfterGc();
  let json = '';
  for await (const chunk of getHeapSnapshot()) json += chunk;
  const snapshot = JSON.parse(json) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
  };
  const {
    node_fields: fields,
    node_types: [types],
  } = snapshot.snapshot.meta;
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const sizeAt = fields.indexOf('self_size');
  const code = types.indexOf('code');
  const nodes = snapshot.nodes;
  let total = 0;
  for (let i = 0; i < nodes.length; i += stride) if (nodes[i + typeAt] !== code) total += nodes[i + sizeAt]!;
  return total;
}

export const MB = 1024 * 1024;

/** `bytes` in MB with one decimal, for the figures tests print. */
export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** Listener counts of every event of the emitters, keyed `<label>:<event>`. */
export function listenerCounts(emitters: Record<string, EventEmitter>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [label, emitter] of Object.entries(emitters)) {
    for (const event of emitter.eventNames())
      counts[`${label}:${String(event)}`] = emitter.listenerCount(event);
  }
  return counts;
}

export { seededRandom } from '@pestras/micro-socket-testing';
