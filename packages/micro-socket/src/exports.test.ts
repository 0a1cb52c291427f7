// The meta-package's export list, checked on the build (build it first) in a child process:
// loading it loads @pestras/micro, whose process handlers must stay out of the test worker.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

const VALUES = [
  'CodedError',
  'CONNECT',
  'DEFAULT_EXIT_TIMEOUT',
  'DISCONNECT',
  'DecoratorError',
  'EVENT',
  'HANDSHAKE',
  'MicroSocket',
  'MicroSocketError',
  'RECONNECT',
  'SocketError',
  'USE',
  'USESOCKET',
];
const TYPES = [
  'AckError',
  'DecoratorErrorCode',
  'HandlerDecorator',
  'Logger',
  'MicroSocketErrorCode',
  'MicroSocketOptions',
  'Namespaces',
  'PublishOptions',
  'SocketIOOptions',
  'SocketIOPublishMessage',
];

function keysOf(script: string): string[] {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
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

  it('declares the values and the types in both d.ts files', () => {
    for (const file of ['dist/index.d.ts', 'dist/index.d.cts']) {
      const dts = readFileSync(`${root}/${file}`, 'utf8');
      for (const name of [...VALUES, ...TYPES]) expect(dts).toMatch(new RegExp(`\\b${name}\\b`));
    }
  });

  it('re-exports by name only', () => {
    const source = readFileSync(`${root}/src/index.ts`, 'utf8');
    expect(source).not.toMatch(/export\s+\*/);
  });
});
