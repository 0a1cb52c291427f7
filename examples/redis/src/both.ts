// `pnpm --filter redis start`: the two processes of the example, on ports 3001 and 3002
// (BASE_PORT to move them), sharing Redis (REDIS_URL) through the publish bus.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.js', import.meta.url));
const base = Number(process.env.BASE_PORT ?? 3001);
const children: ChildProcess[] = ['one', 'two'].map((name, index) =>
  fork(main, { env: { ...process.env, NAME: name, PORT: String(base + index) } }),
);

let stopping = false;
function stop(code: number) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve)))).then(() =>
    process.exit(code),
  );
}
for (const child of children) child.once('exit', (code) => stop(code ?? 1));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop(0));
