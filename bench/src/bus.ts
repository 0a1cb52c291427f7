// Section 5: cross-worker room broadcast, the publish bus against socket.io's own adapters:
// IPC transport vs @socket.io/cluster-adapter, Redis transport vs @socket.io/redis-adapter.
// Each variant is a cluster (primary + 2 workers); a publisher socket on worker 1, receivers on
// worker 2. All clusters run at once and take turns.
import type { ClusterCpu } from './bus-cluster.js';
import type { BusResult } from './client.js';
import { config, importOptional, timeForConfirmation } from './config.js';
import type { Child, Fleet } from './proc.js';
import type { Report } from './report.js';
import { alternate, Samples } from './rounds.js';
import { fmtMedian, fmtRatio, median, summarize } from './stats.js';

const RECEIVERS = 10;
const PER_REQUEST = 5;
/** Throughput runs: at most this many messages published but not yet received everywhere. */
const IN_FLIGHT = 100;
/** Latency runs: a steady load well under saturation. */
const PACED_RATE = 500;

/**
 * Warm-up at full speed: long enough for more than 10,000 messages, so that every bus runs in
 * its steady state (its memory of recent message ids full) before anything is recorded.
 */
const WARM_UP_MS = 2_500;

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisAvailable(): Promise<string | undefined> {
  try {
    const { createClient } = await import('redis');
    const client = createClient({
      url: REDIS_URL,
      socket: { reconnectStrategy: false, connectTimeout: 1_000 },
    });
    client.on('error', () => {});
    await client.connect();
    await client.ping();
    await client.close();
    return undefined;
  } catch (err) {
    return `Redis unavailable at ${REDIS_URL}: ${(err as Error).message}`;
  }
}

/** Deletes whatever keys the run left under its prefix (pub/sub itself stores none). */
async function cleanRedis(prefix: string): Promise<number> {
  const { createClient } = await import('redis');
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => {});
  await client.connect();
  let removed = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    if (keys.length) removed += await client.del(keys);
  }
  await client.close();
  return removed;
}

export async function runBus(fleet: Fleet, report: Report): Promise<void> {
  const publish: Record<string, unknown> = await importOptional('@pestras/micro-socket-publish');
  const variants: string[] = [];
  const skip = (what: string, why: string) => {
    console.log(`note: ${what} skipped: ${why}`);
    report.notes.push(`${what} skipped: ${why}`);
  };
  if (['PublishBus', 'ipcTransport', 'attachPublishRelay'].every((name) => name in publish))
    variants.push('ipc', 'cluster-adapter');
  else
    skip(
      'IPC bus',
      '@pestras/micro-socket-publish does not export PublishBus/ipcTransport/attachPublishRelay',
    );
  const noRedis = await redisAvailable();
  if (noRedis) skip('Redis bus', noRedis);
  else if (!('redisTransport' in publish))
    skip('Redis bus', '@pestras/micro-socket-publish does not export redisTransport yet');
  else variants.push('redis', 'redis-adapter');
  if (!noRedis && !variants.includes('redis')) variants.push('redis-adapter');
  // A proposed fix measured beside the current build (see importOptional).
  if ((process.env.BENCH_MODULE_OVERRIDE ?? '').includes('@pestras/micro-socket-publish+fix=')) {
    for (const bus of ['ipc', 'redis']) if (variants.includes(bus)) variants.push(`${bus}+fix`);
  }
  if (!variants.length) return;

  const prefix = `micro-socket-bench:${process.pid}:${Date.now()}:`;
  console.log(
    `\n[bus] ${variants.join(', ')}; ${config.busRounds} rounds; ${RECEIVERS} receivers on the other worker; Redis prefix ${prefix}`,
  );
  const clusters = new Map<string, Child<{ ports: number[] }>>();
  const client = await fleet.start('./client.js', { name: 'bus-clients' });
  try {
    for (const v of variants) {
      const child = await fleet.start<{ ports: number[] }>('./bus-cluster.js', {
        name: `cluster-${v}`,
        // A prefix per variant: two buses on one channel would deliver each other's messages.
        args: [v, `${prefix}${v}:`],
        profile: true,
      });
      clusters.set(v, child);
      const [pubPort, subPort] = child.ready.ports;
      await client.request('connect', { set: `${v}-pub`, url: `http://127.0.0.1:${pubPort}`, count: 1 });
      await client.request('connect', {
        set: `${v}-sub`,
        url: `http://127.0.0.1:${subPort}`,
        count: RECEIVERS,
        join: true,
      });
    }
    // Room joins travel between workers asynchronously with some adapters: let them settle.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const samples = new Samples();
    const timeout = WARM_UP_MS + 30_000;
    // One window of `v`, max or paced; figures recorded under `key` (undefined: warm-up).
    const run = async (v: string, paced: boolean, key?: string, durationMs = config.busWindowMs) => {
      const cluster = clusters.get(v)!;
      const cpuBefore = await cluster.request<ClusterCpu>('cpu');
      const result = await client.request<BusResult>(
        'bus',
        {
          publisher: `${v}-pub`,
          receivers: `${v}-sub`,
          durationMs,
          perRequest: PER_REQUEST,
          inFlight: IN_FLIGHT,
          ratePerSec: paced ? PACED_RATE : undefined,
        },
        timeout,
      );
      const cpuAfter = await cluster.request<ClusterCpu>('cpu');
      if (result.deliveries !== result.expected)
        console.log(
          `  ${v}: ${result.expected - result.deliveries} of ${result.expected} deliveries missing`,
        );
      if (!key) return;
      const mode = paced ? 'paced' : 'max';
      if (!paced) {
        samples.add(`${key}:rate`, v, (result.deliveries / result.elapsedMs) * 1000);
        const [pubPort, subPort] = cluster.ready.ports;
        const worker = (port: number) => cpuAfter.workers[port]! - cpuBefore.workers[port]!;
        const primary = cpuAfter.primary - cpuBefore.primary;
        const perMessage = (us: number) => us / result.published;
        samples.add(`${key}:cpu-pub`, v, perMessage(worker(pubPort!)));
        samples.add(`${key}:cpu-primary`, v, perMessage(primary));
        samples.add(`${key}:cpu-sub`, v, perMessage(worker(subPort!)));
        samples.add(`${key}:cpu-all`, v, perMessage(worker(pubPort!) + worker(subPort!) + primary));
      }
      samples.add(`${key}:p50-${mode}`, v, result.p50Ms);
      samples.add(`${key}:p99-${mode}`, v, result.p99Ms);
      samples.add(`${key}:lost-${mode}`, v, result.expected - result.deliveries);
    };
    for (const v of variants) {
      await run(v, false, undefined, WARM_UP_MS);
      await run(v, true);
    }
    await alternate(variants, config.busRounds, async (v) => {
      await run(v, false, 'bus');
      await run(v, true, 'bus');
    });

    const pairs: Array<[string, string, string]> = [
      ['ipc', 'cluster-adapter', 'IPC bus'],
      ['redis', 'redis-adapter', 'Redis bus'],
      ['ipc+fix', 'cluster-adapter', 'IPC bus + proposed fix'],
      ['redis+fix', 'redis-adapter', 'Redis bus + proposed fix'],
    ];
    for (const [bus, adapter, label] of pairs) {
      if (!variants.includes(bus) || !variants.includes(adapter)) continue;
      samples.print(
        `5. Cross-worker room broadcast, ${label} vs ${adapter} (${RECEIVERS} receivers on the other worker; max: ≤ ${IN_FLIGHT} messages in flight; paced: ${PACED_RATE} messages/s)`,
        [
          { key: 'bus:rate', label: 'deliveries/s (max)' },
          { key: 'bus:p50-max', label: 'p50 publish→receive ms (max)', digits: 2 },
          { key: 'bus:p99-max', label: 'p99 publish→receive ms (max)', digits: 2 },
          { key: 'bus:p50-paced', label: 'p50 publish→receive ms (paced)', digits: 2 },
          { key: 'bus:p99-paced', label: 'p99 publish→receive ms (paced)', digits: 2 },
          { key: 'bus:cpu-all', label: 'CPU µs/message, all processes (max)', digits: 1 },
          { key: 'bus:cpu-pub', label: '  publishing worker', digits: 1 },
          { key: 'bus:cpu-primary', label: '  primary', digits: 1 },
          { key: 'bus:cpu-sub', label: '  receiving worker', digits: 1 },
          { key: 'bus:lost-max', label: 'deliveries missing (max)', digits: 0 },
        ],
        adapter,
        [adapter, bus],
      );
      let ratios = samples.ratios('bus:rate', bus, adapter);
      if (median(ratios) < 1 && config.confirmRounds > 0 && !timeForConfirmation())
        console.log(`  ${label}: missed, but no time left in the 5-minute budget for confirmation rounds`);
      if (median(ratios) < 1 && config.confirmRounds > 0 && timeForConfirmation()) {
        console.log(
          `  ${label}: median deliveries/s ratio ${median(ratios).toFixed(3)} < 1; ${config.confirmRounds} more rounds of ${bus} and ${adapter} alone`,
        );
        const key = `confirm-${bus}`;
        await alternate([adapter, bus], config.confirmRounds, (v) => run(v, false, key));
        const extra = samples.ratios(`${key}:rate`, bus, adapter);
        const cpu = samples.ratios(`${key}:cpu-all`, bus, adapter);
        console.log(
          `  confirmation rounds alone: deliveries/s ${fmtRatio(summarize(extra))}, CPU/message ${fmtRatio(summarize(cpu))}`,
        );
        ratios = [...ratios, ...extra];
      }
      report.ratio(
        `${label} deliveries/s vs ${adapter}`,
        `${adapter} ${fmtMedian(samples.get('bus:rate', adapter), 0)}/s`,
        `${fmtMedian(samples.get('bus:rate', bus), 0)}/s`,
        ratios,
        1.0,
        '>=',
      );
      report.info(
        `${label} CPU/message, all processes`,
        `${adapter} ${fmtMedian(samples.get('bus:cpu-all', adapter), 1)} µs`,
        `${fmtMedian(samples.get('bus:cpu-all', bus), 1)} µs`,
        fmtRatio(summarize(samples.ratios('bus:cpu-all', bus, adapter))),
      );
      const p99 = samples.get('bus:p99-paced', bus);
      report.rows.push({
        figure: `${label} p99 publish→receive (${PACED_RATE} msg/s)`,
        base: `${adapter} ${fmtMedian(samples.get('bus:p99-paced', adapter))} ms`,
        measured: `${fmtMedian(p99)} ms (at max load: ${fmtMedian(samples.get('bus:p99-max', bus))} ms)`,
        ratio: '',
        target: '< 10 ms',
        verdict: p99.length ? (median(p99) < 10 ? 'PASS' : 'MISS') : 'n/a',
      });
    }
  } finally {
    await fleet.stop(client);
    for (const child of clusters.values()) await fleet.stop(child);
    if (!noRedis) {
      const removed = await cleanRedis(prefix);
      console.log(`  Redis: ${removed} keys removed under ${prefix}`);
    }
  }
}
