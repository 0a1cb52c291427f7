import { fileURLToPath } from 'node:url';
import {
  describeWithPythonSocketio,
  pythonReport,
  Resources,
  startProcess,
  startPython,
} from '@pestras/micro-socket-testing';
import { afterEach, expect, it } from 'vitest';

const resources = new Resources();
afterEach(() => resources.stopAll());
const cwd = fileURLToPath(new URL('..', import.meta.url));

interface Report {
  refusals: Record<string, { raised: string; connect_errors: unknown[] }>;
  one_argument_listener: { ran: boolean; recorded: unknown[][]; ack: unknown };
  acks: Record<string, unknown>;
  clients: Record<'ann' | 'bob' | 'eve', { sid: string; transport: string; events: unknown[][] }>;
}

const describePython = await describeWithPythonSocketio();

describePython('examples/standalone with python-socketio 5.7 clients', () => {
  it('refuses a wrong token and an unknown namespace, chats with acks, and answers errors', async () => {
    const chat = startProcess(resources, process.execPath, ['dist/main.js'], {
      cwd,
      env: { PORT: '0', CHAT_TOKEN: 't0k3n' },
    });
    const [, url] = await chat.waitForOutput(/listening on (http:\/\/\S+)/);
    const python = startPython(resources, fileURLToPath(new URL('./python/chat.py', import.meta.url)), [
      url!,
    ]);
    const { refusals, one_argument_listener, acks, clients } = await pythonReport<Report>(python);

    // python-socketio raises one generic error; the server's reason reaches connect_error
    expect(refusals).toEqual({
      'wrong token': {
        raised: 'One or more namespaces failed to connect',
        connect_errors: [['/', { message: 'invalid token' }]],
      },
      'unknown namespace': {
        raised: 'One or more namespaces failed to connect',
        connect_errors: [['/nothing', { message: 'Invalid namespace' }]],
      },
    });

    expect(acks).toEqual({
      'ann joins': { room: 'general', members: 1 },
      'bob joins': { room: 'general', members: 2 },
      'ann says': { delivered: true },
      'bob says': { delivered: true },
      'eve says outside': { error: { code: 'NOT_IN_ROOM', message: 'join general first' } },
      // a bad argument, refused by the event's contract
      'eve joins a bad room': {
        error: {
          code: 'ERR_VALIDATION',
          message: expect.any(String),
          issues: [{ path: [0], message: expect.any(String) }],
        },
      },
      'bob leaves': { room: 'general' },
    });
    expect(clients.ann.transport).toBe('websocket'); // long-polling first, then upgraded
    expect(clients.bob.transport).toBe('polling');
    expect(clients.eve.transport).toBe('websocket');

    // Exactly what each python-socketio listener received, in order, up to ann's departure
    // (announced to everyone after the conversation). With connection state recovery on (the
    // default), every event carries socket.io's recovery offset as one more argument: a
    // listener `def on_message(data)` fails with a TypeError; `def on_message(data, *rest)`
    // works. Ack answers carry no offset (see `acks` above).
    const offset = expect.stringMatching(/^[\w-]+$/);
    const said = (from: string, text: string) => ['/', 'message', { room: 'general', from, text }, offset];
    // python-socketio sends its namespace disconnect and closes the transport at once: the
    // server sees whichever comes first
    const reason = expect.stringMatching(/^(client namespace disconnect|transport close)$/);
    const gone = ['/', 'presence', { name: 'ann', online: false, reason }, offset];
    expect(one_argument_listener).toEqual({
      ran: false,
      recorded: [], // an explicit listener takes the event from the catch-all recorder
      ack: { room: 'lobby', members: 1 },
    });
    expect(python.output()).toMatch(
      /TypeError: \S*<lambda>\(\) takes 1 positional argument but 2 were given/,
    );
    expect(clients.ann.events).toEqual([
      ['/', 'welcome', { id: clients.ann.sid, name: 'ann' }, offset],
      ['/', 'joined', { room: 'general', name: 'bob' }, offset],
      said('ann', 'hello bob'),
      said('bob', 'hi ann'),
      ['/', 'left', { room: 'general', name: 'bob' }, offset],
    ]);
    expect(clients.bob.events).toEqual([
      ['/', 'welcome', { id: clients.bob.sid, name: 'bob' }, offset],
      said('ann', 'hello bob'),
      said('bob', 'hi ann'),
      gone,
    ]);
    expect(clients.eve.events).toEqual([
      ['/', 'welcome', { id: clients.eve.sid, name: 'eve' }, offset],
      gone,
    ]);

    chat.kill('SIGTERM');
    expect(await chat.exited()).toEqual({ code: 0, signal: null });
  }, 120_000); // the script's own waits end within 20 s each
});
