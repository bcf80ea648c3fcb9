import { behavior, createSystem, type System } from '#runtime';
const gc = (globalThis as any).gc as () => void;
const keep: System[] = [];
const style = process.argv[2] ?? 'behavior', trace = process.argv[3] !== 'false';
const N = 100_000;
const system = createSystem({ trace });
keep.push(system);
await system.runUntilIdle();
gc(); gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < N; i++) {
  if (style === 'behavior') system.spawn(behavior((_s, _m) => {}));
  else system.spawn(async (self) => { for (;;) await self.receive(); });
}
await system.runUntilIdle();
gc(); gc();
const after = process.memoryUsage().heapUsed;
console.log(style, 'trace', trace, ((after - before) / N).toFixed(0), 'bytes/actor', keep.length);
