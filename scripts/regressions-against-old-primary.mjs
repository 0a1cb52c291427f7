#!/usr/bin/env node
// Shows that each regression test of issue 9 fails against the cluster primary as it was before
// the fixes, and passes against this checkout: the same tests, pointed at an old checkout with
// REGRESSION_BASE (packages/cluster/test/primary-under-test.ts, examples/cluster/test/cluster.test.ts).
//
//   pnpm build && node scripts/regressions-against-old-primary.mjs            every finding, old then new
//   node scripts/regressions-against-old-primary.mjs 1 4                      only findings 1 and 4
//   node scripts/regressions-against-old-primary.mjs --old-only --keep        reuse/keep the old worktree
//   node scripts/regressions-against-old-primary.mjs --commit REV --base DIR  another commit as "old"
//   ... --verbose                                                             every run's vitest output here too
//
// The old code is commit OLD_COMMIT, the parent of the commit that fixed the findings (then in
// @pestras/micro-socket-publish; they moved to @pestras/micro-socket-cluster afterwards), checked
// out as a git worktree in --base (/work/wt/old-primary by default), installed and built. One
// addition there: the example's `work` handler (the 1 000/1 500 ms handlers finding 2 keeps in
// flight), taken verbatim from the fix commit, which added it to examples/cluster/src/chat.ts.
// Without it finding 2 would fail for want of a handler, not for the bug.
//
// Each run is one vitest process group, killed at its deadline: against the old primary finding 1
// keeps the process (the primary runs inside the test process) busy for minutes, so running out
// of time is its failure. The worktree is removed at the end unless --keep. Each run's output is
// kept in node_modules/.regressions/.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The last commit before the fixes of issue 9 ("server: imports sorted after the merge"). */
const OLD_COMMIT = '669033b5b1475e031c0d519e136f56add6a2475b';
/** The fix ("publish: the cluster primary routes by the request line alone, ..."). */
const FIX_COMMIT = 'cb3973857ba1ce4ddfc27cb5f224a2e164a4c15a';

const PRIMARY = { project: ['--project', 'cluster'], file: 'packages/cluster/src/primary.test.ts' };
const EXAMPLE = { project: [], file: 'examples/cluster/test/cluster.test.ts' };
/** One vitest run per finding; `deadline` bounds the whole run (start-up included). */
const FINDINGS = [
  { id: 1, ...PRIMARY, deadline: 90_000 },
  { id: 2, ...EXAMPLE, deadline: 150_000 },
  { id: 3, ...PRIMARY, deadline: 150_000 },
  { id: 4, ...PRIMARY, deadline: 150_000 },
  { id: 5, ...PRIMARY, deadline: 150_000 },
  { id: 6, ...EXAMPLE, deadline: 150_000 },
];

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args.splice(i, 2)[1];
};
const flag = (name) => {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
const base = option('--base') ?? '/work/wt/old-primary';
const commit = option('--commit') ?? OLD_COMMIT;
const keep = flag('--keep');
const oldOnly = flag('--old-only');
const verbose = flag('--verbose');
const wanted = args.map(Number);
const findings = wanted.length > 0 ? FINDINGS.filter((f) => wanted.includes(f.id)) : FINDINGS;

/** Every run's vitest output stays here (the figures the tests print, the failures in full). */
const logs = join(root, 'node_modules', '.regressions');
rmSync(logs, { recursive: true, force: true });
mkdirSync(logs, { recursive: true });

function saveLog(finding, which, result) {
  writeFileSync(join(logs, `finding-${finding.id}-${which}.log`), stripVTControlCharacters(result.output));
}

function sh(command, cwd = root) {
  console.log(`$ ${command}${cwd === root ? '' : `   (in ${cwd})`}`);
  const result = spawnSync('sh', ['-c', command], { cwd, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`failed (${result.status ?? result.signal}): ${command}`);
}

function prepareOldCheckout() {
  if (existsSync(base)) {
    const head = spawnSync('git', ['-C', base, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
    console.log(`reusing ${base} at ${head}`);
    return;
  }
  sh(`git worktree add --detach ${base} ${commit}`);
  if (!readFileSync(join(base, 'examples/cluster/src/chat.ts'), 'utf8').includes("@EVENT('work')")) {
    sh(`git diff ${OLD_COMMIT} ${FIX_COMMIT} -- examples/cluster/src/chat.ts | git apply`, base);
  }
  sh('pnpm install --frozen-lockfile', base);
  sh('pnpm --filter @pestras/micro-socket-core run build', base);
  // That commit's publish build needs its own main entry's types before its ./testing entry.
  sh('pnpm --filter @pestras/micro-socket-publish exec tsup --entry.index src/index.ts', base);
  sh('pnpm --filter "cluster..." run build', base);
}

/** Runs one finding's tests; resolves with what happened to each of them. */
function run(finding, env) {
  const out = join(mkdtempSync(join(tmpdir(), 'regressions-')), 'report.json');
  const vitestArgs = [
    'exec',
    'vitest',
    'run',
    ...finding.project,
    finding.file,
    '-t',
    `finding ${finding.id}:`,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
  ];
  const started = Date.now();
  return new Promise((resolve) => {
    // Its own process group: at the deadline vitest, its workers and their cluster go together.
    const child = spawn('pnpm', vitestArgs, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    let killed = false;
    let cpuSeconds = 0;
    const timer = setTimeout(() => {
      killed = true;
      // Busy or idle: a stalled primary burns CPU, a mere hang does not.
      cpuSeconds = cpuOfGroup(child.pid);
      process.kill(-child.pid, 'SIGKILL');
    }, finding.deadline);
    child.on('close', () => {
      clearTimeout(timer);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const tests = killed || !existsSync(out) ? [] : readReport(out);
      rmSync(dirname(out), { recursive: true, force: true });
      resolve({ killed, cpuSeconds, seconds, tests, output });
    });
  });
}

/** CPU seconds used so far by the processes of a process group. */
function cpuOfGroup(pgid) {
  const ps = spawnSync('ps', ['-e', '-o', 'pgid=,times='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([group]) => group === pgid)
    .reduce((sum, [, seconds]) => sum + seconds, 0);
}

function readReport(path) {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  return report.testResults.flatMap((file) =>
    file.assertionResults
      .filter((test) => test.status !== 'skipped' && test.status !== 'pending')
      .map((test) => ({
        title: test.title,
        status: test.status,
        // The assertion's first line, without colours.
        failure: stripVTControlCharacters(test.failureMessages[0] ?? '').split('\n')[0],
      })),
  );
}

function summary(result, deadline) {
  if (result.killed) {
    return `no result within ${deadline / 1000} s: killed, its processes had used ${result.cpuSeconds} s of CPU`;
  }
  if (result.tests.length === 0) return `no test ran (${result.seconds} s)`;
  return result.tests
    .map((t) => (t.status === 'passed' ? 'passed' : `failed: ${t.failure}`))
    .join('; ')
    .concat(` (${result.seconds} s)`);
}

prepareOldCheckout();
const rows = [];
try {
  for (const finding of findings) {
    const old = await run(finding, { REGRESSION_BASE: base });
    console.log(`finding ${finding.id}, old: ${summary(old, finding.deadline)}`);
    saveLog(finding, 'old', old);
    if (verbose || old.tests.some((t) => t.status === 'passed')) console.log(old.output);
    const now = oldOnly ? undefined : await run(finding, { REGRESSION_BASE: '' });
    if (now) console.log(`finding ${finding.id}, new: ${summary(now, finding.deadline)}`);
    if (now) saveLog(finding, 'new', now);
    if (now && (verbose || now.tests.some((t) => t.status !== 'passed'))) console.log(now.output);
    rows.push({ finding, old, now });
  }
} finally {
  if (!keep) sh(`git worktree remove --force ${base}`);
}

console.log(`\nvitest's output of each run: ${logs}/finding-<n>-<old|new>.log`);
console.log(`\n| # | Tests | Old (${commit.slice(0, 7)}) | This checkout |\n| --- | --- | --- | --- |`);
let honest = true;
for (const { finding, old, now } of rows) {
  const oldFailed = old.killed || (old.tests.length > 0 && old.tests.every((t) => t.status === 'failed'));
  const nowPassed = !now || (now.tests.length > 0 && now.tests.every((t) => t.status === 'passed'));
  honest &&= oldFailed && nowPassed;
  console.log(
    `| ${finding.id} | ${finding.file} \`finding ${finding.id}:\` | ${summary(old, finding.deadline)} | ${now ? summary(now, finding.deadline) : 'not run'} |`,
  );
}
// Every test must fail on the old code and pass here; anything else is a test that cannot catch its bug.
process.exitCode = honest ? 0 : 1;
