// Against the build (run `pnpm build` first): the CommonJS bundle is a second copy of every module.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as core from './index';

describe('two copies of the package in one process (the dual-package hazard)', () => {
  it('shares metadata with a second copy of the package in the same process (the CJS build)', () => {
    // The dual-package hazard for real: the built CommonJS bundle is a separate copy of every module.
    const second: typeof core = createRequire(import.meta.url)('../dist/index.cjs');
    expect(second.getHandlerMetadata).not.toBe(core.getHandlerMetadata);
    class Svc {
      @core.EVENT('ping') ping() {}
      @second.EVENT('pong') pong() {}
    }
    expect(second.getHandlerMetadata(Svc).map((e) => e.event)).toEqual(['ping', 'pong']);
    expect(core.getHandlerMetadata(Svc).map((e) => e.event)).toEqual(['ping', 'pong']);
  });
});
