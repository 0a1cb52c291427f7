// Hostile clients against the example cluster's primary (examples/cluster, run as its own process):
// slow handshakes (slowloris) of three shapes, forged routing cookies, SIGHUP storms. Prints what the
// primary held (its RSS, from /proc) and what the attackers and a few honest clients got.
//   pnpm build && node scripts/attack-cluster-primary.mjs [scenario...]
// Scenarios: head (handshake heads that never end), line (request lines without LF, the shape that
// existed before the primary read handshake heads), fill (head, then small connections filling the
// room left under maxPendingBytes), byte (1 byte per connection), cookie (forged
// routing cookies), sighup (10 SIGHUPs in a second, then SIGTERM during the restart). Default: all.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const cwd = fileURLToPath(new URL('../examples/cluster/', import.meta.url));
const scenarios =
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : ['head', 'line', 'fill', 'byte', 'cookie', 'sighup'];

/** Every cluster started: a scenario that throws must not leave its primary and workers running. */
const started = new Set();
process.on('exit', () => {
  for (const child of started) child.kill('SIGTERM');
});

function startCluster() {
  const child = spawn(process.execPath, ['dist/main.js'], { cwd, env: { ...process.env, PORT: '0' } });
  started.add(child);
  child.on('exit', () => started.delete(child));
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const waitFor = async (pattern, timeout = 20_000) => {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const match = pattern.exec(output);
      if (match) return match;
      await sleep(20);
    }
    throw new Error(`no ${pattern} within ${timeout} ms:\n${output}`);
  };
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, waitFor, output: () => output, exited };
}

const rssMB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const tally = (items) => {
  const counts = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
};

/** Writes `bytes`, then holds the connection open; resolves with the status the primary answered. */
function hold(port, bytes, deadline) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.setEncoding('latin1').on('data', (chunk) => {
      answer += chunk;
    });
    const timer = setTimeout(() => socket.destroy(), deadline);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer.slice(9, 12) || 'closed without answer');
    });
  });
}

async function handshake(url, cookie) {
  try {
    const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
      headers: cookie ? { cookie } : {},
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (response.status !== 200) return `status ${response.status}`;
    return `worker ${JSON.parse(text.slice(1)).sid.split('.')[0]}`;
  } catch (err) {
    return `failed (${err.name})`;
  }
}

async function slowloris(name, bytes, count, filler = 0) {
  const cluster = startCluster();
  const [, pid, port] = await cluster.waitFor(/primary pid (\d+) listening on http:\/\/\S+:(\d+)/);
  await cluster.waitFor(/worker \d+ pid \d+ ready[\s\S]*worker \d+ pid \d+ ready/);
  const url = `http://127.0.0.1:${port}`;
  await Promise.all(Array.from({ length: 20 }, () => handshake(url)));
  const before = rssMB(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMB(pid));
  }, 50);
  const started = Date.now();
  const attack = Array.from({ length: count }, () => hold(Number(port), bytes, 30_000));
  await sleep(800);
  // Then small connections into whatever room the big ones left under maxPendingBytes, in two
  // waves: the second fills what the first left while the big heads still arrived.
  for (const wave of filler > 0 ? [filler, filler / 2] : []) {
    for (let i = 0; i < wave; i++) attack.push(hold(Number(port), 'GET /', 30_000));
    await sleep(800);
  }
  const during = await Promise.all(Array.from({ length: 10 }, () => handshake(url)));
  // (a polling client's every request is a new connection through the primary: it needs room too)
  const answers = await Promise.all(attack);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  clearInterval(sampler);
  const after = await Promise.all(Array.from({ length: 4 }, () => handshake(url)));
  console.log(
    `${name}: ${count} connections of ${bytes.length} bytes; primary RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MB; ` +
      `attackers got ${JSON.stringify(tally(answers))} within ${seconds} s; ` +
      `10 honest handshakes during: ${JSON.stringify(tally(during))}; after: ${JSON.stringify(tally(after))}`,
  );
  cluster.child.kill('SIGTERM');
  await cluster.exited;
}

async function forgedCookies() {
  const cluster = startCluster();
  const [, , port] = await cluster.waitFor(/primary pid (\d+) listening on http:\/\/\S+:(\d+)/);
  await cluster.waitFor(/worker \d+ pid \d+ ready[\s\S]*worker \d+ pid \d+ ready/);
  const url = `http://127.0.0.1:${port}`;
  const honest = await Promise.all(Array.from({ length: 200 }, () => handshake(url)));
  const pinned = await Promise.all(
    Array.from({ length: 200 }, () => handshake(url, 'io=1.AAAAAAAAAAAAAAAAAAAAAA')),
  );
  const missing = await Promise.all(
    Array.from({ length: 20 }, () => handshake(url, 'io=999.AAAAAAAAAAAAAAAAAAAAAA')),
  );
  const odd = await Promise.all(
    [
      'io=1.x',
      'io=01.AAAAAAAAAAAAAAAAAAAAAA',
      'io=1.AAAAAAAAAAAAAAAAAAAAAA%',
      `io=${'9'.repeat(400)}`,
      'io=-1.AAAAAAAAAAAAAAAAAAAAAA',
    ].map((cookie) => handshake(url, cookie)),
  );
  console.log(
    `cookie: 200 handshakes without a cookie ${JSON.stringify(tally(honest))}; 200 with a forged io=1.… ${JSON.stringify(tally(pinned))}; ` +
      `naming a worker that does not exist ${JSON.stringify(tally(missing))}; malformed ${JSON.stringify(odd)}`,
  );
  cluster.child.kill('SIGTERM');
  await cluster.exited;
}

async function sighupStorm() {
  const cluster = startCluster();
  const [, pid, port] = await cluster.waitFor(/primary pid (\d+) listening on http:\/\/\S+:(\d+)/);
  await cluster.waitFor(/worker \d+ pid \d+ ready[\s\S]*worker \d+ pid \d+ ready/);
  for (let i = 0; i < 10; i++) {
    process.kill(Number(pid), 'SIGHUP');
    await sleep(100);
  }
  await cluster.waitFor(/rolling restart done[\s\S]*rolling restart done/, 60_000);
  await sleep(2_000);
  const restarts = cluster.output().match(/rolling restart of/g)?.length ?? 0;
  const url = `http://127.0.0.1:${port}`;
  const after = await Promise.all(Array.from({ length: 10 }, () => handshake(url)));
  console.log(
    `sighup: 10 SIGHUPs in 1 s ran ${restarts} rolling restarts; handshakes after: ${JSON.stringify(tally(after))}`,
  );
  process.kill(Number(pid), 'SIGHUP');
  await cluster.waitFor(/rolling restart of[\s\S]*rolling restart of[\s\S]*rolling restart of/);
  process.kill(Number(pid), 'SIGTERM');
  const exit = await Promise.race([cluster.exited, sleep(20_000, 'still running after 20 s')]);
  const tail = cluster.output().split('\n').slice(-6).join(' | ');
  console.log(`sighup: SIGTERM during a restart: ${JSON.stringify(exit)}; last lines: ${tail}`);
}

for (const scenario of scenarios) {
  if (scenario === 'head')
    await slowloris(
      'head (handshake head without its end)',
      `GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\nX-Pad: ${'p'.repeat(8_000)}\r\n`,
      1_100,
    );
  else if (scenario === 'line')
    await slowloris('line (request line without LF)', `GET /socket.io/?EIO=4&t=${'p'.repeat(8_100)}`, 1_100);
  else if (scenario === 'fill')
    await slowloris(
      'fill (handshake heads, then 5-byte connections into the room left)',
      `GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\nX-Pad: ${'p'.repeat(8_000)}\r\n`,
      1_040,
      2_000,
    );
  else if (scenario === 'byte') await slowloris('byte (1 byte each)', 'G', 5_000);
  else if (scenario === 'cookie') await forgedCookies();
  else if (scenario === 'sighup') await sighupStorm();
  else throw new Error(`unknown scenario ${scenario}`);
}
