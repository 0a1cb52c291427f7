// Sections 1–3: echo with ack, fire-and-forget, room broadcast. One server process per variant,
// one client process; the variants take turns, so each pair of rounds shares the same neighbours.
import type { BroadcastResult, EchoResult, FireResult } from './client.js';
import { config, enabled } from './config.js';
import type { CpuWindow } from './measure.js';
import type { Child, Fleet } from './proc.js';
import type { Report } from './report.js';
import { alternate, Samples } from './rounds.js';
import { fmtMedian } from './stats.js';

type Ready = { port: number };

interface Variant {
  name: string;
  server: Child<Ready>;
}

async function startVariants(fleet: Fleet, report: Report): Promise<Variant[]> {
  const variants: Variant[] = [];
  for (const name of ['raw', 'binding', 'socketserver']) {
    const server = await fleet.start<Ready>('./server.js', {
      name: `server-${name}`,
      args: [name, 'bench'],
      profile: true,
    });
    variants.push({ name, server });
  }
  try {
    const server = await fleet.start<Ready>('./micro-server.js', {
      name: 'server-micro',
      timeout: 20_000,
      profile: true,
    });
    variants.push({ name: 'micro', server });
  } catch (err) {
    const why = String((err as Error).message).split('\n')[0];
    console.log(`note: Micro variant skipped: ${why}`);
    report.notes.push(`Micro variant skipped: ${why}`);
  }
  return variants;
}

/** Runs `load` between a measure-start and a measure-stop of the variant's server. */
async function measured<T>(variant: Variant, load: () => Promise<T>): Promise<{ cpu: CpuWindow; result: T }> {
  await variant.server.request('measure-start');
  const result = await load();
  const cpu = await variant.server.request<CpuWindow>('measure-stop');
  return { cpu, result };
}

export async function runDispatch(fleet: Fleet, report: Report): Promise<void> {
  const variants = await startVariants(fleet, report);
  // Fire-and-forget and broadcast compare the dispatch alone: same socket.io options.
  const plain = variants.filter((v) => v.name === 'raw' || v.name === 'binding');
  const client = await fleet.start('./client.js', { name: 'clients' });
  const url = (v: Variant) => `http://127.0.0.1:${v.server.ready.port}`;
  for (const v of variants) {
    await client.request('connect', { set: `${v.name}-1`, url: url(v), count: 1 });
    await client.request('connect', { set: `${v.name}-50`, url: url(v), count: 50, join: true });
  }
  const samples = new Samples();
  const window = config.windowMs;
  const timeout = window * 10 + 30_000;

  const echo = async (v: Variant, clients: number, record: boolean) => {
    const { cpu, result } = await measured(v, () =>
      client.request<EchoResult>('echo', { set: `${v.name}-${clients}`, durationMs: window }, timeout),
    );
    if (!record) return;
    samples.add(`cpu${clients}`, v.name, cpu.cpuUs / cpu.events);
    samples.add(`rate${clients}`, v.name, (result.acks / result.elapsedMs) * 1000);
    samples.add(`p50-${clients}`, v.name, result.p50Ms);
    samples.add(`p99-${clients}`, v.name, result.p99Ms);
  };
  const fire = async (v: Variant, record: boolean) => {
    const { cpu, result } = await measured(v, () =>
      client.request<FireResult>(
        'fire',
        { set: `${v.name}-50`, durationMs: window, batch: 20, window: 2 },
        timeout,
      ),
    );
    if (!record) return;
    samples.add('ff-cpu', v.name, cpu.cpuUs / cpu.events);
    samples.add('ff-rate', v.name, (result.events / result.elapsedMs) * 1000);
  };
  const broadcast = async (v: Variant, record: boolean) => {
    const { cpu, result } = await measured(v, () =>
      client.request<BroadcastResult>(
        'broadcast',
        { set: `${v.name}-50`, durationMs: window, window: 4 },
        timeout,
      ),
    );
    if (result.deliveries !== result.expected)
      throw new Error(`broadcast ${v.name}: ${result.deliveries} of ${result.expected} delivered`);
    if (!record) return;
    samples.add('bc-rate', v.name, (result.deliveries / result.elapsedMs) * 1000);
    samples.add('bc-cpu', v.name, cpu.cpuUs / result.deliveries);
  };

  // Warm-up: let every server's JIT see every path before anything is recorded.
  const names = (list: Variant[]) => list.map((v) => v.name).join(', ');
  console.log(`\n[dispatch] variants: ${names(variants)}; ${config.dispatchRounds} rounds of ${window} ms`);
  for (const v of variants) {
    await echo(v, 1, false);
    await echo(v, 50, false);
    if (plain.includes(v)) {
      await fire(v, false);
      await broadcast(v, false);
    }
  }

  const rounds = config.dispatchRounds;
  if (enabled('echo')) {
    for (const clients of [1, 50]) {
      await alternate(variants, rounds, (v) => echo(v, clients, true));
      samples.print(
        `1. Echo with ack, ${clients} client${clients > 1 ? 's' : ''} (server CPU per event; acks/s and round trip at the client)`,
        [
          { key: `cpu${clients}`, label: 'server CPU µs/event', digits: 2 },
          { key: `rate${clients}`, label: 'acks/s' },
          { key: `p50-${clients}`, label: 'p50 round trip ms', digits: 3 },
          { key: `p99-${clients}`, label: 'p99 round trip ms', digits: 3 },
        ],
        'raw',
      );
      for (const v of variants.filter((x) => x.name !== 'raw')) {
        report.ratio(
          `echo ${clients}c server CPU/event, ${v.name}`,
          `raw ${fmtMedian(samples.get(`cpu${clients}`, 'raw'))} µs`,
          `${fmtMedian(samples.get(`cpu${clients}`, v.name))} µs`,
          samples.ratios(`cpu${clients}`, v.name, 'raw'),
          1.05,
          '<=',
        );
      }
    }
  }

  if (enabled('fire')) {
    await alternate(plain, rounds, (v) => fire(v, true));
    samples.print(
      '2. Fire-and-forget, 50 clients (checkpoint ack every 20 events, 2 checkpoints outstanding per client)',
      [
        { key: 'ff-cpu', label: 'server CPU µs/event', digits: 2 },
        { key: 'ff-rate', label: 'events/s' },
      ],
      'raw',
    );
    report.ratio(
      'fire-and-forget server CPU/event, binding',
      `raw ${fmtMedian(samples.get('ff-cpu', 'raw'))} µs`,
      `${fmtMedian(samples.get('ff-cpu', 'binding'))} µs`,
      samples.ratios('ff-cpu', 'binding', 'raw'),
      1.05,
      '<=',
    );
  }

  if (enabled('broadcast')) {
    await alternate(plain, rounds, (v) => broadcast(v, true));
    samples.print(
      '3. Room broadcast to 50 clients (4 broadcast requests outstanding)',
      [
        { key: 'bc-rate', label: 'deliveries/s' },
        { key: 'bc-cpu', label: 'server CPU µs/delivery', digits: 2 },
      ],
      'raw',
    );
    report.info(
      'room broadcast deliveries/s, binding',
      `raw ${fmtMedian(samples.get('bc-rate', 'raw'))}`,
      fmtMedian(samples.get('bc-rate', 'binding')),
      fmtMedian(samples.ratios('bc-rate', 'binding', 'raw'), 3),
    );
  }

  await fleet.stop(client);
  for (const v of variants) await fleet.stop(v.server);
}
