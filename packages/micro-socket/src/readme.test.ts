// Every ```ts block of every README (the root's, packages/*, examples/*, docs/*) type-checks as
// written, under `strict`, as a Micro service compiles it (experimentalDecorators, NodeNext,
// skipLibCheck, which Micro 1.2.5's own types need), against the built packages. The snippets sit
// inside this package, which depends on every other one, so each '@pestras/micro-socket*' import
// resolves to its build. Each block is its own module.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = join(pkg, '..', '..');
const dir = join(pkg, `.readme-snippets-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// @pestras/micro-router is not on npm: the Http Server snippet gets a declaration of it.
const MICRO_ROUTER = `declare module '@pestras/micro-router' {
  import type { Server } from 'node:http';
  export class MicroRouter { static server: Server | null; healthy: boolean; ready: boolean; live: boolean; init(): Promise<void>; }
}
`;

/** The markdown files whose snippets users copy: READMEs and the guides under docs/. */
function documents(): string[] {
  const inFolders = (folder: string, name: (entry: string) => string | undefined) =>
    readdirSync(join(repo, folder))
      .map(name)
      .filter((file): file is string => file !== undefined && existsSync(join(repo, file)));
  return [
    'README.md',
    ...inFolders('packages', (entry) => `packages/${entry}/README.md`),
    ...inFolders('examples', (entry) => `examples/${entry}/README.md`),
    ...inFolders('docs', (entry) => (entry.endsWith('.md') ? `docs/${entry}` : undefined)),
  ];
}

/** Writes each snippet to its own file, named after its document and position; returns the names. */
function writeSnippets(): Map<string, string> {
  mkdirSync(dir, { recursive: true });
  const origins = new Map<string, string>();
  for (const doc of documents()) {
    const text = readFileSync(join(repo, doc), 'utf8');
    [...text.matchAll(/```ts\n([\s\S]*?)```/g)].forEach((match, i) => {
      const file = `${doc.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '_')}-${String(i + 1).padStart(2, '0')}.ts`;
      writeFileSync(join(dir, file), match[1]!);
      origins.set(file, `${doc}, ts block ${i + 1}`);
    });
  }
  return origins;
}

describe('README snippets', () => {
  it('every ts block of every README and guide type-checks as written under strict', () => {
    const origins = writeSnippets();
    // the meta-package's README alone has a dozen: the extraction found the documents
    expect(origins.size).toBeGreaterThanOrEqual(25);
    writeFileSync(join(dir, 'micro-router.d.ts'), MICRO_ROUTER);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          moduleDetection: 'force',
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
    // name the document and block of each error, not the temporary file
    const located = output.replace(/^(\S+?\.ts)\((\d+),(\d+)\)/gm, (_, file: string, line: string) => {
      const name = basename(file);
      return `${origins.get(name) ?? name}, line ${line}`;
    });
    expect(located).toBe('');
  });
});
