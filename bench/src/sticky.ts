// Section 7: sticky sessions through a cluster primary, @pestras/micro-socket-cluster against
// @socket.io/sticky 2 with the same two workers (src/sticky-cluster.ts). Both clusters run at once
// and take turns; every figure at the clients, CPU from each process's process.cpuUsage().
import type { ChurnResult, ConnectResult, EchoResult } from './client.js';
import { config, timeForConfirmation } from './config.js';
import type { Child, Fleet } from './proc.js';
import type { Report } from './report.js';
import { alternate, Samples } from './rounds.js';
import { fmtMedian, fmtRatio, median, summarize } from './stats.js';
import type { StickyClusterCpu } from './sticky-cluster.js';

const OURS = 'micro-socket-cluster';
const THEIRS = 'socket.io-sticky';
const VARIANTS = [OURS, THEIRS];
/** Polling-only clients, each with one acked event outstanding: every event is a POST and a GET poll. */
const POLLING_CLIENTS = 20;
/**
 * A polling client whose handshake fails is retried: with @socket.io/sticky the request after the
 * handshake can reach the primary before the worker's message binding the new session, and gets
 * 400 from the other worker (counted and reported).
 */
const HANDSHAKE_RETRIES = 3;
/** Websocket-only connect-then-disconnect loops running at once. */
const CHURN_PARALLEL = 10;
/**
 * Wait after a window before reading the CPU: the closes of the last connections (with
 * @socket.io/sticky, a message to the primary per closed session) belong to the window.
 */
const SETTLE_MS = 100;

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

interface Window<T> {
  result: T;
  primaryUs: number;
  workersUs: number;
  httpRequests: number;
}

/** The figures of one kind of load, its unit, and how one window of it is run. */
interface Load {
  /** What the figures are recorded under, and the name of the load in the report. */
  key: string;
  unit: string;
  rateLabel: string;
  run: (v: string, key?: string) => Promise<void>;
}

export async function runSticky(fleet: Fleet, report: Report): Promise<void> {
  const rounds = config.stickyRounds;
  const window = config.stickyWindowMs;
  console.log(
    `\n[sticky] ${VARIANTS.join(' vs ')}, 2 workers each; ${POLLING_CLIENTS} polling clients; ${CHURN_PARALLEL} websocket connect/disconnect loops; ${rounds} rounds of ${window} ms`,
  );
  const clusters = new Map<string, Child<{ port: number }>>();
  const client = await fleet.start('./client.js', { name: 'sticky-clients' });
  try {
    for (const v of VARIANTS) {
      clusters.set(
        v,
        await fleet.start<{ port: number }>('./sticky-cluster.js', {
          name: `sticky-${v}`,
          args: [v],
          profile: true,
        }),
      );
    }
    const url = (v: string) => `http://127.0.0.1:${clusters.get(v)!.ready.port}`;
    for (const v of VARIANTS) {
      const connected = await client.request<ConnectResult>('connect', {
        set: `${v}-polling`,
        url: url(v),
        count: POLLING_CLIENTS,
        transports: ['polling'],
        retries: HANDSHAKE_RETRIES,
      });
      if (connected.failedAttempts > 0) {
        const note = `${v}: ${connected.failedAttempts} of ${POLLING_CLIENTS + connected.failedAttempts} polling handshakes failed (retried)`;
        console.log(`  ${note}`);
        report.notes.push(`sticky: ${note}`);
      }
    }

    const samples = new Samples();
    const timeout = window * 10 + 30_000;
    const measured = async <T>(v: string, load: () => Promise<T>): Promise<Window<T>> => {
      const cluster = clusters.get(v)!;
      const before = await cluster.request<StickyClusterCpu>('cpu');
      const result = await load();
      await settle();
      const after = await cluster.request<StickyClusterCpu>('cpu');
      return {
        result,
        primaryUs: after.primaryUs - before.primaryUs,
        workersUs: after.workersUs - before.workersUs,
        httpRequests: after.httpRequests - before.httpRequests,
      };
    };
    const record = (key: string, v: string, w: Window<unknown>, units: number, elapsedMs: number) => {
      samples.add(`${key}:rate`, v, (units / elapsedMs) * 1000);
      samples.add(`${key}:cpu-primary`, v, w.primaryUs / units);
      samples.add(`${key}:cpu-workers`, v, w.workersUs / units);
      samples.add(`${key}:http`, v, w.httpRequests / units);
    };

    const polling: Load = {
      key: 'polling',
      unit: 'ack',
      rateLabel: 'acks/s',
      run: async (v, key) => {
        const w = await measured(v, () =>
          client.request<EchoResult>('echo', { set: `${v}-polling`, durationMs: window }, timeout),
        );
        if (!key) return;
        record(key, v, w, w.result.acks, w.result.elapsedMs);
        samples.add(`${key}:p50`, v, w.result.p50Ms);
        samples.add(`${key}:p99`, v, w.result.p99Ms);
      },
    };
    const websocket: Load = {
      key: 'websocket',
      unit: 'connection',
      rateLabel: 'connections/s',
      run: async (v, key) => {
        const w = await measured(v, () =>
          client.request<ChurnResult>(
            'churn',
            { url: url(v), parallel: CHURN_PARALLEL, durationMs: window },
            timeout,
          ),
        );
        const { opened, lost, failures } = w.result;
        if (failures > 0)
          console.log(`  ${v}: ${failures} websocket connections failed to open in one window`);
        if (!key) return;
        record(key, v, w, opened, w.result.elapsedMs);
        samples.add(`${key}:lost`, v, lost);
        samples.add(`${key}:opened`, v, opened);
      },
    };

    // Warm-up: every path of both primaries and workers seen by the JIT before anything counts.
    for (const v of VARIANTS) {
      await polling.run(v);
      await websocket.run(v);
    }
    for (const load of [polling, websocket]) {
      await alternate(VARIANTS, rounds, (v) => load.run(v, load.key));
      const k = load.key;
      samples.print(
        load === polling
          ? `7. Sticky sessions, polling: ${POLLING_CLIENTS} polling-only clients through the primary, each sending an acked echo when the last one is answered (a POST and a GET poll per ack), 2 workers`
          : `7. Sticky sessions, new websocket connections: ${CHURN_PARALLEL} loops connecting a websocket-only client through the primary and disconnecting it once connected, 2 workers`,
        [
          { key: `${k}:rate`, label: load.rateLabel },
          { key: `${k}:cpu-primary`, label: `primary CPU µs/${load.unit}`, digits: 1 },
          { key: `${k}:cpu-workers`, label: `workers CPU µs/${load.unit}`, digits: 1 },
          { key: `${k}:http`, label: `HTTP requests/${load.unit} at the workers`, digits: 2 },
          ...(load === polling
            ? [
                { key: `${k}:p50`, label: 'p50 round trip ms', digits: 2 },
                { key: `${k}:p99`, label: 'p99 round trip ms', digits: 2 },
              ]
            : []),
        ],
        THEIRS,
      );
      await judge(load, samples, report);
      // Idle polling clients answer a ping every 25 s with two requests through the primary: not
      // in the websocket windows (nor their close packets, which are requests too).
      if (load === polling) {
        for (const v of VARIANTS) await client.request('close', { set: `${v}-polling` });
        await settle();
      }
      if (load === websocket) {
        // Totals over the rounds: a paired ratio of counts that are mostly 0 says nothing.
        const lost = (v: string) => {
          const total = (key: string) => samples.get(`${k}:${key}`, v).reduce((a, b) => a + b, 0);
          return `${total('lost')} of ${total('opened')}`;
        };
        console.log(
          `  opened but never connected (the CONNECT frame lost): ${OURS} ${lost(OURS)}, ${THEIRS} ${lost(THEIRS)}`,
        );
        report.info(
          'sticky websocket connections lost (opened, never connected)',
          `${THEIRS} ${lost(THEIRS)}`,
          lost(OURS),
        );
      }
    }
  } finally {
    await fleet.stop(client);
    for (const child of clusters.values()) await fleet.stop(child);
  }
}

/** The median of a figure of one variant, formatted. */
function figure(samples: Samples, key: string, v: string, digits: number): string {
  return fmtMedian(samples.get(key, v), digits);
}

/**
 * The two targets of a load against @socket.io/sticky: its rate at least 1.0×, the primary's CPU
 * per unit at most 1.0×. When either median misses, `config.confirmRounds` more rounds of the two
 * alone tell a cost from a noisy neighbour, and the verdicts are on all pairs.
 */
async function judge(load: Load, samples: Samples, report: Report): Promise<void> {
  const k = load.key;
  const targets = [
    { key: 'rate', figure: `${load.rateLabel} vs @socket.io/sticky`, unit: ` ${load.rateLabel}`, digits: 0 },
    { key: 'cpu-primary', figure: `primary CPU/${load.unit}`, unit: ' µs', digits: 1 },
  ] as const;
  const ratios = (key: string, prefix = k) => samples.ratios(`${prefix}:${key}`, OURS, THEIRS);
  const pairs = targets.map((t) => ratios(t.key));
  const [rate, cpu] = pairs.map(median) as [number, number];
  const missed = rate < 1 || cpu > 1;
  if (missed && config.confirmRounds > 0 && !timeForConfirmation())
    console.log(`  ${load.key}: missed, but no time left in the 5-minute budget for confirmation rounds`);
  if (missed && config.confirmRounds > 0 && timeForConfirmation()) {
    console.log(
      `  ${load.key}: ${load.rateLabel} ratio ${rate.toFixed(3)}, primary CPU/${load.unit} ratio ${cpu.toFixed(3)}; ${config.confirmRounds} more rounds of both alone`,
    );
    const confirm = `${k}-confirm`;
    await alternate([THEIRS, OURS], config.confirmRounds, (v) => load.run(v, confirm));
    const extra = targets.map((t) => ratios(t.key, confirm));
    console.log(
      `  confirmation rounds alone: ${targets.map((t, i) => `${t.figure} ${fmtRatio(summarize(extra[i]!))}`).join(', ')}`,
    );
    for (const [i, values] of pairs.entries()) values.push(...extra[i]!);
  }
  const at = (key: string, v: string, digits: number) => figure(samples, `${k}:${key}`, v, digits);
  targets.forEach((t, i) => {
    report.ratio(
      `sticky ${load.key} ${t.figure}`,
      `${THEIRS} ${at(t.key, THEIRS, t.digits)}${t.unit}`,
      `${at(t.key, OURS, t.digits)}${t.unit}`,
      pairs[i]!,
      1.0,
      t.key === 'rate' ? '>=' : '<=',
    );
  });
  report.info(
    `sticky ${load.key} workers CPU/${load.unit}`,
    `${THEIRS} ${at('cpu-workers', THEIRS, 1)} µs`,
    `${at('cpu-workers', OURS, 1)} µs`,
    fmtRatio(summarize(ratios('cpu-workers'))),
  );
}
