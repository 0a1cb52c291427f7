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
const script = (name: string) => fileURLToPath(new URL(`./python/${name}`, import.meta.url));

interface ClientReport {
  worker: number;
  /** The worker named by the engine.io session id, which the primary routes by. */
  sticky_worker: number;
  transport: 'websocket' | 'polling';
  /** Everything the client's listeners received: `[namespace, event, ...arguments]`. */
  events: unknown[][];
}

const describePython = await describeWithPythonSocketio();

describePython('examples/micro-workers with python-socketio 5.7 clients', () => {
  it('polls through the sticky primary, upgrades, and gets each publish exactly once on both workers', async () => {
    const service = startProcess(resources, process.execPath, ['dist/main.js'], { cwd, env: { PORT: '0' } });
    const [, port] = await service.waitForOutput(/cluster primary listening on \S+:(\d+)/);
    await service.waitForOutput(/serving cluster worker \d[\s\S]*serving cluster worker \d/);

    const python = startPython(resources, script('publish.py'), [`http://127.0.0.1:${port}`]);
    const { acks, clients } = await pythonReport<{
      acks: Record<string, unknown>;
      clients: Record<string, ClientReport>;
    }>(python);

    // acks by return value, and a SocketError as `{ error: { code, message } }`
    expect(acks).toEqual({
      a1: { published: 'a1', worker: 1 },
      b1: { published: 'b1', worker: 2 },
      'bad id': { error: { code: 'BAD_ID', message: 'an article id is a string' } },
      'announce from 1': { announced: 'barrier 1', worker: 1 },
      'announce from 2': { announced: 'barrier 2', worker: 2 },
    });

    const kinds = ['upgraded', 'polling', 'visitor'];
    expect(Object.keys(clients).sort()).toEqual(
      [1, 2].flatMap((worker) => kinds.map((kind) => `${kind} on worker ${worker}`)).sort(),
    );
    for (const [name, { worker, sticky_worker, transport }] of Object.entries(clients)) {
      // Every request, the first polling one and the websocket upgrade, reached the worker
      // that owns the session: an upgrade routed elsewhere would have left the client polling.
      expect({ name, sticky_worker, transport }).toEqual({
        name,
        sticky_worker: worker,
        transport: name.startsWith('polling') ? 'polling' : 'websocket',
      });
    }

    // Counted after the barrier (both workers' announcements, which every connection receives
    // after the updates): each member got each update it did not send once, visitors none.
    const updates = (name: string) =>
      clients[name]!.events.filter(([, event]) => event === 'ArticleUpdated').map(([, , id]) => id as string);
    expect(updates('upgraded on worker 1')).toEqual(['b1']); // sent a1
    expect(updates('polling on worker 2')).toEqual(['a1']); // sent b1
    expect(updates('polling on worker 1').sort()).toEqual(['a1', 'b1']);
    expect(updates('upgraded on worker 2').sort()).toEqual(['a1', 'b1']);
    expect(updates('visitor on worker 1')).toEqual([]);
    expect(updates('visitor on worker 2')).toEqual([]);

    // What a python-socketio listener receives: with connection state recovery on (the
    // default), every event carries socket.io's recovery offset as one more argument. An ack
    // answer does not (see `acks` above).
    expect(clients['visitor on worker 2']!.events.slice(0, 2)).toEqual([
      ['/', 'hello', { worker: 2, pid: expect.any(Number) }, expect.any(String)],
      ['/blog', 'hello', { worker: 2, pid: expect.any(Number) }, expect.any(String)],
    ]);
    for (const { events } of Object.values(clients)) {
      for (const [namespace, event, ...args] of events) {
        // each of these events is emitted with one argument
        expect({ namespace, event, args }).toEqual({
          namespace,
          event,
          args: [expect.anything(), expect.stringMatching(/^[\w-]+(\.\d+)?$/)],
        });
      }
    }
  }, 120_000); // the script's own waits end within 20 s each
});
