// In one process, without sockets: the time the `echo` (acked) and `ff` listeners themselves take
// per event, raw closure vs the binding's shared listener (invokeEvent, the ack wrapper, the method). This is the
// dispatch's own cost, free of the network and of neighbours; section 1 shows it against what
// socket.io spends around it. Not counted: engine.io-level hooks a binding adds per connection.
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { bindHandlers } from '@pestras/micro-socket-server';
import { Server } from 'socket.io';
import { BENCH_RATE_LIMIT } from './config.js';
import { BenchHandlers, bindRaw, type Counters } from './handlers.js';
import { serve } from './proc.js';
import { median } from './stats.js';

type Listener = (this: unknown, ...args: unknown[]) => void;
/** The acked echo, fire-and-forget, and the acked echo validated by a zod schema (vecho). */
type Measured = 'echo' | 'ff' | 'vecho';

interface Bound {
  listeners: Map<string, Listener>;
  socket: object;
}

/** The listeners a connection would get, captured from a stand-in socket. */
function boundListeners(bind: (io: Server) => void): Bound {
  const io = new Server(createServer());
  bind(io);
  const listeners = new Map<string, Listener>();
  const socket = {
    id: 'bench',
    recovered: false,
    rooms: new Set<string>(),
    on(event: string, listener: Listener) {
      listeners.set(event, listener);
      return socket;
    },
    use() {
      return socket;
    },
    join() {},
  };
  for (const onConnection of io.of('/').listeners('connection')) (onConnection as Listener)(socket);
  io.close();
  return { listeners, socket };
}

/** ns per call of the `event` listener: with an ack (echo) or without (fire-and-forget). */
function nsPerCall({ listeners, socket }: Bound, event: Measured, calls: number): number {
  const listener = listeners.get(event);
  if (!listener) throw new Error(`no ${event} listener was bound`);
  const payload = { text: 'hello, micro-socket', n: 42 };
  let answers = 0;
  const ack = () => {
    answers++;
  };
  const t0 = performance.now();
  if (event === 'ff') for (let i = 0; i < calls; i++) listener.call(socket, payload);
  else for (let i = 0; i < calls; i++) listener.call(socket, payload, ack);
  const ns = ((performance.now() - t0) * 1e6) / calls;
  if (event !== 'ff' && answers !== calls) throw new Error(`${answers} of ${calls} acks answered`);
  return ns;
}

/**
 * engine.io emits `packetCreate` for every outgoing packet whether or not anyone listens; the
 * binding listens (its slow-consumer cap). ns per packet: with the binding's listener on a stand-in
 * engine connection, and with none (raw).
 */
function packetHookNs(rounds: number, calls: number): { raw: number[]; binding: number[] } {
  const io = new Server(createServer());
  bindHandlers(io, [], { rateLimit: false });
  const hooks = io.engine.listeners('connection').filter((l) => l.name !== 'bound onconnection');
  io.close();
  if (hooks.length === 0) throw new Error('the binding added no engine.io connection hook to measure');
  const conn = (hooked: boolean) => {
    const c = Object.assign(new EventEmitter(), {
      id: 'bench',
      transport: { socket: { bufferedAmount: 0 } },
    });
    if (hooked) for (const hook of hooks) (hook as (c: unknown) => void)(c);
    if (hooked && c.listenerCount('packetCreate') === 0) throw new Error('no packetCreate listener');
    return c;
  };
  const packet = { type: 'message', data: '3["ack",{"text":"hello, micro-socket","n":42}]' };
  const time = (c: EventEmitter) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) {
      c.emit('packetCreate', packet);
      if ((i & 15) === 15) c.emit('flush');
    }
    return ((performance.now() - t0) * 1e6) / calls;
  };
  const raw: number[] = [];
  const binding: number[] = [];
  const plain = conn(false);
  const hooked = conn(true);
  for (let round = 0; round < rounds; round++) {
    raw.push(time(plain));
    binding.push(time(hooked));
  }
  return { raw: raw.slice(2), binding: binding.slice(2) };
}

/**
 * The rate limiter's cost per incoming event: socket.io hands each decoded packet to the
 * client's `ondecoded`; with the binding's limiter, a gate takes a token first. ns per packet
 * through a stand-in decoder, without (raw) and with the gate, at limits never reached.
 */
function gateNs(rounds: number, calls: number): { raw: number[]; binding: number[] } {
  const io = new Server(createServer());
  bindHandlers(io, [new BenchHandlers({ events: 0 })], { rateLimit: BENCH_RATE_LIMIT });
  const onConnection = io.of('/').listeners('connection');
  io.close();
  let forwarded = 0;
  const standIn = () => {
    const client = { decoder: new EventEmitter(), ondecoded: (_packet: unknown) => void forwarded++ };
    client.decoder.on('decoded', client.ondecoded);
    return client;
  };
  const plain = standIn();
  const gated = standIn();
  const socket = {
    id: 'bench',
    recovered: false,
    connected: true,
    client: gated,
    nsp: { name: '/' },
    handshake: { address: '127.0.0.1' },
    rooms: new Set<string>(),
    on: () => socket,
    use: () => socket,
    join() {},
  };
  for (const listener of onConnection) (listener as Listener)(socket);
  if (gated.decoder.listeners('decoded')[0] === gated.ondecoded)
    throw new Error('the limiter did not gate the decoder');
  const packet = { type: 2, nsp: '/', data: ['echo', { text: 'hello, micro-socket', n: 42 }], id: 1 };
  const time = (decoder: EventEmitter) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) decoder.emit('decoded', packet);
    return ((performance.now() - t0) * 1e6) / calls;
  };
  const raw: number[] = [];
  const binding: number[] = [];
  for (let round = 0; round < rounds; round++) {
    raw.push(time(plain.decoder));
    binding.push(time(gated.decoder));
  }
  if (forwarded !== rounds * calls * 2)
    throw new Error(`${forwarded} of ${rounds * calls * 2} packets forwarded`);
  return { raw: raw.slice(2), binding: binding.slice(2) };
}

serve(
  {
    gate: (p: { rounds: number; calls: number }) => gateNs(p.rounds, p.calls),
    packetHook: (p: { rounds: number; calls: number }) => packetHookNs(p.rounds, p.calls),
    measure: (p: { event: Measured; rounds: number; calls: number }) => {
      const counters: Counters = { events: 0 };
      const raw = boundListeners((io) => bindRaw(io, counters));
      // The limiter is measured on its own (`gate`): it sits before the listener, at decoding.
      const binding = boundListeners((io) => {
        bindHandlers(io, [new BenchHandlers(counters)], { rateLimit: false });
      });
      const rawNs: number[] = [];
      const bindingNs: number[] = [];
      for (let round = 0; round < p.rounds; round++) {
        // A B, B A, … like everything else.
        if (round % 2 === 0) {
          rawNs.push(nsPerCall(raw, p.event, p.calls));
          bindingNs.push(nsPerCall(binding, p.event, p.calls));
        } else {
          bindingNs.push(nsPerCall(binding, p.event, p.calls));
          rawNs.push(nsPerCall(raw, p.event, p.calls));
        }
      }
      // The first round pair is the JIT's warm-up.
      return { raw: rawNs.slice(2), binding: bindingNs.slice(2), rawMedian: median(rawNs.slice(2)) };
    },
  },
  () => true,
);
