// The AsyncAPI document of every example parses with @asyncapi/parser 3 without errors, and is
// the example's: it describes (at least) the events its row lists. Each folder of examples/ needs
// a row below: a new example without one fails the first test.
//
// How the document is had, from the example's build (`pnpm build` first):
// - served: the example serves it at /asyncapi.json (the `asyncapi` option); it is started on
//   port 0, as its own test starts it, and asked.
// - printed: the two seed mirrors that show the plug-in's defaults (`new MicroSocket()` and
//   `new MicroSocket(null, () => server)`, as the seed README writes them) serve none. They run
//   with test/print-asyncapi.mjs preloaded: a Micro plugin, initialized before theirs, that writes
//   the document of the services Micro created (what `asyncapi: { path }` would serve) and exits
//   before anything listens.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  asyncApiDiagnostics,
  describeWithRedis,
  Resources,
  startProcess,
  testRedisUrl,
  waitFor,
} from '@pestras/micro-socket-testing';
import { afterEach, describe, expect, it } from 'vitest';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
const printer = fileURLToPath(new URL('../test/print-asyncapi.mjs', import.meta.url));

interface Example {
  /** `served` at /asyncapi.json, or `printed` by the preloaded plugin. */
  readonly document: 'served' | 'printed';
  /** The served example needs Redis: it gets `REDIS_URL` and key prefixes of its own. */
  readonly redis?: true;
  /** Events clients send, as `namespace event`: the document has these (more may come). */
  readonly receives: readonly string[];
  /** Events the server declares it sends (`emits`), as `namespace event`: likewise. */
  readonly sends?: readonly string[];
}

const EXAMPLES: Readonly<Record<string, Example>> = {
  standalone: {
    document: 'served',
    receives: ['/ join', '/ leave', '/ say'],
    sends: ['/ welcome', '/ joined', '/ left', '/ message', '/ presence'],
  },
  'micro-chat': {
    document: 'served',
    receives: ['/ join', '/ leave', '/ say', '/ whisper', '/ here'],
    sends: ['/ welcome', '/ joined', '/ present', '/ left', '/ message', '/ whisper'],
  },
  'micro-basic': { document: 'printed', receives: ['/ userLoggedIn', '/ admin', '/blog newArticle'] },
  'micro-http-server': { document: 'printed', receives: ['/ articles'] },
  'micro-subservices': {
    document: 'served',
    receives: [
      '/ whoami',
      '/ broadcast',
      '/ bad publish',
      '/ns01 someevent',
      '/ns02 someevent',
      '/ns03 someevent',
    ],
  },
  'micro-workers': {
    document: 'served',
    receives: ['/blog ArticleUpdated', '/ announce', '/ restartWorkers'],
  },
  cluster: { document: 'served', receives: ['/ whoami', '/ work', '/ join', '/ say', '/ publish'] },
  redis: {
    document: 'served',
    redis: true,
    receives: ['/ join', '/ announce', '/ say', '/ whisper', '/ shout', '/blog post'],
  },
  'rate-limit-redis': { document: 'served', redis: true, receives: ['/ say'], sends: ['/ message'] },
  'redis-recovery': {
    document: 'served',
    redis: true,
    receives: ['/ join', '/ say'],
    sends: ['/ hello', '/ welcome back', '/ message'],
  },
};

const resources = new Resources();
afterEach(() => resources.stopAll());

/** Starts a served example on port 0 and fetches its document once it answers. */
async function servedDocument(name: string, example: Example): Promise<string> {
  const prefix = `asyncapi-test:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2)}`;
  const redis = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: `${prefix}:`, LIMIT_PREFIX: prefix };
  const running = startProcess(resources, process.execPath, ['dist/main.js'], {
    cwd: join(examples, name),
    env: { PORT: '0', ...(example.redis ? redis : {}) },
  });
  const [, port] = await running.waitForOutput(/listening on (?:http:\/\/)?\S+?:(\d+)/, 20_000);
  const url = `http://127.0.0.1:${port}/asyncapi.json`;
  // A cluster primary may listen before a worker serves (no answer, or 503): ask again until then.
  let last = 'no answer';
  const res = await waitFor(
    `GET ${url} answered by the example`,
    async () => {
      const answer = await fetch(url).catch((err: Error) => {
        last = err.message;
      });
      return answer && answer.status !== 503 ? answer : undefined;
    },
    { timeout: 20_000, interval: 100 },
  ).catch((err: Error) => {
    throw new Error(`${err.message} (last: ${last})\n--- output ---\n${running.output()}`);
  });
  const document = await res.text();
  expect(res.status, `GET ${url}: ${document}\n--- output ---\n${running.output()}`).toBe(200);
  running.kill('SIGTERM');
  await running.exited(15_000);
  return document;
}

/** Runs a Micro example with the printer preloaded and reads the document it wrote. */
async function printedDocument(name: string): Promise<string> {
  const dir = resources.add(mkdtempSync(join(tmpdir(), 'asyncapi-')), (d) =>
    rmSync(d, { recursive: true, force: true }),
  );
  const file = join(dir, 'asyncapi.json');
  const running = startProcess(resources, process.execPath, ['--import', printer, 'dist/main.js'], {
    cwd: join(examples, name),
    env: { ASYNCAPI_FILE: file },
  });
  expect(await running.exited(15_000), running.output()).toEqual({ code: 0, signal: null });
  return readFileSync(file, 'utf8');
}

interface Document {
  channels: Record<string, { address: string; messages: Record<string, { name: string }> }>;
  operations: Record<string, { action: string; messages: { $ref: string }[] }>;
}

/** The document's operations of `action`, as `namespace event`. */
function events(document: Document, action: 'receive' | 'send'): string[] {
  return Object.values(document.operations)
    .filter((op) => op.action === action)
    .map((op) => {
      const [, , channel, , message] = op.messages[0]!.$ref.split('/');
      const { address, messages } = document.channels[channel!]!;
      return `${address} ${messages[message!]!.name}`;
    });
}

async function checkDocument(name: string, example: Example) {
  const text =
    example.document === 'served' ? await servedDocument(name, example) : await printedDocument(name);
  // Errors only: a warning is advice (none today; open payloads, of events without a contract, are valid).
  const { errors } = await asyncApiDiagnostics(text);
  expect(errors, `errors in the AsyncAPI document of examples/${name}`).toEqual([]);
  const document = JSON.parse(text) as Document;
  expect(events(document, 'receive')).toEqual(expect.arrayContaining([...example.receives]));
  expect(events(document, 'send')).toEqual(expect.arrayContaining([...(example.sends ?? [])]));
}

describe('the AsyncAPI document of every example', { timeout: 60_000 }, () => {
  it('has a row for every folder of examples/', () => {
    const folders = readdirSync(examples).filter((entry) => statSync(join(examples, entry)).isDirectory());
    expect(folders.sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  for (const [name, example] of Object.entries(EXAMPLES).filter(([, e]) => !e.redis)) {
    it(`examples/${name} (${example.document}) parses without errors`, () => checkDocument(name, example));
  }
});

const describeRedis = await describeWithRedis();
describeRedis('the AsyncAPI document of every example that needs Redis', () => {
  for (const [name, example] of Object.entries(EXAMPLES).filter(([, e]) => e.redis)) {
    it(`examples/${name} (${example.document}) parses without errors`, { timeout: 60_000 }, () =>
      checkDocument(name, example),
    );
  }
});
