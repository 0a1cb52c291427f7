// Child processes driven over IPC: each answers `{ id, cmd, params }` with `{ id, result | error }`.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Handler = (params: any) => unknown;

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

/** The child side: answers the parent's commands; leaves when the parent goes away. */
export function serve(handlers: Record<string, Handler>, ready: () => unknown): void {
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (msg: { id: number; cmd: string; params?: unknown }) => {
    if (!msg || typeof msg.id !== 'number') return;
    let reply: Reply;
    try {
      if (msg.cmd === 'exit') {
        process.send?.({ id: msg.id, result: true }, () => process.exit(0));
        return;
      }
      const handler = handlers[msg.cmd];
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      reply = { id: msg.id, result: await handler(msg.params ?? {}) };
    } catch (err) {
      reply = { id: msg.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
    process.send?.(reply);
  });
  Promise.resolve(ready()).then(
    (info) => process.send?.({ id: 0, result: info }),
    (err) => process.send?.({ id: 0, error: String(err?.stack ?? err) }),
  );
}

export interface StartOptions {
  name: string;
  args?: string[];
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Milliseconds to wait for the child's ready message. */
  timeout?: number;
  /** With BENCH_PROFILE=<dir>: write a V8 CPU profile of this process under <dir>/<name>/. */
  profile?: boolean;
}

function profileArgs(options: StartOptions): string[] {
  const dir = process.env.BENCH_PROFILE;
  if (!dir || !options.profile) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir, options.name)}`];
}

/** A child process started by the bench, stopped by {@link Fleet.stopAll} at the latest. */
export class Child<Ready = unknown> {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  ready!: Ready;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    process.on('message', (msg: Reply) => {
      const waiter = this.#pending.get(msg?.id);
      if (!waiter) return;
      this.#pending.delete(msg.id);
      if (msg.error !== undefined) waiter.reject(new Error(`${name}: ${msg.error}`));
      else waiter.resolve(msg.result);
    });
    process.on('exit', (code, signal) => {
      for (const waiter of this.#pending.values())
        waiter.reject(new Error(`${name} exited (code ${code}, signal ${signal})`));
      this.#pending.clear();
    });
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  #wait<T>(id: number, what: string, timeout: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${what} within ${timeout} ms`));
      }, timeout);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  waitReady(timeout: number): Promise<Ready> {
    return this.#wait<Ready>(0, 'start-up', timeout).then((ready) => {
      this.ready = ready;
      return ready;
    });
  }

  request<T = unknown>(cmd: string, params: object = {}, timeout = 60_000): Promise<T> {
    const id = this.#next++;
    const answer = this.#wait<T>(id, cmd, timeout);
    this.process.send({ id, cmd, params });
    return answer;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.process, 'exit');
    try {
      await this.request('exit', {}, 2_000);
    } catch {
      // it is stopped below either way
    }
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Every child the bench started, so that none outlives it. */
export class Fleet {
  readonly #children = new Set<Child<any>>();

  async start<Ready = unknown>(script: string, options: StartOptions): Promise<Child<Ready>> {
    const child = fork(fileURLToPath(new URL(script, import.meta.url)), options.args ?? [], {
      execArgv: [...(options.execArgv ?? []), ...profileArgs(options)],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const handle = new Child<Ready>(options.name, child);
    this.#children.add(handle);
    child.on('exit', () => this.#children.delete(handle));
    try {
      await handle.waitReady(options.timeout ?? 20_000);
    } catch (err) {
      await this.stop(handle);
      throw err;
    }
    return handle;
  }

  async stop(child: Child<any> | undefined): Promise<void> {
    if (!child) return;
    await child.stop();
    this.#children.delete(child);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#children].map((c) => this.stop(c)));
  }

  /** Last resort on an abrupt exit of the bench itself. */
  killAll(): void {
    for (const child of this.#children) if (child.alive) child.process.kill('SIGKILL');
  }
}
