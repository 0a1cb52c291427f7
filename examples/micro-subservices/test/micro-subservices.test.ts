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

async function startService() {
  const service = startProcess(resources, process.execPath, ['dist/main.js'], { cwd, env: { PORT: '0' } });
  const [, port] = await service.waitForOutput(/socket\.io listening on \S+:(\d+)/);
  return { service, url: `http://127.0.0.1:${port}` };
}

describe('examples/micro-subservices (CommonJS, handlers in sub services)', () => {
  it('binds the main service and each sub service to its own namespaces and instance', async () => {
    const { service, url } = await startService();
    const main = await connected(client(resources, url));
    expect(await request(main, 'whoami')).toEqual({ service: 'Main', module: 'commonjs', id: main.id });
    // The sub services' events are not on the main server: an acked emit is answered as unknown.
    expect(await request(main, 'someevent')).toMatchObject({ error: { code: 'ERR_UNKNOWN_EVENT' } });

    const ns01 = await connected(client(resources, `${url}/ns01`));
    expect(await request(ns01, 'someevent', 1, 'x')).toEqual({
      by: 'SubServiceA',
      namespace: '/ns01',
      args: [1, 'x'],
      handled: 1,
    });
    const ns03 = await connected(client(resources, `${url}/ns03`));
    expect(await request(ns03, 'someevent')).toEqual({
      by: 'SubServiceB',
      namespace: '/ns03',
      args: [],
      handled: 1,
    });

    // ns02 is shared: both sub services greet, both handle the event, each with its own state.
    const ns02 = client(resources, `${url}/ns02`);
    const hellos: string[] = [];
    const handled: Array<{ by: string; handled: number }> = [];
    ns02.on('hello', (by: string) => hellos.push(by));
    ns02.on('handled', (value: { by: string; handled: number }) => handled.push(value));
    await connected(ns02);
    ns02.emit('someevent', 'shared');
    await waitFor('both handlers', () => handled.length === 2 && hellos.length === 2);
    expect(hellos).toEqual(['SubServiceA', 'SubServiceB']);
    expect(handled).toEqual([
      { by: 'SubServiceA', namespace: '/ns02', args: ['shared'], handled: 2 },
      { by: 'SubServiceB', namespace: '/ns02', args: ['shared'], handled: 2 },
    ]);

    const down = nextEvent(ns02, 'disconnect');
    service.kill('SIGTERM');
    expect(await service.exited()).toEqual({ code: 0, signal: null });
    await down;
  });

  it('MicroSocket.publish in a single process: local only with includeSelf, bad messages refused without a crash', async () => {
    const { service, url } = await startService();
    const main = await connected(client(resources, url));
    const reader = client(resources, `${url}/ns01`);
    const news: unknown[] = [];
    reader.on('news', (text: unknown) => news.push(text));
    await connected(reader);

    expect(await request(main, 'broadcast', 'hello')).toEqual({ published: true });
    await waitFor('the news', () => news.length > 0);
    expect(await request(main, 'bad publish')).toEqual({
      error: { name: 'MicroSocketError', code: 'ERR_PUBLISH_INVALID' },
    });
    await service.waitForOutput(/'disconnect' is a reserved socket\.io event name/);
    // A round trip after both: the process is up, and the message without includeSelf stayed here.
    expect(await request(main, 'whoami')).toMatchObject({ service: 'Main' });
    expect(news).toEqual(['hello']);
  });
});
