// Load generator in its own process: named sets of socket.io clients (websocket-only unless a set
// asks for other transports), and connections opened and closed in a loop.
import { io as connect, type Socket } from 'socket.io-client';
import { ROOM } from './handlers.js';
import { serve } from './proc.js';
import { quantile } from './stats.js';

const sets = new Map<string, Socket[]>();
const PAYLOAD = { text: 'hello, micro-socket', n: 42 };

type Transport = 'websocket' | 'polling';

function open(url: string, transports: Transport[] = ['websocket']): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(url, { transports, forceNew: true, reconnection: false });
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

export interface ConnectResult {
  /** Sockets in the set now. */
  sockets: number;
  /** Connection attempts that failed (and were retried). */
  failedAttempts: number;
}

export interface ChurnResult {
  /** Websocket connections opened: the upgrade answered by a worker (engine.io's open packet). */
  opened: number;
  /** Of those, the ones whose socket.io connect completed. */
  connected: number;
  /** Opened, but not connected within LOST_AFTER_MS: the client's CONNECT packet never arrived. */
  lost: number;
  /** Connections refused, failed or not opened within LOST_AFTER_MS. */
  failures: number;
  /** From the start to the last open. */
  elapsedMs: number;
}

/** An opened connection still not connected after this long is counted lost (normal: a few ms). */
const LOST_AFTER_MS = 1_000;

/**
 * New connections in a loop: `parallel` loops, each opening a websocket-only socket.io client and
 * opening the next as soon as a worker answered the upgrade (engine.io's open packet: what the
 * primary routes is done). Each client disconnects once its socket.io connect completes; one that
 * does not complete within LOST_AFTER_MS is counted lost and closed, without stalling its loop.
 */
function churn(url: string, parallel: number, durationMs: number): Promise<ChurnResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const end = start + durationMs;
    const result: ChurnResult = { opened: 0, connected: 0, lost: 0, failures: 0, elapsedMs: 0 };
    let loops = parallel;
    let pending = 0;
    const settled = () => {
      if (--pending === 0 && loops === 0) resolve(result);
    };
    const loop = () => {
      if (performance.now() >= end) {
        if (--loops === 0 && pending === 0) resolve(result);
        return;
      }
      pending++;
      let advanced = false;
      const advance = () => {
        if (advanced) return;
        advanced = true;
        loop();
      };
      let opened = false;
      const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
      const lost = setTimeout(() => {
        if (opened) result.lost++;
        else result.failures++;
        socket.close();
        settled();
        advance();
      }, LOST_AFTER_MS);
      socket.io.once('open', () => {
        opened = true;
        result.opened++;
        result.elapsedMs = performance.now() - start;
        advance();
      });
      socket.once('connect', () => {
        clearTimeout(lost);
        result.connected++;
        socket.disconnect();
        settled();
      });
      socket.once('connect_error', () => {
        clearTimeout(lost);
        result.failures++;
        socket.close();
        settled();
        advance();
      });
    };
    for (let i = 0; i < parallel; i++) loop();
  });
}

serve(
  {
    connect: async (p: {
      set: string;
      url: string;
      count: number;
      concurrency?: number;
      join?: boolean;
      transports?: Transport[];
      /** Attempts a client may fail before the command fails (0 by default). */
      retries?: number;
    }): Promise<ConnectResult> => {
      const sockets = sets.get(p.set) ?? [];
      sets.set(p.set, sockets);
      const concurrency = p.concurrency ?? 50;
      let remaining = p.count;
      let failedAttempts = 0;
      const connectOne = async (): Promise<Socket> => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await open(p.url, p.transports);
          } catch (err) {
            failedAttempts++;
            if (attempt >= (p.retries ?? 0)) throw err;
          }
        }
      };
      const worker = async () => {
        while (remaining > 0) {
          remaining--;
          const socket = await connectOne();
          sockets.push(socket);
          if (p.join) await emitAck(socket, 'join', ROOM);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, p.count) }, worker));
      return { sockets: sockets.length, failedAttempts };
    },
    close: (p: { set: string }) => {
      for (const socket of sets.get(p.set) ?? []) socket.close();
      sets.delete(p.set);
      return true;
    },
    churn: (p: { url: string; parallel: number; durationMs: number }) =>
      churn(p.url, p.parallel, p.durationMs),
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
