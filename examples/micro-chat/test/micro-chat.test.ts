import { fileURLToPath } from 'node:url';
import {
  asyncApiDiagnostics,
  client,
  connected,
  nextEvent,
  Resources,
  request,
  startProcess,
  waitFor,
} from '@pestras/micro-socket-testing';
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';

const resources = new Resources();
afterEach(() => resources.stopAll());
const cwd = fileURLToPath(new URL('..', import.meta.url));

interface Welcome {
  id: string;
  name: string;
  worker: number;
}
interface Message {
  room: string;
  from: string;
  text: string;
}

async function startChat() {
  const chat = startProcess(resources, process.execPath, ['dist/main.js'], { cwd, env: { PORT: '0' } });
  const [, port] = await chat.waitForOutput(/cluster primary listening on \S+:(\d+)/);
  await chat.waitForOutput(/serving cluster worker \d[\s\S]*serving cluster worker \d/);
  return { chat, url: `http://127.0.0.1:${port}` };
}

async function login(url: string, name: string) {
  const socket = client(resources, url, { auth: { name } });
  const welcome = nextEvent<[Welcome]>(socket, 'welcome');
  await connected(socket);
  return { socket, ...(await welcome)[0] };
}

/** Logs users in until one is served by a worker other than `worker`. */
async function loginElsewhere(url: string, name: string, worker: number) {
  for (let i = 0; i < 8; i++) {
    const user = await login(url, name);
    if (user.worker !== worker) return user;
    user.socket.disconnect();
  }
  throw new Error('the primary never routed a client to the other worker');
}

function messages(socket: ClientSocket): Message[] {
  const seen: Message[] = [];
  socket.on('message', (m: Message) => seen.push(m));
  return seen;
}

describe('examples/micro-chat (rooms across 2 workers, browser page)', () => {
  it('serves the browser page and the socket.io client script', async () => {
    const { url } = await startChat();
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<script src="/socket.io/socket.io.js"></script>');
    const inline = html.match(/<script>([\s\S]*?)<\/script>/)?.[1];
    expect(() => new Function(inline!)).not.toThrow(); // the page's script parses
    const script = await fetch(`${url}/socket.io/socket.io.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('Socket.IO');
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
  });

  it('serves the AsyncAPI document of its contracts (valibot), which @asyncapi/parser accepts', async () => {
    const { url } = await startChat();
    const res = await fetch(`${url}/asyncapi.json`);
    expect(res.status).toBe(200);
    const document = await res.text();
    expect((await asyncApiDiagnostics(document)).errors).toEqual([]);
    const parsed = JSON.parse(document);
    expect(Object.keys(parsed.operations)).toHaveLength(5 + 6);
    // valibot schemas wrapped by toStandardJsonSchema describe themselves...
    const say = parsed.channels.root.messages.say;
    expect(say.payload.items[0]).toEqual({ type: 'string', pattern: String.raw`^[\w-]{1,32}$` });
    // ...except where valibot cannot (a custom check): that argument is open, and the document says so
    expect(say.payload.items[1]).toEqual({
      description: expect.stringMatching(/^not described: .*vendor: valibot$/),
    });
    expect(say.description).toMatch(/not described/);
  });

  it('chats in rooms across both workers, each message exactly once, with whispers and presence', async () => {
    const { chat, url } = await startChat();
    await expect(connected(client(resources, url, { auth: { name: '' } }))).rejects.toThrow('a name is');

    const ann = await login(url, 'ann');
    const bob = await loginElsewhere(url, 'bob', ann.worker);
    const eve = await login(url, 'eve');
    const heard = { ann: messages(ann.socket), bob: messages(bob.socket), eve: messages(eve.socket) };

    expect(await request(ann.socket, 'join', 'general')).toEqual({ room: 'general', worker: ann.worker });
    const bobJoined = nextEvent(ann.socket, 'joined');
    expect(await request(bob.socket, 'join', 'general')).toEqual({ room: 'general', worker: bob.worker });
    expect((await bobJoined)[0]).toEqual({ room: 'general', id: bob.id, name: 'bob', worker: bob.worker });

    // A conversation: each line is sent after the previous one arrived on both sides.
    const lines: Array<[typeof ann, string]> = [
      [ann, 'hello'],
      [bob, 'hi ann'],
      [ann, 'bye'],
    ];
    for (const [from, text] of lines) {
      expect(await request(from.socket, 'say', 'general', text)).toEqual({ delivered: true });
      await waitFor(`'${text}' on both sides`, () =>
        [heard.ann, heard.bob].every((seen) => seen.some((m) => m.text === text)),
      );
    }
    // Exactly once is counted after a barrier that every delivery path has passed: a line from
    // each side, sent once the conversation arrived everywhere. A worker's local delivery, the bus
    // to the other worker and the bus back through the primary each keep order, so a late
    // duplicate of any line before the barrier (the last line 'bye' included) arrives before the
    // barrier line that follows it on the same path.
    const barrier: Array<[typeof ann, string]> = [
      [ann, 'over (ann)'],
      [bob, 'over (bob)'],
    ];
    for (const [from, text] of barrier) {
      expect(await request(from.socket, 'say', 'general', text)).toEqual({ delivered: true });
      await waitFor(`'${text}' on both sides`, () =>
        [heard.ann, heard.bob].every((seen) => seen.some((m) => m.text === text)),
      );
    }
    const conversation = [...lines, ...barrier].map(([from, text]) => ({
      room: 'general',
      from: from.name,
      text,
    }));
    expect(heard.ann.map(({ room, from, text }) => ({ room, from, text }))).toEqual(conversation);
    expect(heard.bob.map(({ room, from, text }) => ({ room, from, text }))).toEqual(conversation);

    expect(await request(eve.socket, 'say', 'general', 'let me in')).toEqual({
      error: { code: 'NOT_IN_ROOM', message: 'join general first' },
    });
    expect(await request(eve.socket, 'join', '../etc')).toMatchObject({
      error: {
        code: 'ERR_VALIDATION',
        message: 'argument 0: a room name is 1 to 32 letters, digits, _ or -',
      },
    });
    expect(await request(ann.socket, 'say', 'general', ' ')).toMatchObject({
      error: {
        code: 'ERR_VALIDATION',
        issues: [{ path: [1], message: 'a message is 1 to 1000 characters' }],
      },
    });
    expect(heard.eve).toEqual([]);

    const whisper = nextEvent(ann.socket, 'whisper');
    expect(await request(bob.socket, 'whisper', ann.id, 'psst')).toEqual({ sent: true });
    expect((await whisper)[0]).toEqual({ from: 'bob', fromId: bob.id, text: 'psst' });

    const bobLeft = nextEvent(ann.socket, 'left');
    bob.socket.disconnect();
    expect((await bobLeft)[0]).toEqual({ room: 'general', id: bob.id, name: 'bob', worker: bob.worker });

    const down = [ann, eve].map(({ socket }) => nextEvent<[string]>(socket, 'disconnect'));
    chat.kill('SIGTERM');
    expect(await chat.exited(5_000)).toEqual({ code: 0, signal: null });
    // the workers' graceful close: no DISCONNECT packet, so a page would reconnect by itself
    expect((await Promise.all(down)).map(([reason]) => reason)).toEqual([
      'transport close',
      'transport close',
    ]);
  });
});
