// Every TypeScript snippet of the README type-checks as written, as a Micro service would
// compile it (experimentalDecorators, NodeNext), against the built package: the snippets sit
// inside this package, so '@pestras/micro-socket' resolves to it by its own name.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, `.readme-snippets-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// @pestras/micro-router is not on npm: the Http Server snippet gets a declaration of it.
const MICRO_ROUTER = `declare module '@pestras/micro-router' {
  import type { Server } from 'node:http';
  export class MicroRouter { static server: Server | null; healthy: boolean; ready: boolean; live: boolean; init(): Promise<void>; }
}
`;

describe('README snippets', () => {
  it('type-check as written', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(snippets.length).toBeGreaterThanOrEqual(12);
    mkdirSync(dir, { recursive: true });
    snippets.forEach((code, i) => {
      writeFileSync(join(dir, `snippet-${String(i).padStart(2, '0')}.ts`), code);
    });
    writeFileSync(join(dir, 'micro-router.d.ts'), MICRO_ROUTER);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          experimentalDecorators: true,
          types: ['node'],
        },
        include: ['*.ts'],
      }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe('');
  });
});
