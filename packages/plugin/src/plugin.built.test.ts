// MicroSocket inside real Micro services: child processes running fixtures/ against the built
// package (build it first). @pestras/micro is never imported here: its import installs process
// handlers that would end the test worker.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  client,
  connected,
  nextEvent,
  Resources,
  type RunningProcess,
  request,
  startProcess,
  waitFor,
} from '@pestras/micro-socket-testing';
import { afterEach, describe, expect, it } from 'vitest';

const resources = new Resources();
afterEach(() => resources.stopAll());
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

function startService(scenario: string, env: Record<string, string> = {}) {
  return startProcess(resources, process.execPath, ['service.cjs'], {
    cwd: fixtures,
    env: { SCENARIO: scenario, PORT: '0', ...env },
  });
}

async function listening(service: ReturnType<typeof startService>) {
  const [, port] = await service.waitForOutput(/socket\.io listening on \S+:(\d+)/);
  return `http://127.0.0.1:${port}`;
}

/** A port some other server holds for the rest of the test. */
async function takenPort(): Promise<number> {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  resources.add(taken, (server) => new Promise((resolve) => server.close(resolve)));
  return (taken.address() as { port: number }).port;
}

const readHealth = (service: RunningProcess) => () =>
  JSON.parse(readFileSync(join(service.healthDir, '__health'), 'utf8'));

/** A service that could not start reports itself unhealthy but live, and still stops cleanly. */
async function expectUnhealthyThenStop(service: RunningProcess): Promise<void> {
  expect(await waitFor('the health file', readHealth(service))).toEqual({
    healthy: false,
    ready: false,
    live: true,
  });
  service.kill('SIGTERM');
  expect(await service.exited()).toEqual({ code: 0, signal: null });
}

describe('MicroSocket in a Micro service (CommonJS)', () => {
  it('provides Micro.plugin, refuses publish before start, and reports health', async () => {
    const service = startService('default');
    await listening(service);
    expect(service.output()).toContain('typeof Micro.plugin: function');
    expect(service.output()).toContain('early publish: ERR_NOT_STARTED');
    expect(await waitFor('the health file', readHealth(service))).toEqual({
      healthy: true,
      ready: true,
      live: true,
    });
  });

  it('closes its sockets when the service calls Micro.exit, then exits with its code; clients reconnect by themselves to the service started again', async () => {
    const service = startService('default');
    const url = await listening(service);
    const socket = await connected(
      client(resources, url, { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 300 }),
    );
    const down = nextEvent<[string]>(socket, 'disconnect');
    expect(await request(socket, 'exit', 3)).toEqual({ exiting: 3 });
    expect(await service.exited()).toEqual({ code: 3, signal: null });
    // the connection closed without socket.io's DISCONNECT: socket.io-client tries again
    expect((await down)[0]).toBe('transport close');
    expect(service.output()).toMatch(/service exited with signal: SIGUSR2, code: 3/);
    expect(socket.active).toBe(true);

    const again = startService('default', { PORT: new URL(url).port });
    expect(await listening(again)).toBe(url);
    await waitFor('the client reconnected to the service started again', () => socket.connected, {
      timeout: 10_000,
    });
    expect(await request(socket, 'exit', 0)).toEqual({ exiting: 0 });
  });

  it('exits on SIGTERM though a handler never finishes: exitTimeout cuts it off', async () => {
    const service = startService('exit-timeout');
    const socket = await connected(client(resources, await listening(service)));
    socket.emit('slow');
    await service.waitForOutput(/slow handler started/);
    service.kill('SIGTERM');
    // The handler would run 60 s: exiting at all is the cut-off (exitTimeout 300 ms here). How
    // long a shutdown takes is a figure for the docs, not a wall-clock assertion on 2 busy cores.
    expect(await service.exited(20_000)).toEqual({ code: 0, signal: null });
  });

  // Guards against the mutation "exitTimeout ignored" (the default 2 s used instead), by order of
  // events rather than by wall clock: the handler outlives the default by 2.5 s, so with the
  // default the process would exit before the handler's answer.
  it('waits for a running handler up to exitTimeout, even beyond the default', async () => {
    const service = startService('exit-timeout-long');
    const socket = await connected(client(resources, await listening(service)));
    const answer = socket.timeout(20_000).emitWithAck('finishing');
    await service.waitForOutput(/finishing handler started/);
    service.kill('SIGTERM');
    const first = await Promise.race([answer, service.exited(20_000).then(() => 'the process exited first')]);
    expect(first).toBe('finished');
    expect(await service.exited(20_000)).toEqual({ code: 0, signal: null });
  });

  it('reports itself unhealthy, and keeps the service up, when it cannot start', async () => {
    const service = startService('no-http-server');
    await service.waitForOutput(/MicroSocket: .*the http server function returned no server/);
    await expectUnhealthyThenStop(service);
  });

  it('exits 1 by default when its port is taken, so that an orchestrator restarts it', async () => {
    const port = await takenPort();
    const service = startService('default', { PORT: String(port) });
    expect(await service.exited()).toEqual({ code: 1, signal: null });
    // the address and the reason, then the exit
    expect(service.output()).toMatch(
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*exiting \\(exitOnStartFailure\\)`),
    );
  });

  it('keeps running without sockets on a taken port with exitOnStartFailure: false', async () => {
    const port = await takenPort();
    const service = startService('port-taken-keep-running', { PORT: String(port) });
    await service.waitForOutput(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));
    await expectUnhealthyThenStop(service);
  });

  it('logs a publish failure once when fired and forgotten, and not at all when the caller catches it', async () => {
    const service = startService('publish-failures');
    const socket = await connected(client(resources, await listening(service)));
    expect(await request(socket, 'publish-failures')).toBe('done');
    await service.waitForOutput(/publish failures done/);
    const output = service.output();
    expect(output.match(/^caught: ERR_PUBLISH_INVALID$/gm)).toHaveLength(2);
    const logged = output.split('\n').filter((line) => line.startsWith('LOGGED ERROR:'));
    expect(logged.sort()).toEqual([
      "LOGGED ERROR: MicroSocket.publish: publish: 'connect_error' is a reserved socket.io event name",
      "LOGGED ERROR: MicroSocket.publish: publish: 'newListener' is a reserved socket.io event name",
    ]);
  });

  it('exits 1 instead of looping forever when Micro.start fails before creating the service', async () => {
    const service = startService('no-service');
    expect(await service.exited(5_000)).toEqual({ code: 1, signal: null });
    expect(service.output().match(/reading 'onExit'/g)).toBeNull();
  });
});

describe('MicroSocket loaded twice (ESM and CJS builds in one process)', () => {
  it('patches Micro once and recognises both copies', async () => {
    const run = startProcess(resources, process.execPath, ['dual.mjs'], { cwd: fixtures });
    const exit = await run.exited();
    expect(run.output()).not.toMatch(/Error/);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(JSON.parse(run.output().trim())).toEqual({
      twoCopies: true,
      patchedOnce: true,
      plugin: 'function',
      recognised: true,
    });
  });
});
