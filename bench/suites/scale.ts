// The scale suite: what a process costs when there are many. A thread ring of 100 and of
// 100,000 behaviour processes (the same token, { type: 'token', hop }), runs of the two sizes
// interleaved, median and range of each; and the heap an idle process holds (a behaviour, and
// an async loop waiting in receive), measured over 100,000 of them.
import v8 from 'node:v8';
import vm from 'node:vm';
import { behavior, createSystem, type Mode, type Ref } from '#runtime';
import { runtimeDeterministic, runtimeRealtime } from '../impls/runtime.ts';
import { median, runChecked } from '../lib/measure.ts';
import type { Suite, SuiteResult } from '../lib/suite.ts';
import type { Implementation } from '../lib/types.ts';
import { threadRing } from '../workloads/index.ts';
import { environment, rate, table, writeResults } from '../report.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap bytes per idle process, over `n` of them (after a full GC on both sides). */
export async function idleBytes(style: 'behaviour' | 'async loop', mode: Mode, n: number): Promise<number> {
  const system = createSystem({ mode });
  await system.runUntilIdle();
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const refs: Ref[] = [];
  for (let i = 0; i < n; i++) {
    if (style === 'behaviour') refs.push(system.spawn(behavior(() => {})));
    else
      refs.push(
        system.spawn(async (self) => {
          for (;;) await self.receive();
        }),
      );
  }
  await system.runUntilIdle();
  gc();
  gc();
  // Minus the array of refs this measurement keeps (8 bytes a slot), which keeps the system alive too.
  const bytes = (process.memoryUsage().heapUsed - before) / n - 8;
  if (!refs.every((ref) => system.isAlive(ref))) throw new Error('an idle process ended');
  return bytes;
}

interface RingRow {
  impl: string;
  actors: number;
  hops: number;
  runs: number[];
  median: number;
  min: number;
  max: number;
}

export const suite: Suite = {
  name: 'scale',
  description: 'thread ring of 100 vs 100,000 processes; heap held by an idle process',
  async run({ quick, log }): Promise<SuiteResult> {
    const started = performance.now();
    const hops = quick ? 50_000 : 400_000;
    const runs = quick ? 3 : 5;
    const rows: RingRow[] = [];
    for (const impl of [runtimeDeterministic, runtimeRealtime] as Implementation[]) {
      const sizes = [100, 100_000].map((actors) => ({ actors, hops }));
      for (const p of sizes) await runChecked(threadRing, impl, p); // warm-up, untimed
      const times = sizes.map(() => [] as number[]);
      for (let r = 0; r < runs; r++) {
        for (let i = 0; i < sizes.length; i++) {
          gc();
          times[i]!.push((await runChecked(threadRing, impl, sizes[i]!)).ms);
        }
      }
      sizes.forEach((p, i) => {
        const t = times[i]!;
        rows.push({
          impl: impl.label,
          actors: p.actors,
          hops,
          runs: t,
          median: (hops / median(t)) * 1000,
          min: (hops / Math.max(...t)) * 1000,
          max: (hops / Math.min(...t)) * 1000,
        });
      });
    }
    log(
      table(
        ['implementation', 'ring', 'hops/s (median)', 'range', 'of 100-ring'],
        rows.map((r) => {
          const small = rows.find((x) => x.impl === r.impl && x.actors === 100)!;
          return [
            r.impl,
            `${r.actors.toLocaleString('en')} actors`,
            rate(r.median),
            `${rate(r.min)}–${rate(r.max)}`,
            `${(r.median / small.median).toFixed(2)}×`,
          ];
        }),
      ),
    );
    const n = quick ? 20_000 : 100_000;
    const memory: { style: string; mode: Mode; bytes: number }[] = [];
    for (const style of ['behaviour', 'async loop'] as const) {
      for (const mode of ['deterministic', 'realtime'] as const) memory.push({ style, mode, bytes: await idleBytes(style, mode, n) });
    }
    log('');
    log(`Heap held by an idle process (${n.toLocaleString('en')} of them, after a full GC):`);
    log(
      table(
        ['style', 'mode', 'bytes per process'],
        memory.map((m) => [m.style, m.mode, m.bytes.toFixed(0)]),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const path = await writeResults(quick ? 'scale-quick' : 'scale', { suite: 'scale', quick, environment: environment(), seconds, ring: rows, memory });
    log(`Suite took ${seconds.toFixed(1)} s. Results: ${path}`);
    return { ok: true };
  },
};
