// Sections 1–3: echo with ack, fire-and-forget, room broadcast. One server process per variant,
// one client process; the variants take turns, so each pair of rounds shares the same neighbours.
import type { BroadcastResult, EchoResult, FireResult } from './client.js';
import { config, enabled, timeForConfirmation } from './config.js';
import type { CpuWindow } from './measure.js';
import type { Child, Fleet } from './proc.js';
import type { Report } from './report.js';
import { alternate, Samples } from './rounds.js';
import { fmtMedian, fmtRatio, fmtSummary, median, summarize } from './stats.js';

/** The dispatch target: server CPU per event at most this many times raw socket.io's. */
const CPU_TARGET = 1.05;

type Ready = { port: number; ports?: Record<string, number> };

interface Variant {
  name: string;
  server: Child<Ready>;
  port: number;
}

/** The raw, binding and socketserver variants share one process; micro, and raw again, own one. */
const SHARED = ['raw', 'binding', 'socketserver'];
/** Raw in a process of its own: the baseline of the Micro process, itself alone in its own. */
const RAW_OWN = 'raw-own';

async function startVariants(fleet: Fleet, report: Report): Promise<Variant[]> {
  const shared = await fleet.start<Ready>('./server.js', {
    name: 'server-shared',
    args: [SHARED.join(','), 'bench'],
    profile: true,
  });
  const variants: Variant[] = SHARED.map((name) => ({
    name,
    server: shared,
    port: shared.ready.ports![name]!,
  }));
  try {
    const server = await fleet.start<Ready>('./micro-server.js', {
      name: 'server-micro',
      timeout: 20_000,
      profile: true,
    });
    const own = await fleet.start<Ready>('./server.js', {
      name: 'server-raw',
      args: ['raw', 'bench'],
      profile: true,
    });
    variants.push({ name: RAW_OWN, server: own, port: own.ready.port });
    variants.push({ name: 'micro', server, port: server.ready.port });
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
  const url = (v: Variant) => `http://127.0.0.1:${v.port}`;
  for (const v of variants) {
    await client.request('connect', { set: `${v.name}-1`, url: url(v), count: 1 });
    await client.request('connect', { set: `${v.name}-50`, url: url(v), count: 50, join: true });
  }
  const samples = new Samples();
  const window = config.windowMs;
  const timeout = window * 10 + 30_000;

  // Each measurement records its figures under `key` (undefined: warm-up, nothing recorded).
  const echo = async (v: Variant, clients: number, key?: string, event = 'echo') => {
    const { cpu, result } = await measured(v, () =>
      client.request<EchoResult>('echo', { set: `${v.name}-${clients}`, durationMs: window, event }, timeout),
    );
    if (!key) return;
    samples.add(`${key}:cpu`, v.name, cpu.cpuUs / cpu.events);
    samples.add(`${key}:rate`, v.name, (result.acks / result.elapsedMs) * 1000);
    samples.add(`${key}:p50`, v.name, result.p50Ms);
    samples.add(`${key}:p99`, v.name, result.p99Ms);
  };
  const fire = async (v: Variant, key?: string) => {
    const { cpu, result } = await measured(v, () =>
      client.request<FireResult>(
        'fire',
        { set: `${v.name}-50`, durationMs: window, batch: 20, window: 2 },
        timeout,
      ),
    );
    if (!key) return;
    samples.add(`${key}:cpu`, v.name, cpu.cpuUs / cpu.events);
    samples.add(`${key}:rate`, v.name, (result.events / result.elapsedMs) * 1000);
  };
  /** The baseline of a variant: raw in the same process, or, for Micro's process, raw in its own. */
  const baseOf = (v: Variant) => variants.find((x) => x.name === (v.name === 'micro' ? RAW_OWN : 'raw'))!;
  /**
   * The CPU-per-event target of `v` against its raw baseline. When the median of the paired ratios misses,
   * `config.confirmRounds` more rounds of the two alone (A B, B A, …) tell a cost from a noisy
   * neighbour, and the verdict is on all pairs.
   */
  const judgeCpu = async (
    figure: string,
    key: string,
    v: Variant,
    measure: (v: Variant, key: string) => Promise<void>,
  ) => {
    const base = baseOf(v);
    let ratios = samples.ratios(`${key}:cpu`, v.name, base.name);
    if (median(ratios) > CPU_TARGET && config.confirmRounds > 0 && !timeForConfirmation())
      console.log(`  ${figure}: missed, but no time left in the 5-minute budget for confirmation rounds`);
    if (median(ratios) > CPU_TARGET && config.confirmRounds > 0 && timeForConfirmation()) {
      const confirmKey = `${key}:confirm-${v.name}`;
      console.log(
        `  ${figure}: median ratio ${median(ratios).toFixed(3)} > ${CPU_TARGET}; ${config.confirmRounds} more rounds of ${base.name} and ${v.name} alone`,
      );
      await alternate([base, v], config.confirmRounds, (x) => measure(x, confirmKey));
      const extra = samples.ratios(`${confirmKey}:cpu`, v.name, base.name);
      console.log(`  confirmation rounds alone: ${fmtRatio(summarize(extra))}`);
      ratios = [...ratios, ...extra];
    }
    report.ratio(
      figure,
      `${base.name} ${fmtMedian(samples.get(`${key}:cpu`, base.name))} µs`,
      `${fmtMedian(samples.get(`${key}:cpu`, v.name))} µs`,
      ratios,
      CPU_TARGET,
      '<=',
    );
  };
  /** The listener of `event` alone, in a process of its own, against the server CPU per event. */
  const listenerAlone = async (event: 'echo' | 'ff' | 'vecho', cpuKey: string, label: string) => {
    const child = await fleet.start('./overhead.js', { name: 'overhead' });
    try {
      const o = await child.request<{ raw: number[]; binding: number[] }>(
        'measure',
        { event, rounds: 12, calls: 200_000 },
        60_000,
      );
      const extra = median(o.binding) - median(o.raw);
      const share = extra / 1000 / median(samples.get(`${cpuKey}:cpu`, 'raw'));
      console.log(
        `  the ${label} listener alone, in one process without sockets: raw ${fmtSummary(summarize(o.raw))} ns, binding ${fmtSummary(summarize(o.binding))} ns; the binding adds ${extra.toFixed(0)} ns per event = ${(share * 100).toFixed(1)}% of raw's server CPU per event`,
      );
      report.info(
        `${label} listener alone (in-process), binding`,
        `raw ${fmtMedian(o.raw, 0)} ns`,
        `${fmtMedian(o.binding, 0)} ns`,
        `+${extra.toFixed(0)} ns = ${(share * 100).toFixed(1)}% of raw CPU/event`,
      );
      if (event === 'echo') {
        // The ack goes out as one packet, which the binding's slow-consumer cap looks at.
        const h = await child.request<{ raw: number[]; binding: number[] }>(
          'packetHook',
          { rounds: 12, calls: 500_000 },
          60_000,
        );
        const hook = median(h.binding) - median(h.raw);
        const total = (extra + hook) / 1000 / median(samples.get(`${cpuKey}:cpu`, 'raw'));
        console.log(
          `  engine.io's packetCreate per outgoing packet: raw ${fmtSummary(summarize(h.raw))} ns, binding ${fmtSummary(summarize(h.binding))} ns (+${hook.toFixed(0)} ns); listener and ack packet together: +${(extra + hook).toFixed(0)} ns = ${(total * 100).toFixed(1)}% of raw's server CPU per event`,
        );
        // Every incoming event passes the rate limiter's gate first.
        const g = await child.request<{ raw: number[]; binding: number[] }>(
          'gate',
          { rounds: 12, calls: 500_000 },
          60_000,
        );
        const gate = median(g.binding) - median(g.raw);
        const gateShare = gate / 1000 / median(samples.get(`${cpuKey}:cpu`, 'raw'));
        console.log(
          `  the rate limiter per incoming event (decoded packet → gate → socket.io): raw ${fmtSummary(summarize(g.raw))} ns, binding ${fmtSummary(summarize(g.binding))} ns (+${gate.toFixed(0)} ns = ${(gateShare * 100).toFixed(1)}% of raw's server CPU per event)`,
        );
        report.info(
          'rate limiter per incoming event (in-process), binding',
          `raw ${fmtMedian(g.raw, 0)} ns`,
          `${fmtMedian(g.binding, 0)} ns`,
          `+${gate.toFixed(0)} ns = ${(gateShare * 100).toFixed(1)}% of raw CPU/event`,
        );
        report.info(
          'echo: listener + ack packet hook (in-process), binding',
          `raw ${fmtMedian(o.raw, 0)} + ${fmtMedian(h.raw, 0)} ns`,
          `${fmtMedian(o.binding, 0)} + ${fmtMedian(h.binding, 0)} ns`,
          `+${(extra + hook).toFixed(0)} ns = ${(total * 100).toFixed(1)}% of raw CPU/event`,
        );
      }
    } finally {
      await fleet.stop(child);
    }
  };
  const broadcast = async (v: Variant, key?: string) => {
    const { cpu, result } = await measured(v, () =>
      client.request<BroadcastResult>(
        'broadcast',
        { set: `${v.name}-50`, durationMs: window, window: 4 },
        timeout,
      ),
    );
    if (result.deliveries !== result.expected)
      throw new Error(`broadcast ${v.name}: ${result.deliveries} of ${result.expected} delivered`);
    if (!key) return;
    samples.add(`${key}:rate`, v.name, (result.deliveries / result.elapsedMs) * 1000);
    samples.add(`${key}:cpu`, v.name, cpu.cpuUs / result.deliveries);
  };

  // Warm-up: let every server's JIT see every path before anything is recorded.
  const names = (list: Variant[]) => list.map((v) => v.name).join(', ');
  console.log(`\n[dispatch] variants: ${names(variants)}; ${config.dispatchRounds} rounds of ${window} ms`);
  for (const v of variants) {
    await echo(v, 1);
    await echo(v, 50);
    if (plain.includes(v)) {
      await fire(v);
      await broadcast(v);
    }
  }

  const rounds = config.dispatchRounds;
  if (enabled('echo')) {
    for (const clients of [1, 50]) {
      const key = `echo${clients}`;
      await alternate(variants, rounds, (v) => echo(v, clients, key));
      samples.print(
        `1. Echo with ack, ${clients} client${clients > 1 ? 's' : ''} (server CPU per event; acks/s and round trip at the client)`,
        [
          { key: `${key}:cpu`, label: 'server CPU µs/event', digits: 2 },
          { key: `${key}:rate`, label: 'acks/s' },
          { key: `${key}:p50`, label: 'p50 round trip ms', digits: 3 },
          { key: `${key}:p99`, label: 'p99 round trip ms', digits: 3 },
        ],
        'raw',
      );
      if (variants.some((v) => v.name === RAW_OWN)) {
        // The same code in two processes: how far apart process placement alone puts two rounds.
        const placement = summarize(samples.ratios(`${key}:cpu`, RAW_OWN, 'raw'));
        console.log(`  ${RAW_OWN} / raw (identical servers, two processes): ${fmtRatio(placement)}`);
        report.info(
          `echo ${clients}c noise floor: ${RAW_OWN} vs raw`,
          'raw (shared process)',
          `${RAW_OWN} (same code, own process)`,
          fmtRatio(placement),
        );
      }
      const figures = (name: string) =>
        `${fmtMedian(samples.get(`${key}:rate`, name), 0)} acks/s, p50 ${fmtMedian(samples.get(`${key}:p50`, name), 3)} / p99 ${fmtMedian(samples.get(`${key}:p99`, name), 3)} ms`;
      for (const v of variants.filter((x) => x.name !== 'raw' && x.name !== RAW_OWN)) {
        await judgeCpu(`echo ${clients}c server CPU/event, ${v.name}`, key, v, (x, k) => echo(x, clients, k));
        const base = baseOf(v).name;
        report.info(
          `echo ${clients}c acks/s and round trip, ${v.name}`,
          `${base} ${figures(base)}`,
          figures(v.name),
          fmtRatio(summarize(samples.ratios(`${key}:rate`, v.name, base))),
        );
      }
    }
    await listenerAlone('echo', 'echo50', 'echo (50 clients)');
  }

  if (enabled('vecho')) {
    // A zod object schema on the payload: through the binding's contract, against raw socket.io
    // calling the same schema by hand in its handler.
    const vecho = (v: Variant, key?: string) => echo(v, 50, key, 'vecho');
    for (const v of plain) await vecho(v);
    await alternate(plain, rounds, (v) => vecho(v, 'vecho50'));
    samples.print(
      '1b. Validated echo with ack, 50 clients (zod object schema on the payload; server CPU per event)',
      [
        { key: 'vecho50:cpu', label: 'server CPU µs/event', digits: 2 },
        { key: 'vecho50:rate', label: 'acks/s' },
      ],
      'raw',
    );
    const binding = plain.find((v) => v.name === 'binding');
    if (binding) {
      await judgeCpu('validated echo 50c server CPU/event, binding (contract)', 'vecho50', binding, vecho);
      await listenerAlone('vecho', 'vecho50', 'validated echo (50 clients)');
    }
  }

  if (enabled('fire')) {
    await alternate(plain, rounds, (v) => fire(v, 'ff'));
    samples.print(
      '2. Fire-and-forget, 50 clients (checkpoint ack every 20 events, 2 checkpoints outstanding per client)',
      [
        { key: 'ff:cpu', label: 'server CPU µs/event', digits: 2 },
        { key: 'ff:rate', label: 'events/s' },
      ],
      'raw',
    );
    const binding = plain.find((v) => v.name === 'binding');
    if (binding) {
      await judgeCpu('fire-and-forget server CPU/event, binding', 'ff', binding, fire);
      await listenerAlone('ff', 'ff', 'fire-and-forget');
      report.info(
        'fire-and-forget events/s, binding',
        `raw ${fmtMedian(samples.get('ff:rate', 'raw'), 0)}/s`,
        `${fmtMedian(samples.get('ff:rate', 'binding'), 0)}/s`,
        fmtRatio(summarize(samples.ratios('ff:rate', 'binding', 'raw'))),
      );
    }
  }

  if (enabled('broadcast')) {
    await alternate(plain, rounds, (v) => broadcast(v, 'bc'));
    samples.print(
      '3. Room broadcast to 50 clients (4 broadcast requests outstanding)',
      [
        { key: 'bc:rate', label: 'deliveries/s' },
        { key: 'bc:cpu', label: 'server CPU µs/delivery', digits: 2 },
      ],
      'raw',
    );
    report.info(
      'room broadcast deliveries/s, binding',
      `raw ${fmtMedian(samples.get('bc:rate', 'raw'), 0)}/s`,
      `${fmtMedian(samples.get('bc:rate', 'binding'), 0)}/s`,
      fmtRatio(summarize(samples.ratios('bc:rate', 'binding', 'raw'))),
    );
  }

  await fleet.stop(client);
  for (const v of variants) await fleet.stop(v.server);
}
