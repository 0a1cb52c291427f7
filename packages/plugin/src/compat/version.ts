import { createRequire } from 'node:module';

/**
 * The @pestras/micro versions every patch in this folder was written against and tested with.
 * Each patch reaches into Micro's internals (`_plugins`, the source text of its worker listener,
 * the order of `exit`), so another version gets a warning rather than a silent patch.
 */
export const CHECKED_MICRO_VERSIONS: readonly string[] = ['1.2.5'];

/** The version of the @pestras/micro this process loads, or undefined when it cannot be read. */
export function installedMicroVersion(): string | undefined {
  try {
    return (createRequire(import.meta.url)('@pestras/micro/package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The warning for a Micro version the patches were not checked with; undefined for a checked one. */
export function uncheckedVersionWarning(version: string | undefined): string | undefined {
  if (version !== undefined && CHECKED_MICRO_VERSIONS.includes(version)) return undefined;
  return (
    `@pestras/micro-socket-plugin patches @pestras/micro ${CHECKED_MICRO_VERSIONS.join(', ')} ` +
    `(Micro.plugin, Micro.start with workers, Micro.exit); this process loads ${version ?? 'an unknown version'}, ` +
    'which they were not checked with: check the plugin against it before relying on workers or graceful exit.'
  );
}
