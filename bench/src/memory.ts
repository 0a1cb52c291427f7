// Section 4: heap and RSS per idle connection, raw vs binding, with 20 event handlers each.
// A fresh server per round (--expose-gc); the clients are spread over two processes.
import { config } from './config.js';
import type { MemorySnapshot } from './measure.js';
import type { Fleet } from './proc.js';
import type { Report } from './report.js';
import { alternate, Samples } from './rounds.js';
import { fmtMedian } from './stats.js';

export async function runMemory(fleet: Fleet, report: Report): Promise<void> {
  const total = config.connections;
  const clients = [
    await fleet.start('./client.js', { name: 'idle-clients-1' }),
    await fleet.start('./client.js', { name: 'idle-clients-2' }),
  ];
  const samples = new Samples();
  console.log(`\n[memory] ${total} idle websocket connections, ${config.memoryRounds} rounds per variant`);

  await alternate(['raw', 'binding'], config.memoryRounds, async (variant) => {
    const server = await fleet.start<{ port: number }>('./server.js', {
      name: `memory-${variant}`,
      args: [variant, 'idle20'],
      execArgv: ['--expose-gc'],
    });
    try {
      const url = `http://127.0.0.1:${server.ready.port}`;
      const before = await server.request<MemorySnapshot>('memory');
      const started = performance.now();
      await Promise.all(
        clients.map((c, i) =>
          c.request(
            'connect',
            { set: 'idle', url, count: Math.floor(total / 2) + (i === 0 ? total % 2 : 0), concurrency: 100 },
            120_000,
          ),
        ),
      );
      const connectMs = performance.now() - started;
      const after = await server.request<MemorySnapshot>('memory');
      if (after.clients !== total)
        throw new Error(`memory ${variant}: ${after.clients} of ${total} connected`);
      samples.add('heap', variant, (after.heapUsed - before.heapUsed) / total);
      samples.add('rss', variant, (after.rss - before.rss) / total);
      samples.add('connect', variant, (total / connectMs) * 1000);
    } finally {
      await Promise.all(clients.map((c) => c.request('close', { set: 'idle' })));
      await fleet.stop(server);
    }
  });
  samples.print(
    `4. Memory per idle connection (${total} connections, 20 handlers, after GC)`,
    [
      { key: 'heap', label: 'heap bytes/connection', digits: 0 },
      { key: 'rss', label: 'RSS bytes/connection', digits: 0 },
      { key: 'connect', label: 'connections/s while connecting', digits: 0 },
    ],
    'raw',
  );
  report.ratio(
    'heap per idle connection, binding',
    `raw ${fmtMedian(samples.get('heap', 'raw'), 0)} B`,
    `${fmtMedian(samples.get('heap', 'binding'), 0)} B`,
    samples.ratios('heap', 'binding', 'raw'),
    1.02,
    '<=',
  );
  report.info(
    'RSS per idle connection, binding',
    `raw ${fmtMedian(samples.get('rss', 'raw'), 0)} B`,
    `${fmtMedian(samples.get('rss', 'binding'), 0)} B`,
    fmtMedian(samples.ratios('rss', 'binding', 'raw'), 3),
  );
  for (const c of clients) await fleet.stop(c);
}
