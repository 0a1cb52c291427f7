#!/usr/bin/env node
// A small mutation smoke test: puts one small bug at a time into the sources, runs the tests that
// should catch it, and reports every mutant that survived (its tests stayed green). Tests import
// the package sources (vitest aliases them), so no build is needed between mutants.
//
//   pnpm test:mutations                   every mutant
//   pnpm test:mutations close-not-woken   only the named ones
//   pnpm test:mutations --list            the mutants and the tests that should catch them
//   pnpm test:mutations --restore         puts back sources a killed run left mutated
//
// Each mutant names its file, an optional anchor (the mutation applies after its first match) and
// a pattern that must match there: when the code moved on and the pattern is gone, the run fails
// loudly instead of reporting a mutant that was never applied. Before the mutants, the same tests
// run on the unchanged sources: a test that already fails would otherwise "catch" every mutant.
// Sources are restored after each mutant, on an exception, on Ctrl-C or SIGTERM, and at the start
// of the next run when this one was killed outright (a journal under node_modules keeps them).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const journal = join(root, 'node_modules', '.mutate-journal.json');
// A mutant that makes a test hang is caught by vitest's own timeouts; this is the last resort.
const RUN_TIMEOUT = 10 * 60_000;

/**
 * @typedef {object} Mutant
 * @property {string} id
 * @property {string} what the bug, in words
 * @property {string} file relative to the repository root
 * @property {RegExp} [anchor] the mutation applies to the first match of `find` after this
 * @property {RegExp} find what the bug changes; without an anchor it must match exactly once
 * @property {string} replace its replacement (`$1`… are groups of `find`)
 * @property {string[]} tests the test files that must catch it
 * @property {string} [testName] vitest `-t`: only the tests whose full name matches
 * @property {string} [build] a package whose build its tests use (processes started from
 *   `dist/`): built with the mutant, and again once the source is restored
 */

/** @type {Mutant[]} */
const MUTANTS = [
  {
    id: 'usesocket-first-only',
    what: 'only the first USESOCKET guard runs: the packet chain stops after one guard',
    file: 'packages/server/src/middleware.ts',
    anchor: /export function packetMiddleware/,
    find: /(err === undefined \|\| err === null\)\s*)step\(\)/,
    replace: '$1next()',
    tests: ['packages/server/src/bind.test.ts'],
    testName: 'USESOCKET',
  },
  {
    id: 'usesocket-async-reject-allowed',
    what: 'an async USESOCKET guard that rejects counts as allowed',
    file: 'packages/server/src/middleware.ts',
    anchor: /export function packetMiddleware/,
    find: /result\.then\(undefined, fail\)/,
    replace: 'result.then(undefined, () => once())',
    tests: ['packages/server/src/bind.test.ts'],
    testName: 'USESOCKET',
  },
  {
    id: 'drain-runs-unacked-events',
    what: 'events without an ack still run while the server drains',
    file: 'packages/server/src/invoke.ts',
    find: /if \(inFlight\.draining\) return;/,
    replace: '/* mutant: no drain check */',
    tests: ['packages/server/src/shutdown.test.ts'],
  },
  {
    id: 'close-not-woken',
    what: 'close() is not woken when the last handler finishes: it always waits its full timeout',
    file: 'packages/server/src/inflight.ts',
    anchor: /readonly leave\b/,
    find: /\bwake\(\);/,
    replace: 'void wake; // mutant: nobody woken',
    tests: ['packages/server/src/shutdown.test.ts'],
  },
  {
    id: 'close-default-no-reconnect',
    what: "close() by default disconnects ('io server disconnect'): clients are stranded after a restart",
    file: 'packages/server/src/server.ts',
    find: /options\.reconnect \?\? true/,
    replace: 'options.reconnect ?? false',
    tests: ['packages/server/src/shutdown.test.ts'],
  },
  {
    id: 'close-reconnect-false-ignored',
    what: 'close({ reconnect: false }) still closes the sockets as io.close() does',
    file: 'packages/server/src/server.ts',
    anchor: /function closeAllConnections/,
    find: /if \(reconnect\) closeAsShuttingDown\(socket\);\s*else socket\.disconnect\(\);/,
    replace: 'closeAsShuttingDown(socket); // mutant: reconnect ignored',
    tests: ['packages/server/src/shutdown.test.ts'],
  },
  {
    id: 'safe-logger-rethrows',
    what: 'a logger that throws escapes safeLogger',
    file: 'packages/core/src/logger.ts',
    anchor: /export function safeLogger/,
    find: /catch \{/,
    replace: 'catch (thrown) { throw thrown; // mutant',
    tests: ['packages/core/src/logger.test.ts', 'packages/publish/src/bus.test.ts'],
  },
  {
    id: 'redis-logs-every-retry',
    what: 'the Redis transport logs every reconnect attempt instead of once per outage and client',
    file: 'packages/publish/src/redis.ts',
    find: /if \(!healthy\) return;/,
    replace: '/* mutant: log every retry */',
    tests: ['packages/publish/src/redis.test.ts'],
    testName: 'once per client',
  },
  {
    id: 'exit-timeout-ignored',
    what: 'the exit coordinator waits for a close without its deadline',
    file: 'packages/plugin/src/compat/exit.ts',
    find: /settlesWithin\(closing, task\.timeout\)/,
    replace: 'closing',
    tests: ['packages/plugin/src/compat/exit.test.ts'],
  },
  {
    id: 'plugin-exit-timeout-ignored',
    what: 'MicroSocket ignores its exitTimeout option and always waits the default 2 s',
    file: 'packages/plugin/src/plugin.ts',
    find: /this\.options\.exitTimeout \?\? DEFAULT_EXIT_TIMEOUT/,
    replace: 'DEFAULT_EXIT_TIMEOUT',
    tests: ['packages/plugin/src/plugin.built.test.ts'],
    testName: 'exitTimeout',
    build: '@pestras/micro-socket-plugin',
  },
  {
    id: 'recovery-no-offset-not-bridged',
    what: 'a CONNECT with a session id and no offset never reaches restoreSession (socket.io#5538)',
    file: 'packages/server/src/recovery.ts',
    find: /restoreSessionsWithoutOffset\(nsp, this, NO_EVENT_RECEIVED\);/,
    replace: '/* mutant: no bridge */',
    tests: ['packages/server/src/recovery.test.ts'],
    testName: 'received no event is restored',
  },
  {
    id: 'recovery-session-bytes-unbounded',
    what: "kept sessions' rooms are not counted: a client in thousands of rooms keeps its session past maxSessionBytes",
    file: 'packages/server/src/recovery.ts',
    find: /this\.#sessions\.size <= maxSessions && this\.#sessionBytes <= maxSessionBytes/,
    replace: 'this.#sessions.size <= maxSessions /* mutant */',
    tests: ['packages/server/src/recovery.test.ts'],
    testName: 'maxSessionBytes counts the rooms',
  },
  {
    id: 'recovery-marker-in-handshake',
    what: "the bridge's marker shows in socket.handshake.auth",
    file: 'packages/server/src/socketio-internals.ts',
    find: /socket\.handshake\.auth = given;/,
    replace: '/* mutant: marker kept */',
    tests: ['packages/server/src/recovery.test.ts'],
    testName: 'received no event is restored',
  },
  {
    id: 'recovery-recipients-not-tracked',
    what: 'a client without offset is replayed only what came after its disconnection, not an event lost on the way',
    file: 'packages/server/src/recovery.ts',
    find: /if \(this\.#firstAddressed\.get\(socketId\) === -1\) this\.#setFirstAddressed\(socketId, entry\.seq\);/,
    replace: 'void socketId; // mutant',
    tests: ['packages/server/src/recovery.test.ts'],
    testName: 'lost on the way is replayed',
  },
  {
    id: 'recovery-partial-replay',
    what: 'a client without offset whose missed packets were partly evicted gets the rest (RECONNECT) instead of CONNECT',
    file: 'packages/server/src/recovery.ts',
    find: /if \(missedFrom === undefined \|\| missedFrom < this\.#firstSeq \+ this\.#head\) return undefined;\n(\s*)return missedFrom;/,
    replace:
      'if (missedFrom === undefined) return undefined;\n$1return Math.max(missedFrom, this.#firstSeq + this.#head);',
    tests: ['packages/server/src/recovery.test.ts'],
    testName: 'not a partial replay',
  },
  {
    id: 'recovery-old-offset-not-clamped',
    what: "an offset left from an earlier session replays what came before the client's current session",
    file: 'packages/server/src/recovery.ts',
    find: /if \(missedFrom === undefined \|\| last\.seq >= missedFrom\) return last\.seq \+ 1;/,
    replace: 'return last.seq + 1;',
    tests: ['packages/server/src/recovery.test.ts'],
    testName: 'predates its session',
  },
  {
    id: 'recovery-replayed-not-tracked',
    what: 'events replayed on recovery and lost on the way are not replayed again to a client without offset',
    file: 'packages/server/src/recovery.ts',
    find: /this\.#setFirstAddressed\(restored\.session\.sid, restored\.firstReplayedSeq \?\? -1\);/,
    replace: '/* mutant: replay not tracked */',
    tests: ['packages/server/src/recovery.test.ts'],
    testName: 'replayed again',
  },
  {
    id: 'recovery-namespaces-mixed',
    what: "a restored session gets another namespace's packets to a room of the same name",
    file: 'packages/server/src/recovery.ts',
    find: /if \(packet\.owner === owner && !packet\.discarded && reaches/,
    replace: 'if (!packet.discarded && reaches',
    tests: ['packages/server/src/recovery.test.ts'],
    testName: 'two namespaces',
  },
  {
    id: 'recovery-discard-shifts-queue',
    what: 'an emit socket.io cannot encode is taken out of the queue, shifting the replay of a later offset by one',
    file: 'packages/server/src/recovery.ts',
    find: /entry\.discarded = true;/,
    replace: 'entry.discarded = true;\n    this.#packets.pop();',
    tests: ['packages/server/src/recovery.test.ts'],
    testName: 'cannot encode',
  },
];

/** The source with the mutation applied; throws when its target is not there. */
function mutate(mutant, source) {
  let start = 0;
  if (mutant.anchor) {
    const anchor = mutant.anchor.exec(source);
    if (!anchor) throw new Error(`anchor ${mutant.anchor} not found in ${mutant.file}`);
    start = anchor.index;
  } else {
    const count = source.match(new RegExp(mutant.find.source, `${mutant.find.flags.replace('g', '')}g`));
    if (count?.length !== 1) {
      throw new Error(`${mutant.find} matches ${count?.length ?? 0} times in ${mutant.file}, not once`);
    }
  }
  const rest = source.slice(start);
  if (!mutant.find.test(rest)) {
    throw new Error(
      `${mutant.find} not found in ${mutant.file}${mutant.anchor ? ` after ${mutant.anchor}` : ''}`,
    );
  }
  const mutated = source.slice(0, start) + rest.replace(mutant.find, mutant.replace);
  if (mutated === source) throw new Error(`${mutant.id} changes nothing in ${mutant.file}`);
  return mutated;
}

/**
 * Puts back what the journal holds (the original source, and the build made from it when the
 * mutant was built); returns the files restored.
 */
function restoreJournal() {
  if (!existsSync(journal)) return [];
  const { file, original, build } = JSON.parse(readFileSync(journal, 'utf8'));
  writeFileSync(join(root, file), original);
  if (build) spawnSync('pnpm', ['--filter', build, 'run', 'build'], { cwd: root, stdio: 'ignore' });
  rmSync(journal, { force: true });
  return [build ? `${file} (and rebuilt ${build})` : file];
}

let child;
function stop(signal) {
  if (child?.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGTERM'); // vitest and its workers: the child leads its own group
    } catch {
      // already gone
    }
  }
  const restored = restoreJournal();
  if (restored.length) console.error(`\nrestored ${restored.join(', ')}`);
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('exit', () => restoreJournal());

/** Runs pnpm with `args` in its own process group; resolves with its exit code and output. */
function run(args) {
  return new Promise((resolve) => {
    child = spawn('pnpm', args, {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), RUN_TIMEOUT);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, output });
    });
  });
}

/** Runs vitest on the mutant's tests; resolves with its exit code and the failed tests' names. */
async function runTests(mutant) {
  const args = ['exec', 'vitest', 'run', ...mutant.tests, '--reporter=verbose'];
  if (mutant.testName) args.push('-t', mutant.testName);
  const { code, output } = await run(args);
  // vitest's verbose reporter marks a failed test with ×
  const failed = output
    .split('\n')
    .filter((line) => /^\s*×/.test(line))
    .map((line) =>
      line
        .replace(/^\s*×\s*/, '')
        .replace(/\s+\d+ms$/, '')
        .trim(),
    );
  return { code, failed: [...new Set(failed)], output };
}

/** Builds a package; throws with its output when the build fails. */
async function build(pkg) {
  const { code, output } = await run(['--filter', pkg, 'run', 'build']);
  if (code !== 0) throw new Error(`building ${pkg} failed:\n${output.slice(-4_000)}`);
}

const args = process.argv.slice(2);
const leftover = restoreJournal();
if (leftover.length) console.log(`restored ${leftover.join(', ')} from an interrupted run`);
if (args.includes('--restore')) process.exit(0);
if (args.includes('--list')) {
  for (const m of MUTANTS) {
    console.log(
      `${m.id}\n  ${m.what}\n  ${m.file} → ${m.tests.join(' ')}${m.testName ? ` -t '${m.testName}'` : ''}`,
    );
  }
  process.exit(0);
}
const wanted = args.filter((a) => !a.startsWith('--'));
const unknown = wanted.filter((id) => !MUTANTS.some((m) => m.id === id));
if (unknown.length) {
  console.error(`unknown mutant(s): ${unknown.join(', ')}; --list shows them`);
  process.exit(2);
}
const selected = wanted.length ? MUTANTS.filter((m) => wanted.includes(m.id)) : MUTANTS;

// Every target must be there before anything runs.
const problems = [];
for (const mutant of selected) {
  try {
    mutate(mutant, readFileSync(join(root, mutant.file), 'utf8'));
  } catch (err) {
    problems.push(`${mutant.id}: ${err.message}`);
  }
}
if (problems.length) {
  console.error(`mutation targets not found (update scripts/mutate.mjs):\n  ${problems.join('\n  ')}`);
  process.exit(2);
}

// The baseline: each distinct selection of tests, on the unchanged sources, must pass.
const selections = new Map();
for (const m of selected) selections.set(JSON.stringify([m.tests, m.testName]), m);
for (const m of selections.values()) {
  const label = `${m.tests.join(' ')}${m.testName ? ` -t '${m.testName}'` : ''}`;
  process.stdout.write(`baseline ${label} … `);
  const { code, failed, output } = await runTests(m);
  if (code !== 0) {
    console.log('FAILED');
    console.error(failed.length ? failed.join('\n') : output.slice(-4_000));
    console.error('the tests fail without any mutant: fix them first');
    process.exit(2);
  }
  console.log('green');
}

const results = [];
for (const mutant of selected) {
  const file = join(root, mutant.file);
  const original = readFileSync(file, 'utf8');
  writeFileSync(journal, JSON.stringify({ file: mutant.file, original, build: mutant.build }));
  writeFileSync(file, mutate(mutant, original));
  process.stdout.write(`${mutant.id} … `);
  let outcome;
  try {
    if (mutant.build) await build(mutant.build);
    outcome = await runTests(mutant);
  } finally {
    writeFileSync(file, original);
    if (mutant.build) await build(mutant.build);
    rmSync(journal, { force: true }); // only now: an interrupted rebuild is redone at the next start
  }
  const killed = outcome.code !== 0;
  console.log(killed ? `killed by ${outcome.failed[0] ?? `exit code ${outcome.code}`}` : 'SURVIVED');
  for (const name of outcome.failed.slice(1, 4)) console.log(`    and ${name}`);
  results.push({ mutant, killed });
}

const survivors = results.filter((r) => !r.killed);
console.log(`\n${results.length - survivors.length}/${results.length} mutants killed`);
for (const { mutant } of survivors) {
  console.log(`  SURVIVED ${mutant.id}: ${mutant.what} (${mutant.tests.join(' ')} stayed green)`);
}
process.exit(survivors.length ? 1 : 0);
