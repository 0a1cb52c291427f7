// Every ```ts block of every README (the root's, packages/*, examples/*, docs/*) type-checks as
// written, under `strict`, as a Micro service compiles it (experimentalDecorators, NodeNext,
// skipLibCheck, which Micro 1.2.5's own types need), against the built packages. The snippets sit
// inside this package, which depends on every other one, so each '@pestras/micro-socket*' import
// resolves to its build. Each block is its own module.
//
// `pnpm test:fresh` checks the same snippets the way a new user meets them: every package packed
// with `pnpm pack`, installed from the tarballs into a fresh project, compiled there.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = join(pkg, '..', '..');
const snippets = join(pkg, `.readme-snippets-${process.pid}`);
afterAll(() => rmSync(snippets, { recursive: true, force: true }));

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
function writeSnippets(dir: string): Map<string, string> {
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

/** Writes the snippets and a strict tsconfig into `dir`, runs `tsc`; returns its errors, located. */
function typeCheck(dir: string, tsc: string): string {
  const origins = writeSnippets(dir);
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
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
  } catch (err) {
    output = String((err as { stdout?: string }).stdout ?? err);
  }
  // name the document and block of each error, not the temporary file
  return output.replace(/^(\S+?\.ts)\((\d+),(\d+)\)/gm, (_, file: string, line: string) => {
    const name = basename(file);
    return `${origins.get(name) ?? name}, line ${line}`;
  });
}

describe('README snippets', () => {
  it('every ts block of every README and guide type-checks as written under strict', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    expect(typeCheck(snippets, tsc)).toBe('');
  });
});

// Slow (packs every package and installs a project from the npm registry), so not part of
// `pnpm test`: `pnpm test:fresh` (after `pnpm build`) runs it.
describe.runIf(process.env.FRESH_PROJECT)('README snippets in a fresh project', () => {
  it('compile under strict in a project that installed the packed tarballs', { timeout: 600_000 }, () => {
    const fresh = mkdtempSync(join(tmpdir(), 'micro-socket-fresh-'));
    onTestFinished(() => rmSync(fresh, { recursive: true, force: true }));
    const tarballs = join(fresh, 'tarballs');
    const local: Record<string, string> = {};
    for (const folder of ['core', 'server', 'publish', 'micro', 'micro-socket']) {
      const cwd = join(repo, 'packages', folder);
      const { name } = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { name: string };
      const packed = execFileSync('pnpm', ['pack', '--pack-destination', tarballs], {
        cwd,
        encoding: 'utf8',
      });
      const tarball = packed.trim().split('\n').pop()!.trim();
      local[name] = `file:${tarball}`;
    }
    const project = join(fresh, 'project');
    mkdirSync(project);
    const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const versions = (...names: string[]) =>
      Object.fromEntries(names.map((n) => [n, root.devDependencies[n]!]));
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'fresh-project',
        private: true,
        type: 'module',
        dependencies: {
          ...local,
          '@pestras/micro': '1.2.5',
          // with what the snippets import besides the packages
          ...versions(
            'socket.io',
            'socket.io-client',
            'zod',
            'typescript',
            '@types/node',
            'redis',
            '@socket.io/redis-streams-adapter',
            'rate-limiter-flexible',
          ),
        },
        // the packages' dependencies on each other resolve to the tarballs too, not the registry
        pnpm: { overrides: local },
      }),
    );
    execFileSync(
      'pnpm',
      ['install', '--ignore-workspace', '--prefer-offline', '--config.confirmModulesPurge=false'],
      {
        cwd: project,
        encoding: 'utf8',
        stdio: 'pipe',
      },
    );
    const dir = join(project, 'snippets');
    mkdirSync(dir);
    expect(typeCheck(dir, join(project, 'node_modules/typescript/bin/tsc'))).toBe('');
  });
});
