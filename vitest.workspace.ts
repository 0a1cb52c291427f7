import type { TestProjectInlineConfiguration } from 'vitest/config';

/**
 * The test projects of the monorepo. vitest 4 no longer reads this file by itself:
 * `vitest.config.ts` imports it into `test.projects`.
 *
 * Two groups, one `pnpm test` for both:
 * - one project per package for the tests of the sources (`pnpm test:src`, no build needed);
 * - `built`: everything that runs the built packages — `*.built.test.ts` beside the sources, the
 *   meta-package's export and README checks, and the examples run as processes
 *   (`pnpm build && pnpm test:built`).
 */
function project(name: string, include: string[], exclude: string[] = []) {
  return { extends: true, test: { name, include, exclude } } satisfies TestProjectInlineConfiguration;
}

const BUILT = '**/*.built.test.ts';
const sources = (pkg: string) =>
  project(pkg, [`packages/${pkg}/src/**/*.test.ts`], [BUILT, '**/node_modules/**']);

export const projects: TestProjectInlineConfiguration[] = [
  sources('core'),
  sources('server'),
  sources('cluster'),
  sources('publish'),
  sources('plugin'),
  project('built', [
    `packages/*/src/${BUILT}`,
    'packages/micro-socket/src/**/*.test.ts',
    'examples/*/test/**/*.test.ts',
  ]),
];
