import { fileURLToPath } from 'node:url';
import type { ClientToServerEvents, ServerToClientEvents } from '@pestras/micro-socket-core';
import {
  asyncApiDiagnostics,
  client,
  connected,
  nextEvent,
  Resources,
  request,
  startProcess,
} from '@pestras/micro-socket-testing';
import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { chatEvents, pushedEvents } from '../src/events';

/** A socket.io-client typed from the server's own declarations. */
type ChatClient = Socket<ServerToClientEvents<typeof pushedEvents>, ClientToServerEvents<typeof chatEvents>>;

const resources = new Resources();
afterEach(() => resources.stopAll());
const cwd = fileURLToPath(new URL('..', import.meta.url));

async function startChat() {
  const chat = startProcess(resources, process.execPath, ['dist/main.js'], {
    cwd,
    env: { PORT: '0', CHAT_TOKEN: 't0k3n' },
  });
  const [, url] = await chat.waitForOutput(/listening on (http:\/\/\S+)/);
  return { chat, url: url! };
}

describe('examples/standalone', () => {
  it('refuses a wrong token, chats in rooms with acks, and exits 0 on SIGTERM', async () => {
    const { chat, url } = await startChat();
    await expect(connected(client(resources, url, { auth: { token: 'wrong' } }))).rejects.toThrow(
      'invalid token',
    );

    const ann = client(resources, url, { auth: { token: 't0k3n', name: 'ann' } });
    const welcome = nextEvent<[{ name: string }]>(ann, 'welcome');
    await connected(ann);
    expect((await welcome)[0].name).toBe('ann');
    const bob = await connected(client(resources, url, { auth: { token: 't0k3n', name: 'bob' } }));
    const eve = await connected(client(resources, url, { auth: { token: 't0k3n', name: 'eve' } }));

    expect(await request(ann, 'join', 'general')).toEqual({ room: 'general', members: 1 });
    const joined = nextEvent(ann, 'joined');
    expect(await request(bob, 'join', 'general')).toEqual({ room: 'general', members: 2 });
    expect((await joined)[0]).toEqual({ room: 'general', name: 'bob' });

    const toBob = nextEvent(bob, 'message');
    let eveHeard = false;
    eve.on('message', () => {
      eveHeard = true;
    });
    expect(await request(ann, 'say', 'general', 'hello')).toEqual({ delivered: true });
    expect((await toBob)[0]).toEqual({ room: 'general', from: 'ann', text: 'hello' });
    expect(await request(eve, 'say', 'general', 'sneaky')).toEqual({
      error: { code: 'NOT_IN_ROOM', message: 'join general first' },
    });
    expect(await request(eve, 'join', '../etc')).toMatchObject({
      error: {
        code: 'ERR_VALIDATION',
        message: 'argument 0: a room name is 1 to 32 letters, digits, _ or -',
      },
    });
    expect(eveHeard).toBe(false);

    const down = nextEvent(ann, 'disconnect');
    chat.kill('SIGTERM');
    expect(await chat.exited()).toEqual({ code: 0, signal: null });
    await down;
  });

  it('declares its events once: a typed client, validated arguments, an AsyncAPI document that parses', async () => {
    const { url } = await startChat();
    const ann = (await connected(
      client(resources, url, { auth: { token: 't0k3n', name: 'ann' } }),
    )) as ChatClient;
    const joined = await ann.timeout(5_000).emitWithAck('join', 'typed');
    expect('error' in joined ? joined.error.code : joined.members).toBe(1);
    const tooLong = await ann.timeout(5_000).emitWithAck('say', 'typed', 'x'.repeat(1001));
    expect(tooLong).toMatchObject({ error: { code: 'ERR_VALIDATION', issues: [{ path: [1] }] } });
    const extra = await (ann as Socket).timeout(5_000).emitWithAck('say', 'typed', 'hi', 'extra');
    expect(extra).toMatchObject({ error: { code: 'ERR_VALIDATION', issues: [{ path: [2] }] } });

    const res = await fetch(`${url}/asyncapi.json`);
    expect(res.status).toBe(200);
    const document = await res.text();
    expect((await asyncApiDiagnostics(document)).errors).toEqual([]);
    const operations = Object.values(JSON.parse(document).operations) as Array<{ action: string }>;
    expect(operations.map((o) => o.action)).toEqual([...Array(3).fill('receive'), ...Array(5).fill('send')]);
  });
});
