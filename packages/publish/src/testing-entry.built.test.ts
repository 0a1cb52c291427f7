// The built `./testing` entry (run `pnpm build` first), checked in a plain Node process: vitest's
// aliases would send the entry's own-name import to the sources. MemoryHub ships apart from the
// main entry, with the main entry's PublishError, so `instanceof` holds across the two.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

const check = `
  const transport = new testing.MemoryHub().transport();
  transport.close();
  let caught;
  try { transport.publish('x'); } catch (err) { caught = err; }
  console.log(JSON.stringify({ inMain: 'MemoryHub' in main, sameClass: caught instanceof main.PublishError, code: caught?.code }));
`;

function run(args: string[]): unknown {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: packageDir, encoding: 'utf8' }));
}

describe('@pestras/micro-socket-publish/testing', () => {
  const expected = { inMain: false, sameClass: true, code: 'ERR_CLOSED' };

  it('ships MemoryHub outside the main entry, sharing its PublishError (ESM)', () => {
    const esm = `import * as main from '@pestras/micro-socket-publish'; import * as testing from '@pestras/micro-socket-publish/testing'; ${check}`;
    expect(run(['--input-type=module', '-e', esm])).toEqual(expected);
  });

  it('ships MemoryHub outside the main entry, sharing its PublishError (CJS)', () => {
    const cjs = `const main = require('@pestras/micro-socket-publish'); const testing = require('@pestras/micro-socket-publish/testing'); ${check}`;
    expect(run(['-e', cjs])).toEqual(expected);
  });
});
