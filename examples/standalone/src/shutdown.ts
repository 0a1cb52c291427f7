import type { SocketServer } from '@pestras/micro-socket-server';

/**
 * On SIGTERM or SIGINT: stop accepting connections, let the handlers in flight answer their
 * acks, close every client's connection (they see 'transport close' and reconnect by themselves,
 * to this server once it is back), and exit 0, all within `timeout` ms. A second signal exits at
 * once, with 1.
 */
export function closeOnSignals(
  server: SocketServer,
  timeout: number,
  log: (line: string) => void = console.log,
) {
  let closing = false;
  const onSignal = async (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    log(`${signal}: closing, ${server.running} handler(s) in flight`);
    await server.close({ timeout });
    log('closed');
    process.exit(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
