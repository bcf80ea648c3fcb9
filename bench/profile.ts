// Runs one workload on one implementation repeatedly, for a CPU profile:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile.ts ping-pong runtime-rt [repeats]
//   npx tsx bench/profile-summary.ts /tmp/prof/*.cpuprofile
import { timedRun } from './lib/measure.ts';
import type { Workload } from './lib/types.ts';
import { implementations } from './suites/runtime.ts';
import { workloads } from './workloads/index.ts';

const [workloadId, implId, repeatsArg] = process.argv.slice(2);
const workload = workloads.find((w) => w.id === workloadId);
const impl = implementations.find((i) => i.id === implId);
if (!workload || !impl) {
  console.error(`usage: bench/profile.ts <${workloads.map((w) => w.id).join('|')}> <${implementations.map((i) => i.id).join('|')}> [repeats]`);
  process.exit(2);
}
const repeats = Number(repeatsArg ?? 10);
let total = 0;
for (let i = 0; i < repeats; i++) {
  const o = await timedRun(workload as Workload, impl, workload.size);
  total += o.ms;
}
const messages = workload.messages(workload.size) * repeats;
console.log(`${workload.id} on ${impl.label}: ${repeats} runs, ${(((messages / total) * 1000) / 1e6).toFixed(2)}M msgs/s overall`);
