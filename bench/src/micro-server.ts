// The echo handlers as a @pestras/micro service with the MicroSocket plugin, in its own process.
// Filled in once packages/micro exports MicroSocket; until then it refuses to start.
import { serve } from './proc.js';

serve({}, async () => {
  const plugin: Record<string, unknown> = await import('@pestras/micro-socket');
  if (typeof plugin.MicroSocket !== 'function')
    throw new Error('@pestras/micro-socket does not export MicroSocket yet');
  throw new Error('MicroSocket is exported but the bench variant is not written yet');
});
