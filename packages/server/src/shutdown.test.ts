import { CONNECT, DISCONNECT, EVENT } from '@pestras/micro-socket-core';
import { client, connected, nextEvent, Resources, request, waitFor } from '@pestras/micro-socket-testing';
import type { Server, Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { rawSocket, startSocketServer } from '../test/helpers';

const resources = new Resources();
afterEach(() => resources.stopAll());

/** A handler that stays in flight until the test releases it. */
class Slow {
  readonly started: string[] = [];
  readonly finished: string[] = [];
  #release: Array<() => void> = [];

  release(): void {
    for (const release of this.#release.splice(0)) release();
  }

  @EVENT('slow') async slow(_io: Server, _socket: Socket, label: string) {
    this.started.push(label);
    await new Promise<void>((resolve) => this.#release.push(resolve));
    this.finished.push(label);
    return `done:${label}`;
  }

  @EVENT('fast') fast() {
    return 'fast';
  }

  /** An event clients send without an ack. */
  readonly notes: string[] = [];
  @EVENT('note') note(_io: Server, _socket: Socket, text: string) {
    this.notes.push(text);
  }
}

/** socket.io-client's own reconnection, with short delays so that a test sees several attempts. */
const RECONNECTING = { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 300 } as const;

/** Counts a client's reconnection attempts and failed attempts (its Manager's events). */
function attempts(socket: ClientSocket): { started: number; failed: number } {
  const count = { started: 0, failed: 0 };
  socket.io.on('reconnect_attempt', () => count.started++);
  socket.io.on('reconnect_error', () => count.failed++);
  return count;
}

describe('graceful shutdown', () => {
  it('graceful shutdown: refuses new work, lets handlers in flight answer their acks, then closes the connections; clients reconnect by themselves to the server started again', async () => {
    const slow = new Slow();
    const saved: string[] = [];
    class Presence {
      @DISCONNECT() async save(_io: Server, socket: Socket, reason: string) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        saved.push(`${socket.conn.transport.name}:${reason}`);
      }
    }
    const { server, url } = await startSocketServer(resources, [slow, new Presence()]);
    const port = server.port;
    const ws = await connected(client(resources, url, { ...RECONNECTING, transports: ['websocket'] }));
    const polling = await connected(client(resources, url, { ...RECONNECTING, transports: ['polling'] }));
    const wsAttempts = attempts(ws);
    const pollingAttempts = attempts(polling);
    const wsAck = request(ws, 'slow', 'ws');
    const pollingAck = request(polling, 'slow', 'polling');
    await waitFor('both handlers in flight', () => server.running === 2);
    const wsGone = nextEvent<[string]>(ws, 'disconnect');
    const pollingGone = nextEvent<[string]>(polling, 'disconnect');

    const closed = server.close({ timeout: 5_000 });
    expect(server.started).toBe(false);
    // new connections are refused, new events answered with ERR_SHUTTING_DOWN
    await expect(connected(client(resources, url, { transports: ['websocket'] }))).rejects.toThrow();
    await expect(connected(client(resources, url, { transports: ['polling'] }))).rejects.toThrow();
    expect(await request(ws, 'fast')).toEqual({
      error: { code: 'ERR_SHUTTING_DOWN', message: 'The server is shutting down' },
    });
    expect(ws.connected && polling.connected).toBe(true);

    slow.release();
    expect(await wsAck).toBe('done:ws');
    expect(await pollingAck).toBe('done:polling');
    // no DISCONNECT packet: the connection closes, which socket.io-client reconnects after
    expect((await wsGone)[0]).toBe('transport close');
    expect((await pollingGone)[0]).toBe('transport close');
    await closed;
    expect(slow.finished.sort()).toEqual(['polling', 'ws']);
    // async DISCONNECT handlers finished first, with socket.io's own reason for io.close()
    expect(saved.sort()).toEqual(['polling:server shutting down', 'websocket:server shutting down']);
    await expect(fetch(`${url}/socket.io/?EIO=4&transport=polling`)).rejects.toThrow();

    // while the server is down the clients keep trying, by themselves
    await waitFor('both clients retrying while the server is down', () =>
      [wsAttempts, pollingAttempts].every((count) => count.failed >= 2),
    );
    expect(ws.active && polling.active).toBe(true);
    const restarted = await startSocketServer(resources, [new Slow()], { port });
    expect(restarted.url).toBe(url);
    await waitFor('both clients reconnected to the new server', () => ws.connected && polling.connected, {
      timeout: 10_000,
    });
    expect(await request(ws, 'fast')).toBe('fast');
    expect(await request(polling, 'fast')).toBe('fast');
  });

  it('graceful shutdown: close({ reconnect: false }) disconnects every client (io server disconnect) and they do not reconnect', async () => {
    const slow = new Slow();
    const gone: string[] = [];
    class Presence {
      @DISCONNECT() gone(_io: Server, _socket: Socket, reason: string) {
        gone.push(reason);
      }
    }
    const { server, url } = await startSocketServer(resources, [slow, new Presence()]);
    const port = server.port;
    const ws = await connected(client(resources, url, { ...RECONNECTING, transports: ['websocket'] }));
    const polling = await connected(client(resources, url, { ...RECONNECTING, transports: ['polling'] }));
    const counts = [attempts(ws), attempts(polling)];
    const wsAck = request(ws, 'slow', 'ws');
    const pollingAck = request(polling, 'slow', 'polling');
    await waitFor('both handlers in flight', () => server.running === 2);
    const wsGone = nextEvent<[string]>(ws, 'disconnect');
    const pollingGone = nextEvent<[string]>(polling, 'disconnect');

    const closed = server.close({ timeout: 5_000, reconnect: false });
    slow.release();
    expect(await wsAck).toBe('done:ws');
    expect(await pollingAck).toBe('done:polling');
    expect((await wsGone)[0]).toBe('io server disconnect');
    expect((await pollingGone)[0]).toBe('io server disconnect');
    await closed;
    expect(gone).toEqual(['server namespace disconnect', 'server namespace disconnect']);
    // socket.io-client gave up on these sockets: nothing will reconnect them
    expect(ws.active || polling.active).toBe(false);

    // A server on the same port, and a new client connecting to it: the old ones never try.
    await startSocketServer(resources, [new Slow()], { port });
    await connected(client(resources, url));
    expect(counts).toEqual([
      { started: 0, failed: 0 },
      { started: 0, failed: 0 },
    ]);
    expect(ws.connected || polling.connected).toBe(false);
  });

  it('graceful shutdown: cuts off a handler that outlives the timeout; DISCONNECT handlers still run', async () => {
    const slow = new Slow();
    const gone: string[] = [];
    class Presence {
      @DISCONNECT() gone(_io: Server, socket: Socket, reason: string) {
        gone.push(`${socket.data.name}:${reason}`);
      }
    }
    const { server, url } = await startSocketServer(resources, [slow, new Presence()]);
    const socket = await connected(client(resources, url));
    server.io.fetchSockets().then(([s]) => {
      s!.data.name = 'ann';
    });
    const unanswered = request(socket, 'slow', 'forever').catch((err: Error) => err);
    await waitFor('the handler in flight', () => server.running === 1);
    const disconnected = nextEvent<[string]>(socket, 'disconnect');
    await server.close({ timeout: 300 });
    expect((await disconnected)[0]).toBe('transport close');
    expect(await unanswered).toBeInstanceOf(Error); // the client's own ack timeout or disconnect
    expect(gone).toEqual(['ann:server shutting down']);
    expect(slow.finished).toEqual([]);
  });

  it('graceful shutdown: closes a connection that never joined a namespace and refuses a new namespace on an open one', async () => {
    const slow = new Slow();
    class Blog {
      @CONNECT(['blog']) hello() {}
    }
    const { server, url } = await startSocketServer(resources, [slow, new Blog()]);
    const raw = await rawSocket(resources, url); // engine.io open, no socket.io CONNECT sent
    const socket = await connected(client(resources, url));
    const slowAck = request(socket, 'slow', 'x');
    await waitFor('the handler in flight', () => server.running === 1);
    const closed = server.close({ timeout: 5_000 });
    expect(server.close()).toBe(closed); // a second call gets the same shutdown
    // the same connection (multiplexed by the client's Manager) asks for another namespace
    const blog = socket.io.socket('/blog');
    resources.add(blog, (b) => b.disconnect());
    await expect(connected(blog)).rejects.toThrow('The server is shutting down');
    slow.release();
    expect(await slowAck).toBe('done:x');
    await raw.closed;
    await closed;
  });

  // Guards against the mutation "events without an ack run during a drain": the docs promise
  // they are ignored once the server drains, like the acked ones that get ERR_SHUTTING_DOWN.
  it('graceful shutdown: ignores events without an ack while draining', async () => {
    const slow = new Slow();
    const { server, url } = await startSocketServer(resources, [slow]);
    const socket = await connected(client(resources, url));
    socket.emit('note', 'before');
    const slowAck = request(socket, 'slow', 'x');
    await waitFor('the handler in flight', () => server.running === 1);
    expect(slow.notes).toEqual(['before']);
    const closed = server.close({ timeout: 10_000 });
    socket.emit('note', 'during');
    // The same socket's next packet is handled after the note: its answer is the positive event.
    expect(await request(socket, 'fast')).toEqual({
      error: { code: 'ERR_SHUTTING_DOWN', message: 'The server is shutting down' },
    });
    expect(slow.notes).toEqual(['before']);
    slow.release();
    expect(await slowAck).toBe('done:x');
    await closed;
    expect(slow.notes).toEqual(['before']);
  });

  // Guards against the mutation "close() never woken once the last handler finishes": close would
  // then always wait for its full timeout. The timeout here is far beyond the margin, so that the
  // assertion measures the wake-up, not the timeout.
  it('graceful shutdown: close returns soon after the last handler finishes, long before its timeout', async () => {
    const CLOSE_TIMEOUT = 25_000;
    const MARGIN = 10_000; // what a close takes once nothing runs, with room for 2 busy cores
    const slow = new Slow();
    const { server, url } = await startSocketServer(resources, [slow]);
    const socket = await connected(client(resources, url));
    const first = request(socket, 'slow', 'first');
    const second = request(socket, 'slow', 'second');
    await waitFor('both handlers in flight', () => server.running === 2);
    const closed = server.close({ timeout: CLOSE_TIMEOUT }).then(() => 'closed');
    slow.release();
    expect([await first, await second]).toEqual(['done:first', 'done:second']);
    let timer: NodeJS.Timeout | undefined;
    const tooLate = new Promise((resolve) => {
      timer = setTimeout(() => resolve(`still closing ${MARGIN} ms after the last handler finished`), MARGIN);
    });
    expect(await Promise.race([closed, tooLate])).toBe('closed');
    clearTimeout(timer);
  });
});
