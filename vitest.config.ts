import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { projects } from './vitest.workspace';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources; examples started as processes run against the builds.
    alias: [
      { find: /^@pestras\/micro-socket-core$/, replacement: src('core') },
      {
        find: /^@pestras\/micro-socket-core\/internal$/,
        replacement: fileURLToPath(new URL('./packages/core/src/internal/index.ts', import.meta.url)),
      },
      { find: /^@pestras\/micro-socket-server$/, replacement: src('server') },
      { find: /^@pestras\/micro-socket-cluster$/, replacement: src('cluster') },
      { find: /^@pestras\/micro-socket-publish$/, replacement: src('publish') },
      {
        find: /^@pestras\/micro-socket-publish\/testing$/,
        replacement: fileURLToPath(new URL('./packages/publish/src/memory.ts', import.meta.url)),
      },
      { find: /^@pestras\/micro-socket-plugin$/, replacement: src('plugin') },
    ],
  },
  test: {
    projects,
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    passWithNoTests: false,
  },
});
