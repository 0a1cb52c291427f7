import path from 'node:path';
import { pathToFileURL } from 'node:url';

// Round counts and durations; BENCH_QUICK=1 shrinks everything for a smoke run.
const quick = process.env.BENCH_QUICK === '1';
const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export const config = {
  quick,
  /** Rounds per variant for the echo, fire-and-forget and broadcast figures. */
  dispatchRounds: num('BENCH_ROUNDS', quick ? 2 : 14),
  /** Extra rounds of raw and one variant alone when a CPU target is missed (0: none). */
  confirmRounds: process.env.BENCH_CONFIRM_ROUNDS ? Number(process.env.BENCH_CONFIRM_ROUNDS) : quick ? 0 : 10,
  /** Length of one measured window, ms. */
  windowMs: num('BENCH_WINDOW_MS', quick ? 300 : 350),
  /** Idle connections in the memory section. */
  connections: num('BENCH_CONNECTIONS', quick ? 500 : 5_000),
  memoryRounds: num('BENCH_MEMORY_ROUNDS', 2),
  busRounds: num('BENCH_BUS_ROUNDS', quick ? 2 : 5),
  /** Length of one bus window, ms. */
  busWindowMs: num('BENCH_BUS_WINDOW_MS', quick ? 300 : 800),
  startupRounds: num('BENCH_STARTUP_ROUNDS', quick ? 5 : 15),
  /** Rounds per variant of each figure of the sticky-session section. */
  stickyRounds: num('BENCH_STICKY_ROUNDS', quick ? 2 : 8),
  /** Length of one sticky-session window, ms. */
  stickyWindowMs: num('BENCH_STICKY_WINDOW_MS', quick ? 300 : 1_000),
  /** Sections to run, comma-separated (echo,vecho,fire,broadcast,memory,bus,startup,sticky); all by default. */
  only: new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean)),
};

/**
 * Whether there is time for confirmation rounds: `pnpm bench` must stay under 5 minutes, so none
 * start after BENCH_CONFIRM_UNTIL_S (190) seconds of the run.
 */
/**
 * The rate limit of every binding variant: the limiter stays in the path (each incoming event
 * pays its token-bucket check) at limits the benchmark's clients never reach; the defaults (100
 * events/s per connection) would refuse its load by design.
 */
export const BENCH_RATE_LIMIT = Object.freeze({ perSecond: 1e9, burst: 1e9 });

export function timeForConfirmation(): boolean {
  return process.uptime() < num('BENCH_CONFIRM_UNTIL_S', 190);
}

export function enabled(section: string): boolean {
  return config.only.size === 0 || config.only.has(section);
}

/**
 * Imports a package of the workspace that may not offer what the bench wants yet (work in
 * progress): by a computed name, so that type-checking the bench does not depend on its build.
 * BENCH_MODULE_OVERRIDE=<name>=<file>[,…] loads a file instead (a build with a proposed fix,
 * to measure the fix before it lands).
 */
export function importOptional(name: string): Promise<Record<string, any>> {
  for (const entry of (process.env.BENCH_MODULE_OVERRIDE ?? '').split(',')) {
    const at = entry.lastIndexOf('=');
    if (at > 0 && entry.slice(0, at) === name)
      return import(pathToFileURL(path.resolve(entry.slice(at + 1))).href);
  }
  return import(name);
}
