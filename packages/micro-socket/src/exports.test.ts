// The meta-package's export list, checked on the build (build it first) in a child process:
// loading it loads @pestras/micro, whose process handlers must stay out of the test worker.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

const VALUES = [
  'asyncApiDocument',
  'CodedError',
  'CONNECT',
  'DEFAULT_EXIT_TIMEOUT',
  'DISCONNECT',
  'DecoratorError',
  'defineEvents',
  'EVENT',
  'HANDSHAKE',
  'MAX_VALIDATION_ISSUES',
  'MicroSocket',
  'MicroSocketError',
  'RECONNECT',
  'SocketError',
  'USE',
  'USESOCKET',
];
const TYPES = [
  'AckError',
  'AckFailure',
  'AsyncApiDocument',
  'AsyncApiOptions',
  'AsyncApiServing',
  'ClientToServerEvents',
  'EventContracts',
  'EventDecorator',
  'EventOptions',
  'ServerToClientEvents',
  'StandardSchemaV1',
  'ValidationAckError',
  'ValidationIssue',
  'DecoratorErrorCode',
  'HandlerDecorator',
  'Logger',
  'MicroSocketErrorCode',
  'MicroSocketOptions',
  'Namespaces',
  'PublishOptions',
  'SocketIOOptions',
  'SocketIOServerOptions',
  'SocketIOPublishMessage',
];

function keysOf(script: string): string[] {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

/**
 * What a declaration file really exports, as the TypeScript compiler resolves it (NodeNext: the
 * .d.cts through the dependencies' `require` conditions): names exported as values (classes
 * count as values), names exported only as types, and names whose re-export resolves to nothing.
 */
function declaredExports(
  program: ts.Program,
  file: string,
): { values: string[]; types: string[]; unresolved: string[] } {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`${file} is not a module`);
  const result = { values: [] as string[], types: [] as string[], unresolved: [] as string[] };
  for (const symbol of checker.getExportsOfModule(module)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (!target.declarations?.length) result.unresolved.push(symbol.name);
    else if (target.flags & ts.SymbolFlags.Value) result.values.push(symbol.name);
    else if (target.flags & ts.SymbolFlags.Type) result.types.push(symbol.name);
    else result.unresolved.push(symbol.name);
  }
  for (const list of Object.values(result)) list.sort();
  return result;
}

describe('@pestras/micro-socket exports', () => {
  it('gives require and import the same named values', () => {
    const required = keysOf(
      "import { createRequire } from 'node:module'; console.log(JSON.stringify(Object.keys(createRequire(import.meta.url)('@pestras/micro-socket')).sort()))",
    );
    const imported = keysOf(
      "const m = await import('@pestras/micro-socket'); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()))",
    );
    expect(required).toEqual([...VALUES].sort());
    expect(imported).toEqual([...VALUES].sort());
  });

  it('exports the values as values and the types as types from both d.ts files, and nothing else', () => {
    const files = ['dist/index.d.ts', 'dist/index.d.cts'];
    const program = ts.createProgram(
      files.map((file) => `${root}/${file}`),
      {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        noEmit: true,
        skipLibCheck: true,
      },
    );
    for (const file of files) {
      expect({ file, ...declaredExports(program, `${root}/${file}`) }).toEqual({
        file,
        values: [...VALUES].sort(),
        types: [...TYPES].sort(),
        unresolved: [],
      });
    }
  });

  it('re-exports by name only', () => {
    const source = readFileSync(`${root}/src/index.ts`, 'utf8');
    expect(source).not.toMatch(/export\s+\*/);
  });
});
