import { fileURLToPath } from 'node:url';
import {
  client,
  connected,
  nextEvent,
  Resources,
  request,
  startProcess,
} from '@pestras/micro-socket-testing';
import { afterEach, describe, expect, it } from 'vitest';

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
    expect(await request(eve, 'join', '../etc')).toMatchObject({ error: { code: 'BAD_ROOM' } });
    expect(eveHeard).toBe(false);

    const down = nextEvent(ann, 'disconnect');
    chat.kill('SIGTERM');
    expect(await chat.exited()).toEqual({ code: 0, signal: null });
    await down;
  });
});
