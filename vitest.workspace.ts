import type { TestProjectInlineConfiguration } from 'vitest/config';

/**
 * The test projects of the monorepo, one per package or example. vitest 4 no longer reads
 * this file by itself: `vitest.config.ts` imports it into `test.projects`.
 */
function project(name: string, include: string[], extra: TestProjectInlineConfiguration['test'] = {}) {
  return { extends: true, test: { name, include, ...extra } } satisfies TestProjectInlineConfiguration;
}

export const projects: TestProjectInlineConfiguration[] = [
  project('core', ['packages/core/src/**/*.test.ts']),
  project('server', ['packages/server/src/**/*.test.ts']),
  project('publish', ['packages/publish/src/**/*.test.ts']),
  project('micro', ['packages/micro/src/**/*.test.ts']),
  project('micro-socket', ['packages/micro-socket/src/**/*.test.ts']),
  project('examples', ['examples/*/test/**/*.test.ts']),
];
