// Preloaded (`node --import`) into a Micro example that serves no AsyncAPI document: a Micro
// plugin registered before the example's own, so Micro initializes it first. It writes the
// document of the service instances Micro created (what MicroSocket's `asyncapi: { path }` would
// serve) to ASYNCAPI_FILE and exits before any other plugin starts: nothing listens.
import { writeFileSync } from 'node:fs';
import { Micro } from '@pestras/micro';
import { asyncApiDocument } from '@pestras/micro-socket';

Micro.plugins({
  healthy: true,
  ready: true,
  live: true,
  init() {
    const services = [Micro.service, ...Micro.subServices];
    writeFileSync(process.env.ASYNCAPI_FILE, JSON.stringify(asyncApiDocument(services)));
    process.exit(0);
  },
});
