// Reads V8 .cpuprofile files (BENCH_PROFILE=<dir> pnpm bench) and prints the functions with the
// most self time. Usage: node dist/profile.js <file or directory> [top=25]
// CALLERS=<function name> [DEPTH=4]: where that function's self time is spent from, by caller chain.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function files(target: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target).flatMap((entry) => files(path.join(target, entry)));
}

function shortUrl(url: string): string {
  const at = url.lastIndexOf('node_modules/');
  if (at >= 0) return url.slice(at + 'node_modules/'.length).replace(/^\.pnpm\/[^/]+\/node_modules\//, '');
  return url.replace(/^file:\/\/.*?\/(packages|bench)\//, '$1/');
}

function frameName(node: ProfileNode): string {
  const frame = node.callFrame;
  return `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

/** Self time of the functions named `name`, by the chain of their `depth` nearest callers. */
function callers(profile: CpuProfile, name: string, depth: number, top: number): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const chains = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    if (byId.get(id)!.callFrame.functionName !== name) return;
    const chain: string[] = [];
    for (let at = parent.get(id); at !== undefined && chain.length < depth; at = parent.get(at))
      chain.push(frameName(byId.get(at)!));
    const key = chain.join('\n      <- ');
    chains.set(key, (chains.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  for (const [chain, us] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(us / 1000).toFixed(1).padStart(8)} ms  ${name}\n      <- ${chain}`);
}

function report(file: string, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  if (process.env.CALLERS) {
    console.log(`\n${file}: callers of ${process.env.CALLERS}`);
    callers(profile, process.env.CALLERS, Number(process.env.DEPTH ?? 4), top);
    return;
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const key = frameName(byId.get(id)!);
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((sum, [, v]) => sum + v, 0);
  console.log(
    `\n${file}: ${(total / 1000).toFixed(0)} ms sampled, ${((total - idle) / 1000).toFixed(0)} ms busy`,
  );
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${((us / (total - idle)) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${key}`,
    );
  }
}

const [target, top = '25'] = process.argv.slice(2);
if (!target) {
  console.error('usage: node dist/profile.js <file.cpuprofile or directory> [top]');
  process.exit(2);
}
for (const file of files(target).filter((f) => f.endsWith('.cpuprofile'))) report(file, Number(top));
