// `pnpm bench`: every section in one run, then the table of targets.
// BENCH_QUICK=1 for a smoke run; BENCH_ONLY=echo,vecho,fire,broadcast,memory,bus,startup,sticky to pick sections.
import { cpus } from 'node:os';
import { runBus } from './bus.js';
import { config, enabled } from './config.js';
import { runDispatch } from './dispatch.js';
import { runMemory } from './memory.js';
import { Fleet } from './proc.js';
import { Report } from './report.js';
import { Samples } from './rounds.js';
import type { StartupRound } from './startup.js';
import { summarize } from './stats.js';
import { runSticky } from './sticky.js';

async function runStartup(fleet: Fleet, report: Report): Promise<void> {
  console.log(`\n[startup] ${config.startupRounds} rounds, each in a fresh process`);
  const samples = new Samples();
  for (let i = 0; i < config.startupRounds; i++) {
    const child = await fleet.start('./startup.js', { name: 'startup' });
    try {
      const cold = await child.request<StartupRound>('round', { classes: 50, perClass: 20 });
      const warm = await child.request<StartupRound>('round', { classes: 50, perClass: 20 });
      const single = await child.request<StartupRound>('round', { classes: 1, perClass: 1000 });
      samples.add('bind', 'first 50×20 in the process', cold.bindMs);
      samples.add('bind', 'again 50×20', warm.bindMs);
      samples.add('bind', 'then 1×1000', single.bindMs);
      samples.add('decorate', 'first 50×20 in the process', cold.decorateMs);
    } finally {
      await fleet.stop(child);
    }
  }
  samples.print(
    '6. Start-up: bindHandlers of 1,000 EVENT handlers on a fresh Server, ms',
    [
      { key: 'bind', label: 'bindHandlers ms', digits: 2 },
      { key: 'decorate', label: 'defining the classes ms', digits: 2 },
    ],
    'first 50×20 in the process',
  );
  report.absolute(
    'bind 1,000 handlers (50×20, first in process)',
    summarize(samples.get('bind', 'first 50×20 in the process')),
    'ms',
    50,
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  const fleet = new Fleet();
  const abort = () => {
    fleet.killAll();
    process.exit(130);
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  process.once('exit', () => fleet.killAll());

  const report = new Report();
  console.log(
    `micro-socket bench: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})${config.quick ? ', QUICK' : ''}`,
  );
  const timed = async (name: string, run: (fleet: Fleet, report: Report) => Promise<void>) => {
    const t0 = performance.now();
    await run(fleet, report);
    console.log(`  (${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  };
  try {
    if (enabled('echo') || enabled('vecho') || enabled('fire') || enabled('broadcast'))
      await timed('dispatch', runDispatch);
    if (enabled('memory')) await timed('memory', runMemory);
    if (enabled('bus')) await timed('bus', runBus);
    if (enabled('startup')) await timed('startup', runStartup);
    if (enabled('sticky')) await timed('sticky', runSticky);
  } finally {
    await fleet.stopAll();
  }

  console.log('\nResults');
  console.log(report.render());
  for (const note of report.notes) console.log(`note: ${note}`);
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
