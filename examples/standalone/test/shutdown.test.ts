import { fileURLToPath } from 'node:url';
import {
  client,
  connected,
  nextEvent,
  Resources,
  request,
  startProcess,
  waitFor,
} from '@pestras/micro-socket-testing';
import { afterEach, describe, expect, it } from 'vitest';

const resources = new Resources();
afterEach(() => resources.stopAll());
const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('examples/standalone graceful shutdown', () => {
  it('graceful shutdown: on SIGTERM a handler in flight still answers its ack, then the connection closes and the process exits 0 within 5 s; the client reconnects by itself once it is back', async () => {
    const startChat = (port: string) =>
      startProcess(resources, process.execPath, ['test/fixtures/slow-chat.mjs'], {
        cwd,
        env: { CHAT_TOKEN: 't0k3n', PORT: port },
      });
    const chat = startChat('0');
    const [, url] = await chat.waitForOutput(/listening on (http:\/\/\S+)/);
    const ann = await connected(
      client(resources, url!, {
        auth: { token: 't0k3n', name: 'ann' },
        reconnection: true, // socket.io-client's default, with its default delays
      }),
    );
    const events: string[] = [];
    ann.on('disconnect', (reason) => events.push(`disconnect: ${reason}`));
    let failedAttempts = 0;
    ann.io.on('reconnect_error', () => failedAttempts++);

    // the callback form records the ack the moment it arrives (a promise would add a tick)
    const ack = new Promise<void>((resolve) => {
      ann.timeout(5_000).emit('slow', 1_000, (err: Error | null, answer: unknown) => {
        events.push(err ? `ack error: ${err.message}` : `ack: ${JSON.stringify(answer)}`);
        resolve();
      });
    });
    await chat.waitForOutput(/slow handler started/);
    const disconnected = nextEvent(ann, 'disconnect', 5_000);
    const signalled = Date.now();
    chat.kill('SIGTERM');
    await chat.waitForOutput(/SIGTERM: closing, 1 handler\(s\) in flight/);
    // while draining, a new client is refused
    await expect(connected(client(resources, url!, { auth: { token: 't0k3n' } }))).rejects.toThrow();

    await ack;
    await disconnected;
    expect(await chat.exited(5_000)).toEqual({ code: 0, signal: null });
    const exitedAfter = Date.now() - signalled;
    expect(events).toEqual(['ack: {"done":1000}', 'disconnect: transport close']);
    expect(chat.output()).toMatch(/slow chat closed/);
    console.log(
      `[graceful shutdown] handler in flight answered, connection closed, exit 0 ${exitedAfter} ms after SIGTERM`,
    );

    // the client keeps trying while the chat is down, and is back once it is started again
    await waitFor('a reconnection attempt while the chat is down', () => failedAttempts >= 1, {
      timeout: 10_000,
    });
    const again = startChat(new URL(url!).port);
    await again.waitForOutput(/listening on /);
    await waitFor('ann reconnected by herself', () => ann.connected, { timeout: 15_000 });
    expect(await request(ann, 'slow', 10)).toEqual({ done: 10 });
  });
});
