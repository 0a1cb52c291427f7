// The bench handlers as a @pestras/micro service with the MicroSocket plugin, in its own process,
// with the plugin's defaults except the address (loopback, any free port).
import { BENCH_RATE_LIMIT, importOptional } from './config.js';
import { BenchHandlers, type Counters } from './handlers.js';
import { measurementCommands } from './measure.js';
import { serve } from './proc.js';

const counters: Counters = { events: 0 };
const commands: Record<string, (params: any) => unknown> = {};

serve(commands, async () => {
  // Imported here so that a missing export is a note in the report, not a link error.
  const plugin: Record<string, any> = await importOptional('@pestras/micro-socket');
  if (typeof plugin.MicroSocket !== 'function')
    throw new Error('@pestras/micro-socket does not export MicroSocket yet');
  const { Micro, SERVICE } = await import('@pestras/micro');

  const socket = new plugin.MicroSocket({
    port: 0,
    host: '127.0.0.1',
    // As in server.ts: the limiter in the path, at limits the bench never reaches.
    rateLimit: BENCH_RATE_LIMIT,
    // Quiet start-up line; nothing is logged per event either way.
    logger: { error: console.error, warn: console.warn },
  });
  Micro.plugins(socket);
  class BenchService extends BenchHandlers {
    constructor() {
      super(counters);
    }
  }
  SERVICE()(BenchService);
  await Micro.start(BenchService);
  for (let i = 0; i < 200 && !socket.started; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!socket.started) throw new Error('MicroSocket did not start');
  Object.assign(
    commands,
    measurementCommands(counters, () => socket.io.engine.clientsCount),
  );
  return { port: socket.port };
});
