// The sticky primary and worker side that primary.test.ts runs against. By default this package's
// sources. With REGRESSION_BASE set to a built checkout of an older commit, that checkout's own
// build instead: before this package existed the primary and serveStickyWorker shipped in
// @pestras/micro-socket-publish. scripts/regressions-against-old-primary.mjs uses it to show that
// each attack test of issue 9 fails without its fix (the tests themselves stay the same).
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BundledFixture, bundleFixture, CORE_SOURCES } from '@pestras/micro-socket-testing';
import { type ClusterPrimary, type ClusterPrimaryOptions, startClusterPrimary } from '../src/primary';

/** The checkout under test, or undefined for this one's sources. */
export const REGRESSION_BASE = process.env.REGRESSION_BASE || undefined;

/** Where the old primary lived, relative to REGRESSION_BASE. */
const OLD_PACKAGE = 'packages/publish';

type StartPrimary = (options: ClusterPrimaryOptions) => Promise<ClusterPrimary>;

/**
 * startClusterPrimary of the code under test. The old primary takes the same core options
 * (workers, port, host, exec, execArgv, env, logger, routeTimeout) and ignores the ones it did
 * not know (maxPendingBytes, maxRequestLineBytes); it has no `pendingBytes` (undefined).
 */
export async function primaryUnderTest(): Promise<StartPrimary> {
  if (!REGRESSION_BASE) return startClusterPrimary;
  const entry = pathToFileURL(join(REGRESSION_BASE, OLD_PACKAGE, 'dist/index.js')).href;
  const old = (await import(/* @vite-ignore */ entry)) as { startClusterPrimary: StartPrimary };
  return old.startClusterPrimary;
}

/**
 * Bundles the worker fixture so that its `@pestras/micro-socket-cluster` import is the code under
 * test: this package's sources, or the old checkout's build (bundled under that checkout, so
 * socket.io and core resolve to its own copies).
 */
export function bundleWorkerUnderTest(entry: URL): BundledFixture {
  if (!REGRESSION_BASE) {
    return bundleFixture(entry, new URL('..', import.meta.url), {
      ...CORE_SOURCES,
      '@pestras/micro-socket-cluster': fileURLToPath(new URL('../src/index.ts', import.meta.url)),
    });
  }
  const oldPackage = join(REGRESSION_BASE, OLD_PACKAGE);
  return bundleFixture(entry, pathToFileURL(`${oldPackage}/`), {
    '@pestras/micro-socket-cluster': join(oldPackage, 'dist/index.js'),
  });
}
