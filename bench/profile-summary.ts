// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, heaviest
// first, with the file and line it is in.  npx tsx bench/profile-summary.ts /tmp/prof/*.cpuprofile [top]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const files = args.filter((a) => a.endsWith('.cpuprofile'));
const topArg = args.find((a) => /^\d+$/.test(a));
if (files.length === 0) {
  console.error('usage: bench/profile-summary.ts file.cpuprofile... [top]');
  process.exit(2);
}
// tsx writes one profile per thread (its loader runs in a worker): summarise the busiest.
const profile = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Profile).sort((a, b) => b.samples.length - a.samples.length)[0]!;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]!)!;
  const dt = profile.timeDeltas[i] ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^file:\/\/.*?\/(runtime|bench|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'}  ${where}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
}
const top = Number(topArg ?? 30);
console.log(`total ${(total / 1000).toFixed(0)} ms sampled`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
}
