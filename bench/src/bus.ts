// Section 5: cross-worker room broadcast over the publish bus vs socket.io's adapters.
// Written once @pestras/micro-socket-publish exports its API; until then it prints a note.
import type { Fleet } from './proc.js';
import type { Report } from './report.js';

export async function runBus(_fleet: Fleet, report: Report): Promise<void> {
  const publish: Record<string, unknown> = await import('@pestras/micro-socket-publish');
  const wanted = ['PublishBus', 'ipcTransport', 'attachPublishRelay', 'redisTransport'];
  const missing = wanted.filter((name) => !(name in publish));
  if (missing.length) {
    const why = `@pestras/micro-socket-publish does not export ${missing.join(', ')} yet`;
    console.log(`\n[bus] skipped: ${why}`);
    report.notes.push(`bus section skipped: ${why}`);
    report.missing('IPC bus vs cluster-adapter deliveries/s', 'not run');
    return;
  }
  report.missing('IPC bus vs cluster-adapter deliveries/s', 'not written yet');
}
