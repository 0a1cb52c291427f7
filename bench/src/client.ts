// Load generator in its own process: named sets of websocket-only socket.io clients.
import { io as connect, type Socket } from 'socket.io-client';
import { ROOM } from './handlers.js';
import { serve } from './proc.js';
import { quantile } from './stats.js';

const sets = new Map<string, Socket[]>();
const PAYLOAD = { text: 'hello, micro-socket', n: 42 };

function open(url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

function socketsOf(set: string): Socket[] {
  const sockets = sets.get(set);
  if (!sockets?.length) throw new Error(`no client set ${set}`);
  return sockets;
}

function emitAck(socket: Socket, event: string, value: unknown): Promise<unknown> {
  return new Promise((resolve) => socket.emit(event, value, resolve));
}

export interface EchoResult {
  acks: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** Every socket sends `echo` with an ack and sends the next one when the answer arrives. */
function echo(sockets: Socket[], durationMs: number): Promise<EchoResult> {
  return new Promise((resolve) => {
    const rtts: number[] = [];
    const start = performance.now();
    const end = start + durationMs;
    let running = sockets.length;
    let last = start;
    for (const socket of sockets) {
      const send = () => {
        const sent = performance.now();
        socket.emit('echo', PAYLOAD, () => {
          const now = performance.now();
          rtts.push(now - sent);
          last = now;
          if (now < end) send();
          else if (--running === 0)
            resolve({
              acks: rtts.length,
              elapsedMs: last - start,
              p50Ms: quantile(rtts, 0.5),
              p99Ms: quantile(rtts, 0.99),
            });
        });
      };
      send();
    }
  });
}

export interface FireResult {
  events: number;
  elapsedMs: number;
}

/**
 * Fire-and-forget with flow control: each socket sends `batch - 1` events without ack and one
 * with an ack (a checkpoint), and keeps at most `window` checkpoints outstanding. socket.io has no
 * inbound flow control, so without this the server's buffers would grow instead of its work.
 */
function fire(sockets: Socket[], durationMs: number, batch: number, window: number): Promise<FireResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const end = start + durationMs;
    let events = 0;
    let running = sockets.length;
    let last = start;
    for (const socket of sockets) {
      let outstanding = 0;
      const pump = () => {
        while (outstanding < window && performance.now() < end) {
          for (let i = 1; i < batch; i++) socket.emit('ff', PAYLOAD);
          outstanding++;
          socket.emit('ff', PAYLOAD, () => {
            outstanding--;
            events += batch;
            last = performance.now();
            pump();
            if (outstanding === 0 && last >= end && --running === 0)
              resolve({ events, elapsedMs: last - start });
          });
        }
      };
      pump();
    }
  });
}

export interface BroadcastResult {
  broadcasts: number;
  deliveries: number;
  expected: number;
  elapsedMs: number;
}

/**
 * One socket asks the server to broadcast to the room every socket of the set joined, with at
 * most `window` requests outstanding; deliveries are counted on every receiving socket.
 */
function broadcast(sockets: Socket[], durationMs: number, window: number): Promise<BroadcastResult> {
  return new Promise((resolve, reject) => {
    const sender = sockets[0]!;
    const start = performance.now();
    const end = start + durationMs;
    let deliveries = 0;
    let broadcasts = 0;
    let outstanding = 0;
    let last = start;
    const finish = () => {
      for (const socket of sockets) socket.off('m', onMessage);
      clearTimeout(timer);
      resolve({ broadcasts, deliveries, expected: broadcasts * sockets.length, elapsedMs: last - start });
    };
    const onMessage = () => {
      deliveries++;
      last = performance.now();
      if (outstanding === 0 && last >= end && deliveries === broadcasts * sockets.length) finish();
    };
    const timer = setTimeout(() => reject(new Error('broadcast: deliveries missing')), durationMs + 20_000);
    for (const socket of sockets) socket.on('m', onMessage);
    const pump = () => {
      while (outstanding < window && performance.now() < end) {
        outstanding++;
        sender.emit('bcast', PAYLOAD, () => {
          outstanding--;
          broadcasts++;
          pump();
          if (outstanding === 0 && deliveries === broadcasts * sockets.length) finish();
        });
      }
    };
    pump();
  });
}

serve(
  {
    connect: async (p: { set: string; url: string; count: number; concurrency?: number; join?: boolean }) => {
      const sockets = sets.get(p.set) ?? [];
      sets.set(p.set, sockets);
      const concurrency = p.concurrency ?? 50;
      let remaining = p.count;
      const worker = async () => {
        while (remaining > 0) {
          remaining--;
          const socket = await open(p.url);
          sockets.push(socket);
          if (p.join) await emitAck(socket, 'join', ROOM);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, p.count) }, worker));
      return sockets.length;
    },
    close: (p: { set: string }) => {
      for (const socket of sets.get(p.set) ?? []) socket.close();
      sets.delete(p.set);
      return true;
    },
    echo: (p: { set: string; durationMs: number }) => echo(socketsOf(p.set), p.durationMs),
    fire: (p: { set: string; durationMs: number; batch: number; window: number }) =>
      fire(socketsOf(p.set), p.durationMs, p.batch, p.window),
    broadcast: (p: { set: string; durationMs: number; window: number }) =>
      broadcast(socketsOf(p.set), p.durationMs, p.window),
  },
  () => true,
);
