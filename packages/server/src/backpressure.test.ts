import { setImmediate as nextTurn } from 'node:timers/promises';
import { client, connected, Resources, waitFor } from '@pestras/micro-socket-testing';
import type { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { MB, mb, rawSocket, startSocketServer } from '../test/helpers';

const resources = new Resources();
afterEach(() => resources.stopAll());

const CHUNK = 'x'.repeat(32 * 1024);
const CHUNKS = 1_000; // 32 MB broadcast in all

interface EngineConnection {
  writeBuffer: Array<{ data?: string }>;
  transport: { socket?: { bufferedAmount: number } };
}

/** What the server holds for a connection: engine.io's queue plus the websocket's unsent bytes. */
function heldBytes(io: Server, sid: string): number {
  const conn = (io.engine as unknown as { clients: Record<string, EngineConnection> }).clients[sid];
  if (!conn) return 0;
  const queued = conn.writeBuffer.reduce((sum, p) => sum + (p.data?.length ?? 0), 0);
  return queued + (conn.transport.socket?.bufferedAmount ?? 0);
}

/**
 * A raw websocket that connects to '/' and then stops reading its TCP socket (the kernel buffers
 * fill, then the server's), and a normal client; broadcasts CHUNKS chunks to both.
 */
async function flood(maxBufferedBytes: number) {
  const { server, url, logger } = await startSocketServer(resources, [], { maxBufferedBytes });
  const normal = await connected(client(resources, url, { transports: ['websocket'] }));
  let received = 0;
  normal.on('data', () => {
    received++;
  });
  const slow = await rawSocket(resources, url);
  const sid = JSON.parse(slow.messages[0]!.slice(1)).sid as string;
  slow.send('40');
  await slow.waitFor(/^40/);
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();

  let peak = 0;
  let sentWhenDropped: number | undefined;
  for (let i = 0; i < CHUNKS; i++) {
    server.io.emit('data', CHUNK);
    if (i % 10 === 9) {
      peak = Math.max(peak, heldBytes(server.io, sid));
      if (sentWhenDropped === undefined && server.io.engine.clientsCount === 1) sentWhenDropped = i + 1;
      await nextTurn(); // let the normal client's socket drain
    }
  }
  await waitFor('the normal client to receive every chunk', () => received === CHUNKS, { timeout: 20_000 });
  return { server, logger, peak, sentWhenDropped, held: heldBytes(server.io, sid), normal };
}

describe('slow consumers', () => {
  it('slow consumers: a client that stops reading is dropped at maxBufferedBytes; a normal client gets everything', async () => {
    const cap = 1 * MB;
    const { logger, peak, sentWhenDropped, normal } = await flood(cap);
    const warning = logger.lines.find((l) => l.level === 'warn' && /dropped client/.test(l.message));
    expect(warning?.message).toMatch(/bytes of output unread \(maxBufferedBytes 1048576\)/);
    const atDrop = Number(/: (\d+) bytes/.exec(warning!.message)![1]);
    // checked as each packet is queued: never more than the cap plus the packet that crossed it
    expect(atDrop).toBeLessThanOrEqual(cap + CHUNK.length + 64);
    expect(peak).toBeLessThanOrEqual(cap + CHUNK.length + 64);
    expect(sentWhenDropped).toBeLessThan(CHUNKS);
    expect(normal.connected).toBe(true);
    console.log(
      `[slow consumers] cap ${mb(cap)}: dropped at ${mb(atDrop)} buffered after ${sentWhenDropped} of ${CHUNKS} chunks ` +
        `(${mb(CHUNK.length * CHUNKS)} broadcast), peak held ${mb(peak)}; normal client received all ${CHUNKS}`,
    );
  });

  it('slow consumers: without the cap (maxBufferedBytes 0) the same client holds the whole backlog', async () => {
    const { held, server } = await flood(0);
    expect(server.io.engine.clientsCount).toBe(2);
    expect(held).toBeGreaterThan(16 * MB);
    console.log(
      `[slow consumers] no cap: server holds ${mb(held)} for the paused client after ${mb(CHUNK.length * CHUNKS)} broadcast`,
    );
  });

  it('slow consumers: a polling client that stops polling is dropped at maxBufferedBytes too', async () => {
    const { server, url, logger } = await startSocketServer(resources, [], { maxBufferedBytes: MB });
    const base = `${url}/socket.io/?EIO=4&transport=polling`;
    const { sid } = JSON.parse((await (await fetch(base)).text()).slice(1)) as { sid: string };
    const session = `${base}&sid=${sid}`;
    await (await fetch(session, { method: 'POST', body: '40' })).text();
    expect(await (await fetch(session)).text()).toMatch(/^40/); // the CONNECT answer; no more polls
    let sent = 0;
    while (server.io.engine.clientsCount === 1 && sent < 100) {
      server.io.emit('data', CHUNK);
      sent++;
    }
    expect(server.io.engine.clientsCount).toBe(0);
    expect(sent).toBe(Math.floor(MB / (CHUNK.length + 13)) + 1); // '42["data","…"]' per chunk
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes(`client ${sid}`))).toBe(true);
    console.log(
      `[slow consumers] polling client that stopped polling: dropped after ${sent} chunks of 32 KB (cap 1 MB)`,
    );
  });
});
