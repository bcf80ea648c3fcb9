// The layering of runtime/: no two modules may import each other, directly or round a loop
// (`import type` counts too: a cycle of types is a cycle of ideas, and one module should be
// their home). The files of the engine, core/, call each other freely and count as one
// module here. The cycles that remain are listed in KNOWN_CYCLES, each with what it would
// take to break it: the test fails on any other cycle, and when a known one is broken (then
// take it off the list), so the list only shrinks.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runtimeDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Cycles still there, as sorted module lists (core/ folded into `core`):
 * - context ↔ core: the engine constructs each process's ProcessContext (core/execution.ts),
 *   and the context calls the engine. Breaking it: hand the engine a context factory.
 * - core ↔ kernel: kernel.ts (the host interface) wraps core/engine.ts, whose types name
 *   Kernel and Router. Breaking it: move Kernel and Router's types below both.
 * - sequence-chart ↔ trace: the chart reads a Trace, the trace draws its chart. Breaking it:
 *   move the event types to a module of their own and give the chart an interface.
 */
const KNOWN_CYCLES: readonly (readonly string[])[] = [
  ['context', 'core', 'kernel'],
  ['sequence-chart', 'trace'],
];

/** A module's name: its path under runtime/ without `.ts`; every file of core/ is `core`. */
function moduleOf(file: string): string {
  const rel = relative(runtimeDir, file).replace(/\\/g, '/').replace(/\.ts$/, '');
  return rel.startsWith('core/') ? 'core' : rel;
}

/** Every import and re-export from a relative path, `import type` included. */
function importsOf(source: string): string[] {
  const out: string[] = [];
  const pattern = /^\s*(?:import|export)\s[^;]*?\sfrom\s+['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of source.matchAll(pattern)) out.push((m[1] ?? m[2])!);
  return out;
}

function graph(): Map<string, Set<string>> {
  const files = readdirSync(runtimeDir, { recursive: true }).map(String)
    .filter((f) => f.endsWith('.ts') && !f.startsWith('test'))
    .map((f) => join(runtimeDir, f));
  const edges = new Map<string, Set<string>>();
  for (const file of files) {
    const from = moduleOf(file);
    const set = edges.get(from) ?? new Set<string>();
    edges.set(from, set);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const to = moduleOf(resolve(dirname(file), spec));
      if (to !== from && !to.startsWith('..')) set.add(to);
    }
  }
  return edges;
}

/** Strongly connected components of more than one module (Tarjan), each sorted. */
function cycles(edges: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

describe('the layering of runtime/', () => {
  it('finds an import cycle when there is one (the check can fail)', () => {
    const edges = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]);
    expect(cycles(edges)).toEqual([['a', 'b', 'c']]);
    expect(importsOf("import type { A } from './a.ts';\nexport { b } from '../b.ts';\nimport { c,\n  d } from \"./c.ts\";\nimport './e.ts';"))
      .toEqual(['./a.ts', '../b.ts', './c.ts', './e.ts']);
  });

  it('has no import cycle but the known ones (behavior.ts and context.ts share process.ts, below both)', () => {
    const found = cycles(graph());
    expect(found).toEqual(KNOWN_CYCLES);
    expect(found.flat()).not.toContain('behavior');
    expect(found.flat()).not.toContain('process');
  });
});
