import { CONNECT, DISCONNECT, EVENT, RECONNECT } from '@pestras/micro-socket-core';
import { client, connected, nextEvent, Resources, waitFor } from '@pestras/micro-socket-testing';
import type { Server, Socket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { heapAfterGc, MB, mb, startSocketServer } from '../test/helpers';
import { DEFAULT_RECOVERY_LIMITS, type RecoveryLimits } from './recovery';
import type { SocketIOOptions } from './server';

const resources = new Resources();
afterEach(() => resources.stopAll());

class Room {
  readonly calls: string[] = [];
  #gone: Array<() => void> = [];

  @CONNECT()
  connect(_io: Server, socket: Socket) {
    this.calls.push('connect');
    socket.join('room');
    socket.emit('hello', 'welcome');
  }

  @RECONNECT()
  reconnect() {
    this.calls.push('reconnect');
  }

  @DISCONNECT()
  disconnect() {
    for (const wake of this.#gone.splice(0)) wake();
  }

  @EVENT('ping')
  ping() {
    return 'pong';
  }

  nextDisconnect(): Promise<void> {
    return new Promise((resolve) => this.#gone.push(resolve));
  }
}

/**
 * A client that received `hello`, drops its transport, misses `missed` while away, and comes
 * back by itself. Resolves with whether socket.io restored it and what it received after coming back.
 */
async function dropAndReturn(options: SocketIOOptions, missed: unknown[], clients = 1) {
  const room = new Room();
  const { server, url } = await startSocketServer(resources, [room], options);
  const sockets = await Promise.all(
    Array.from({ length: clients }, async () => {
      const socket = client(resources, url, {
        reconnection: true,
        reconnectionDelay: 300,
        transports: ['websocket'],
      });
      const hello = nextEvent(socket, 'hello');
      await connected(socket);
      await hello;
      return socket;
    }),
  );
  const received = sockets.map((socket) => {
    const values: unknown[] = [];
    socket.on('news', (value: unknown) => values.push(value));
    return values;
  });
  for (const socket of sockets) {
    const gone = room.nextDisconnect();
    socket.io.engine.close();
    await gone;
  }
  for (const value of missed) server.io.to('room').emit('news', value);
  await Promise.all(
    sockets.map((socket) => waitFor('reconnected', () => socket.connected, { timeout: 10_000 })),
  );
  // a round trip each, so that what the server sent on reconnection has arrived
  for (const socket of sockets) expect(await socket.timeout(5_000).emitWithAck('ping')).toBe('pong');
  return { room, recovered: sockets.map((s) => s.recovered), received };
}

describe('connection state recovery within bounds', () => {
  it('recovery: RECONNECT still fires for a client that drops and comes back within the window, under the default bounds', async () => {
    const { room, recovered, received } = await dropAndReturn({}, [1, 2, 3]);
    expect(recovered).toEqual([true]);
    expect(room.calls).toEqual(['connect', 'reconnect']);
    // the offset socket.io appends travels as the listener's last argument; the first is ours
    expect(received[0]).toEqual([1, 2, 3]);
  });

  it('recovery: a client whose missed packets were evicted (maxPackets) gets CONNECT, not RECONNECT', async () => {
    const { room, recovered } = await dropAndReturn(
      { recoveryLimits: { maxPackets: 5 } },
      [1, 2, 3, 4, 5, 6],
    );
    expect(recovered).toEqual([false]);
    expect(room.calls).toEqual(['connect', 'connect']);
  });

  it('recovery: maxBytes evicts the oldest packets too; within it, the session is restored', async () => {
    const big = 'x'.repeat(1_000);
    const over = await dropAndReturn({ recoveryLimits: { maxBytes: 2_500 } }, [big, big, big]);
    expect(over.recovered).toEqual([false]);
    const within = await dropAndReturn({ recoveryLimits: { maxBytes: 5_000 } }, [big, big, big]);
    expect(within.recovered).toEqual([true]);
    expect(within.received[0]).toEqual([big, big, big]);
  });

  it('recovery: past maxSessions the oldest sessions go; a session restores once', async () => {
    const { room, recovered } = await dropAndReturn({ recoveryLimits: { maxSessions: 1 } }, ['a'], 2);
    expect(recovered).toEqual([false, true]);
    expect(room.calls.filter((c) => c === 'reconnect')).toHaveLength(1);
  });

  it('recovery: a flood of broadcasts leaves the heap within the documented bound of the default limits', async () => {
    const room = new Room();
    const { server, url } = await startSocketServer(resources, [room]);
    const listener = await connected(client(resources, url, { transports: ['websocket'] }));
    let news = 0;
    listener.on('news', () => news++);
    const before = await heapAfterGc();
    const limits: RecoveryLimits = DEFAULT_RECOVERY_LIMITS;
    // 5x the packets the log may keep, small ones; then 5x the bytes in 8 KB ones
    const small = limits.maxPackets * 5;
    for (let i = 0; i < small; i++) server.io.to('room').emit('news', i, 'tiny');
    await waitFor('small news', () => news === small, { timeout: 30_000 });
    const afterSmall = await heapAfterGc();
    const chunkSize = 8 * 1024;
    const large = Math.ceil((limits.maxBytes * 5) / chunkSize);
    for (let i = 0; i < large; i++) {
      // a string of its own each time: one shared string would be kept once
      server.io.to('room').emit('news', i, String.fromCharCode(97 + (i % 26)).repeat(chunkSize));
      if (i % 500 === 0) await waitFor('large news', () => news === small + i + 1, { timeout: 30_000 });
    }
    await waitFor('large news', () => news === small + large, { timeout: 30_000 });
    const afterLarge = await heapAfterGc();
    console.log(
      `[recovery bound] heap ${mb(before)} → ${mb(afterSmall)} after ${small} small broadcasts → ${mb(afterLarge)} after ${large} × 8 KB (limits: ${limits.maxPackets} packets, ${mb(limits.maxBytes)})`,
    );
    expect(afterSmall - before).toBeLessThan(30 * MB);
    expect(afterLarge - before).toBeLessThan(30 * MB);
  });
});
