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
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';

const resources = new Resources();
afterEach(() => resources.stopAll());
const cwd = fileURLToPath(new URL('..', import.meta.url));

interface Hello {
  worker: number;
  pid: number;
}

async function startService(env: Record<string, string> = {}) {
  const service = startProcess(resources, process.execPath, ['dist/main.js'], {
    cwd,
    env: { PORT: '0', ...env },
  });
  const [, port] = await service.waitForOutput(/cluster primary listening on \S+:(\d+)/);
  await service.waitForOutput(
    /serving cluster worker 1 [\s\S]*serving cluster worker 2 |serving cluster worker 2 [\s\S]*serving cluster worker 1 /,
  );
  return { service, url: `http://127.0.0.1:${port}` };
}

/** Connects default clients (HTTP long-polling first) until every wanted worker serves one. */
async function clientsOn(url: string, workers: number, auth: object = {}, reconnection = false) {
  const byWorker = new Map<number, Array<{ socket: ClientSocket; hello: Hello }>>();
  for (let i = 0; i < 12 && byWorker.size < workers; i++) {
    const socket = client(resources, url, { auth, reconnection });
    const hello = nextEvent<[Hello]>(socket, 'hello');
    await connected(socket);
    const [info] = await hello;
    byWorker.set(info.worker, [...(byWorker.get(info.worker) ?? []), { socket, hello: info }]);
  }
  expect(byWorker.size).toBe(workers);
  return byWorker;
}

function counting(socket: ClientSocket, event: string) {
  const seen: unknown[] = [];
  socket.on(event, (...args: unknown[]) => seen.push(args[0]));
  return seen;
}

describe('examples/micro-workers (@SERVICE({ workers: 2 }) with MicroSocket.publish)', () => {
  it('delivers a publish to the members on both workers exactly once, and relays Micro.message', async () => {
    const { service, url } = await startService();

    const members = await clientsOn(`${url}/blog`, 2, { member: true });
    const [workerA, workerB] = [...members.keys()] as [number, number];
    // one more member on each worker, so each side has a receiver besides the sender
    for (const worker of [workerA, workerB]) {
      while ((members.get(worker) ?? []).length < 2) {
        const more = await clientsOn(`${url}/blog`, 1, { member: true });
        for (const [w, list] of more) members.set(w, [...(members.get(w) ?? []), ...list]);
      }
    }
    const all = [...members.values()].flat();
    const updates = new Map(all.map(({ socket }) => [socket, counting(socket, 'ArticleUpdated')]));

    const sender = members.get(workerA)![0]!.socket;
    expect(await request(sender, 'ArticleUpdated', 'a1')).toEqual({ published: 'a1', worker: workerA });
    // Barriers on every path a copy of 'a1' could take: one more publish from the same sender
    // (one worker's IPC messages and emits keep their order, so a late duplicate of 'a1' from
    // worker A would arrive before it), and one from the other worker.
    expect(await request(sender, 'ArticleUpdated', 'fence-a')).toEqual({
      published: 'fence-a',
      worker: workerA,
    });
    const closer = members.get(workerB)![0]!.socket;
    expect(await request(closer, 'ArticleUpdated', 'sentinel')).toEqual({
      published: 'sentinel',
      worker: workerB,
    });
    await waitFor('both barriers on every other member', () =>
      all.every(
        ({ socket }) =>
          (socket === sender || updates.get(socket)!.includes('fence-a')) &&
          (socket === closer || updates.get(socket)!.includes('sentinel')),
      ),
    );
    for (const { socket } of all) {
      expect(updates.get(socket)!.filter((id) => id === 'a1')).toHaveLength(socket === sender ? 0 : 1);
    }

    const visitors = await clientsOn(url, 2);
    const announcements = [...visitors.values()].flat().map(({ socket, hello }) => ({
      hello,
      next: nextEvent<[{ text: string; deliveredBy: number }]>(socket, 'announcement'),
    }));
    const announcer = visitors.get(workerB)![0]!.socket;
    expect(await request(announcer, 'announce', 'hi')).toEqual({ announced: 'hi', worker: workerB });
    for (const { hello, next } of announcements) {
      expect((await next)[0]).toEqual({ text: 'hi', deliveredBy: hello.worker });
    }
    await service.waitForOutput(/ignored the worker message 'nobody-listens'/);
    expect(service.output()).not.toMatch(/exited with/);
  });

  it("Micro.message('restart') replaces the workers one at a time: their clients drain, reconnect to the new ones; exits 0, nothing re-replaced", async () => {
    const { service, url } = await startService({ RESTART_TOKEN: 'operators-secret' });
    // socket.io-client's own reconnection (default delays), and no code of the app for it
    const visitors = [...(await clientsOn(url, 2, {}, true)).values()].flat();
    const oldPids = visitors.map(({ hello }) => hello.pid);
    const watched = visitors.map(({ socket }) => {
      const reasons: string[] = [];
      socket.on('disconnect', (reason) => reasons.push(reason));
      return { socket, reasons, hellos: counting(socket, 'hello') as Hello[] };
    });
    // What a client sends in `auth` is its own choice: only the operators' secret restarts.
    for (const auth of [
      {},
      { admin: true },
      { restartToken: 'guess' },
      { restartToken: ['operators-secret'] },
    ]) {
      const forbidden = await connected(client(resources, url, { auth }));
      expect(await request(forbidden, 'restartWorkers')).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    expect(service.output()).not.toMatch(/rolling restart/);
    const operator = await connected(client(resources, url, { auth: { restartToken: 'operators-secret' } }));
    expect(await request(operator, 'restartWorkers')).toMatchObject({ restarting: true });

    await service.waitForOutput(/rolling restart done \(1 → 3, 2 → 4\)/, 30_000);
    for (const { socket, reasons, hellos } of watched) {
      await waitFor('back on a new worker', () => socket.connected && hellos.length > 0, { timeout: 10_000 });
      // Each client is moved once, by itself: it reconnects to a worker that stays.
      expect(reasons).toEqual(['transport close']);
      expect([3, 4]).toContain(hellos[0]!.worker);
      expect(oldPids).not.toContain(hellos[0]!.pid);
    }
    const output = service.output();
    expect(output.match(/service exited with signal: SIGTERM, code: 0/g)).toHaveLength(2);
    expect(output).toMatch(/worker 1 \(pid \d+\) exited with code 0, retired by a rolling restart/);
    expect(output).toMatch(/worker 2 \(pid \d+\) exited with code 0, retired by a rolling restart/);
    // Not relayed to the other worker's @WORKER_MSG listener, and nothing replaced twice.
    expect(output).not.toMatch(/ignored the worker message 'restart'|replacing it in|SIGKILL/);
    const after = await clientsOn(url, 2);
    expect([...after.keys()].sort()).toEqual([3, 4]);
  });

  it('replaces a worker that dies, and stops every worker and exits 0 on SIGTERM', async () => {
    const { service, url } = await startService();
    // Started without RESTART_TOKEN: nobody restarts the workers through the event.
    const anyone = await connected(client(resources, url, { auth: { restartToken: '' } }));
    expect(await request(anyone, 'restartWorkers')).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const visitors = await clientsOn(url, 2);
    const [victim] = [...visitors.values()][0]!;
    const gone = nextEvent(victim!.socket, 'disconnect');
    process.kill(victim!.hello.pid, 'SIGKILL');
    await gone;
    await service.waitForOutput(/serving cluster worker 3 /);
    const after = await clientsOn(url, 2);
    expect([...after.keys()]).toContain(3);

    const sockets = [...after.values()].flat().map(({ socket }) => socket);
    const down = sockets.map((socket) => nextEvent(socket, 'disconnect'));
    service.kill('SIGTERM');
    expect(await service.exited(5_000)).toEqual({ code: 0, signal: null });
    await Promise.all(down);
    expect(service.output()).toMatch(
      /service exited with signal: SIGTERM, code: 0[\s\S]*service exited with signal: SIGTERM, code: 0/,
    );
  });
});
