// scratch: interleaved quick measurements (not committed)
import { runtimeDeterministic, runtimeDeterministicAsync, runtimeRealtime, runtimeRealtimeAsync, runtimeDeterministicNoTrace } from '../impls/runtime.ts';
import { nactPeer } from '../peers/nact.ts';
import { workloads } from '../workloads/index.ts';
import { runChecked, median } from '../lib/measure.ts';
const impls = [runtimeRealtime, runtimeDeterministic, runtimeDeterministicNoTrace, runtimeRealtimeAsync, runtimeDeterministicAsync, nactPeer];
const only = process.argv.slice(2);
const factor = Number(process.env.F ?? '0.5');
const runs = Number(process.env.RUNS ?? '5');
for (const w of workloads) {
  if (only.length && !only.includes(w.id)) continue;
  const params = w.scaled(w.size as never, factor) as never;
  const pick = process.env.IMPLS?.split(','); const sel = impls.filter((i) => i.runners[w.id] && (!pick || pick.includes(i.id)));
  const times: Record<string, number[]> = {};
  for (const i of sel) { await runChecked(w as never, i, params); times[i.id] = []; }
  for (let r = 0; r < runs; r++) for (const i of sel) { (globalThis as any).gc?.(); const o = await runChecked(w as never, i, params); times[i.id]!.push(process.env.WALL ? o.ms : (o.cpuMs ?? o.ms)); }
  for (const i of sel) {
    const t = times[i.id]!; const m = median(t);
    console.log(`${w.id.padEnd(12)} ${i.id.padEnd(20)} ${(w.messages(params) / m * 1000 / 1e6).toFixed(3)} M msgs/s  [${(w.messages(params)/Math.max(...t)*1000/1e6).toFixed(2)}–${(w.messages(params)/Math.min(...t)*1000/1e6).toFixed(2)}]`);
  }
}
