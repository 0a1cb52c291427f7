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

/**
 * Every socket sends `event` (`echo`, or `vecho`: the same echo with a schema on its payload)
 * with an ack and sends the next one when the answer arrives.
 */
function echo(sockets: Socket[], durationMs: number, event = 'echo'): Promise<EchoResult> {
  return new Promise((resolve) => {
    const rtts: number[] = [];
    const start = performance.now();
    const end = start + durationMs;
    let running = sockets.length;
    let last = start;
    for (const socket of sockets) {
      const send = () => {
        const sent = performance.now();
        socket.emit(event, PAYLOAD, () => {
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

export interface BusResult {
  published: number;
  deliveries: number;
  expected: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** Milliseconds on CLOCK_MONOTONIC, the clock the publishing worker stamped each message with. */
function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

/**
 * Cross-worker delivery: `publisher` (on one worker) asks its worker to publish `perRequest`
 * messages to the room that every socket of `receivers` (on the other worker) joined. Paced at
 * `ratePerSec` messages/s when given, otherwise as fast as the bound allows: at most `inFlight`
 * messages published but not yet received by every receiver.
 */
function bus(
  publisher: Socket,
  receivers: Socket[],
  p: { durationMs: number; perRequest: number; inFlight: number; ratePerSec?: number },
): Promise<BusResult> {
  return new Promise((resolve) => {
    const latencies: number[] = [];
    const start = performance.now();
    const end = start + p.durationMs;
    const fanout = receivers.length;
    let published = 0;
    let deliveries = 0;
    let last = start;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(deadline);
      for (const socket of receivers) socket.off('m', onMessage);
      resolve({
        published,
        deliveries,
        expected: published * fanout,
        elapsedMs: last - start,
        p50Ms: quantile(latencies, 0.5),
        p99Ms: quantile(latencies, 0.99),
      });
    };
    // Deliveries still missing 10 s after the end are reported as missing, not waited for.
    const deadline = setTimeout(finish, p.durationMs + 10_000);
    const request = () => {
      published += p.perRequest;
      publisher.emit('pub', p.perRequest);
    };
    const pump = () => {
      while (performance.now() < end && published - deliveries / fanout < p.inFlight) request();
    };
    const onMessage = (stamp: number) => {
      latencies.push(monotonicMs() - stamp);
      deliveries++;
      last = performance.now();
      if (last >= end) {
        if (deliveries === published * fanout) finish();
      } else if (!p.ratePerSec) pump();
    };
    for (const socket of receivers) socket.on('m', onMessage);
    if (p.ratePerSec) {
      const tickMs = 10;
      const perTick = Math.max(1, Math.round((p.ratePerSec * tickMs) / 1000 / p.perRequest));
      timer = setInterval(() => {
        if (performance.now() >= end) {
          clearInterval(timer);
          if (deliveries === published * fanout) finish();
          return;
        }
        for (let i = 0; i < perTick; i++) request();
      }, tickMs);
    } else pump();
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
    echo: (p: { set: string; durationMs: number; event?: string }) =>
      echo(socketsOf(p.set), p.durationMs, p.event),
    fire: (p: { set: string; durationMs: number; batch: number; window: number }) =>
      fire(socketsOf(p.set), p.durationMs, p.batch, p.window),
    broadcast: (p: { set: string; durationMs: number; window: number }) =>
      broadcast(socketsOf(p.set), p.durationMs, p.window),
    bus: (p: {
      publisher: string;
      receivers: string;
      durationMs: number;
      perRequest: number;
      inFlight: number;
      ratePerSec?: number;
    }) => bus(socketsOf(p.publisher)[0]!, socketsOf(p.receivers), p),
  },
  () => true,
);
