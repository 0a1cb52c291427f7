import { defineConfig, type Options } from 'tsup';

/**
 * The one build every published package shares: dual ESM + CJS with `.d.ts`/`.d.cts`,
 * so `exports` can give `import` and `require` their own `types`.
 */
export function packageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
