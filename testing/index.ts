// Test tools shared by every package and example: real clients, real processes, deadlines.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import {
  type Socket as ClientSocket,
  io as connect,
  type ManagerOptions,
  type SocketOptions,
} from 'socket.io-client';

/** Polls `check` until it returns a truthy value or the deadline passes; then throws with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeout = 5_000, interval = 10 }: { timeout?: number; interval?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Resolves with the arguments of the next `event`, or rejects after `timeout` ms. */
export async function nextEvent<T extends unknown[] = unknown[]>(
  emitter: {
    once(event: string, listener: (...args: any[]) => void): unknown;
    off(event: string, listener: (...args: any[]) => void): unknown;
  },
  event: string,
  timeout = 5_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeout} ms waiting for '${event}'`));
    }, timeout);
    emitter.once(event, listener);
  });
}

/** Everything a test started, stopped in reverse order by `stopAll()` (call it in afterEach). */
export class Resources {
  #stops: Array<() => unknown> = [];

  add<T>(value: T, stop: (value: T) => unknown): T {
    this.#stops.push(() => stop(value));
    return value;
  }

  async stopAll(): Promise<void> {
    const stops = this.#stops.reverse();
    this.#stops = [];
    for (const stop of stops) {
      try {
        await stop();
      } catch {
        // keep stopping the rest
      }
    }
  }
}

/** A socket.io-client that the resources close; connects lazily unless `autoConnect` is true. */
export function client(
  resources: Resources,
  url: string,
  options: Partial<ManagerOptions & SocketOptions> = {},
): ClientSocket {
  return resources.add(connect(url, { reconnection: false, forceNew: true, ...options }), (socket) => {
    socket.disconnect();
  });
}

/** Connects a client and resolves once it is connected; rejects with the connect_error. */
export async function connected(socket: ClientSocket, timeout = 5_000): Promise<ClientSocket> {
  if (socket.connected) return socket;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`client did not connect within ${timeout} ms`)), timeout);
    const onConnect = () => done();
    const onError = (err: Error) => done(err);
    function done(err?: Error) {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      if (err) reject(err);
      else resolve(socket);
    }
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
    if (!socket.active) socket.connect();
  });
}

/** An ack round trip with a deadline. */
export function request<T = unknown>(socket: ClientSocket, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(5_000).emitWithAck(event, ...args) as Promise<T>;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** The process's `HEALTH_CHECK_DIR`: where a Micro service writes its `__health` file. */
  readonly healthDir: string;
  /** Everything the process printed so far, stdout and stderr together. */
  output(): string;
  /** Waits until the output matches; returns the match. */
  waitForOutput(pattern: RegExp, timeout?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal) once the process exited. */
  exited(timeout?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts a real child process; the resources kill it (SIGKILL) if the test did not stop it.
 * `HEALTH_CHECK_DIR` is a temporary folder of its own (`healthDir`), removed afterwards, so a Micro
 * service writes its `__health` file there rather than into the example's folder.
 */
export function startProcess(
  resources: Resources,
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): RunningProcess {
  const healthDir = resources.add(mkdtempSync(join(tmpdir(), 'micro-socket-health-')), (dir) =>
    rmSync(dir, { recursive: true, force: true }),
  );
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, HEALTH_CHECK_DIR: healthDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const running: RunningProcess = {
    child,
    healthDir,
    output: () => text,
    waitForOutput: (pattern, timeout = 15_000) =>
      waitFor(
        `output ${pattern} from ${command} ${args.join(' ')}\n--- output so far ---\n${text}`,
        () => text.match(pattern),
        {
          timeout,
          interval: 20,
        },
      ).catch((err) => {
        throw new Error(`${(err as Error).message.split('\n')[0]}\n--- output ---\n${text}`);
      }),
    exited: async (timeout = 10_000) => {
      const timer = new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`process did not exit within ${timeout} ms\n--- output ---\n${text}`)),
          timeout,
        ).unref(),
      );
      const [code, signal] = await Promise.race([exit, timer]);
      return { code, signal };
    },
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  resources.add(running, async (p) => {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await exit;
    }
  });
  return running;
}

/** The Redis of the tests: `REDIS_URL`, else `redis://127.0.0.1:6379`. */
export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** Whether a Redis answers PING at `url` (`redis://[user:pass@]host:port`), over a raw socket. */
export async function redisAnswers(url: string = testRedisUrl(), timeout = 2_000): Promise<boolean> {
  const { hostname, port, password } = new URL(url);
  const { connect: connectTcp } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connectTcp({
      host: hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: Number(port || 6379),
    });
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeout);
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      if (password) socket.write(`AUTH ${decodeURIComponent(password)}\r\n`);
      socket.write('PING\r\n');
    });
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (reply.includes('+PONG')) done(true);
      else if (reply.includes('-')) done(false);
    });
    socket.on('error', () => done(false));
  });
}

/**
 * Tests that need something this repository does not install (a Redis, a browser, a client in
 * another language): `describe` when `missing()` finds nothing missing; otherwise it prints why
 * and skips, except under CI (`process.env.CI` set), where the missing thing is a failing test.
 * `missing` answers `undefined` when all is there, or the reason and how to get it.
 */
export async function describeNeeding(
  what: string,
  missing: () => string | undefined | Promise<string | undefined>,
): Promise<(title: string, body: () => void) => void> {
  const { describe, test } = await import('vitest');
  const why = await missing();
  if (why === undefined) return describe;
  if (process.env.CI) {
    return (title) =>
      describe(title, () => {
        test(`needs ${what}`, () => {
          throw new Error(`${why}; CI requires it`);
        });
      });
  }
  console.warn(`${why}: skipping the tests that need ${what}`);
  return describe.skip;
}

/** Tests that need Redis at `url` ({@link describeNeeding}). */
export function describeWithRedis(url: string = testRedisUrl()) {
  return describeNeeding('Redis', async () =>
    (await redisAnswers(url)) ? undefined : `Redis is not reachable at ${url} (start one, or set REDIS_URL)`,
  );
}

/** The Chromium the browser tests drive: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export function testChromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/** Tests that drive Chromium through playwright-core ({@link describeNeeding}). */
export function describeWithChromium() {
  const path = testChromiumPath();
  return describeNeeding('Chromium', async () => {
    const { access, constants } = await import('node:fs/promises');
    return access(path, constants.X_OK).then(
      () => undefined,
      () => `Chromium is not installed at ${path} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
    );
  });
}

/**
 * The Python of the python-socketio tests: `PYTHON`, else Debian's `/usr/bin/python3` (the one
 * `apt-get install python3-socketio` installs into, whatever `python3` is first on the PATH).
 */
export function testPython(): string {
  return process.env.PYTHON ?? '/usr/bin/python3';
}

/** Tests that run python-socketio clients with {@link testPython} ({@link describeNeeding}). */
export function describeWithPythonSocketio() {
  const python = testPython();
  return describeNeeding('python-socketio', async () => {
    const { execFile } = await import('node:child_process');
    const failure = await new Promise<string | undefined>((resolve) =>
      execFile(
        python,
        ['-c', 'import socketio, websocket, requests'],
        { timeout: 10_000 },
        (err, _, stderr) => resolve(err ? (stderr.trim().split('\n').pop() ?? err.message) : undefined),
      ),
    );
    return (
      failure &&
      `python-socketio is not usable with ${python}: ${failure} (apt-get install -y python3-socketio python3-websocket python3-requests, or set PYTHON)`
    );
  });
}

/** The test kit's python modules (`socketio_recorder`), put on the PYTHONPATH of {@link startPython}. */
const KIT_PYTHON_PATH = fileURLToPath(new URL('./python', import.meta.url));

/**
 * Runs a python-socketio scenario script (`script args…`) with {@link testPython} as a real
 * process; the kit's `socketio_recorder` module is importable. Read its result with
 * {@link pythonReport}.
 */
export function startPython(resources: Resources, script: string, args: string[] = []): RunningProcess {
  return startProcess(resources, testPython(), ['-u', script, ...args], {
    env: { PYTHONPATH: KIT_PYTHON_PATH, PYTHONDONTWRITEBYTECODE: '1' },
  });
}

/** Waits for a {@link startPython} script to exit 0 and returns the JSON of its `REPORT` line. */
export async function pythonReport<T>(python: RunningProcess, timeout = 90_000): Promise<T> {
  const { code, signal } = await python.exited(timeout);
  const line = /^REPORT (.*)$/m.exec(python.output());
  if (code !== 0 || !line) {
    throw new Error(`the python script exited with ${code ?? signal}\n--- output ---\n${python.output()}`);
  }
  return JSON.parse(line[1]!) as T;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same hostile traffic, so a fuzz failure replays from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** What @asyncapi/parser 3 reports about a document, each diagnostic as `path: message`. */
export interface AsyncApiDiagnostics {
  /** Severity 0: the document is not valid AsyncAPI. */
  readonly errors: string[];
  /** Severity 1: valid, but a rule of the parser's ruleset advises otherwise. */
  readonly warnings: string[];
}

/**
 * Parses an AsyncAPI document (JSON text or a value) with @asyncapi/parser 3, the parser the
 * AsyncAPI tools use, and returns its errors and warnings (information and hints left out).
 * Loaded on first call: the parser is heavy and most tests never need it.
 */
export async function asyncApiDiagnostics(document: string | object): Promise<AsyncApiDiagnostics> {
  const { Parser } = await import('@asyncapi/parser');
  const text = typeof document === 'string' ? document : JSON.stringify(document);
  const { diagnostics } = await new Parser().parse(text);
  const at = (severity: number) =>
    diagnostics.filter((d) => d.severity === severity).map((d) => `${d.path.join('.')}: ${d.message}`);
  return { errors: at(0), warnings: at(1) };
}

export { type PollingSession, pollingSession } from './polling';
export { startTcpProxy, type TcpProxy, type TcpUpstream } from './tcp-proxy';

/** core from its sources, its subpath entries (`/internal`) included: the default aliases of {@link bundleFixture}. */
export const CORE_SOURCES: Readonly<Record<string, string>> = Object.freeze({
  '@pestras/micro-socket-core': fileURLToPath(new URL('../packages/core/src', import.meta.url)),
});

/** A fixture bundled by {@link bundleFixture}: its path, and how to remove it. */
export interface BundledFixture {
  readonly path: string;
  remove(): void;
}

/**
 * Bundles a TypeScript fixture (a worker script a test forks) into an ES module, in a directory
 * of its own under the package's `node_modules` (so its external imports resolve there, and
 * runs in parallel do not share it). `alias` maps package names to sources (core's by default),
 * so the fixture runs the code under test rather than a build. Call `remove()` when done.
 *
 * @example
 * ```ts
 * const worker = bundleFixture(new URL('./fixtures/worker.ts', import.meta.url), new URL('..', import.meta.url));
 * afterAll(() => worker.remove());
 * ```
 */
export function bundleFixture(
  entry: URL,
  packageDir: URL,
  alias: Record<string, string> = CORE_SOURCES,
): BundledFixture {
  const root = fileURLToPath(new URL('node_modules/.fixtures/', packageDir));
  mkdirSync(root, { recursive: true });
  const name = fileURLToPath(entry).split('/').pop()!.replace(/\.ts$/, '');
  const path = join(mkdtempSync(join(root, `${name}-`)), `${name}.mjs`);
  buildSync({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    alias: { ...alias },
    outfile: path,
    logLevel: 'error',
  });
  return { path, remove: () => rmSync(dirname(path), { recursive: true, force: true }) };
}
export { browserLikeClient } from './browser-like';
