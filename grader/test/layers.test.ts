// The kit's layers, checked from its import graph: each shared piece has one home below its
// users. runtime/ ← kernels/ ← grader/ and the exercises' tests; the student pack's scripts
// (grader/pack/tools/) are entry points that nothing else imports; and no two modules, or two
// folders of the grader, import each other, directly or round a loop (type imports included: a
// cycle of types is a cycle of concepts). In runtime/ the files of the engine (core/) call each
// other freely and count as one module; the runtime's remaining cycles are listed in
// KNOWN_RUNTIME_CYCLES, with what would break each: the test fails on any other cycle and when a
// known one is broken (then take it off the list), so the list only shrinks.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kitRoot } from '../kit.ts';

/**
 * Cycles of runtime/ still there, as sorted module lists (core/ folded into `core`):
 * - context ↔ core ↔ kernel: the engine constructs each process's ProcessContext
 *   (core/execution.ts) and the context calls the engine; kernel.ts wraps core/engine.ts, whose
 *   types name Kernel and Router. Breaking it: hand the engine a context factory, and move
 *   Kernel and Router's types below both.
 * - sequence-chart ↔ trace: the chart reads a Trace, the trace draws its chart. Breaking it:
 *   move the event types to a module of their own and give the chart an interface.
 */
const KNOWN_RUNTIME_CYCLES: readonly (readonly string[])[] = [
  ['runtime/context', 'runtime/core', 'runtime/kernel'],
  ['runtime/sequence-chart', 'runtime/trace'],
];

const SOURCE = /\.(ts|mts|mjs)$/;
const NOT_SOURCE = /(^|\/)(test|tests|fixtures|mutants|templates)\/|\.test\.|\.d\.mts$/;

/** Every import, re-export and dynamic import from a relative path, `import type` included. */
function importsOf(source: string): string[] {
  const pattern =
    /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm;
  return [...source.matchAll(pattern)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

/** Kit module (path relative to the kit) → the kit modules it imports. */
function importGraph(tops: readonly string[]): Map<string, string[]> {
  const files = tops
    .flatMap((top) => readdirSync(join(kitRoot, top), { recursive: true, encoding: 'utf8' }).map((f) => `${top}/${f.split('\\').join('/')}`))
    .filter((f) => SOURCE.test(f) && !NOT_SOURCE.test(f));
  return new Map(
    files.map((file) => [
      file,
      importsOf(readFileSync(join(kitRoot, file), 'utf8')).map((spec) =>
        relative(kitRoot, resolve(kitRoot, dirname(file), spec))
          .split('\\')
          .join('/'),
      ),
    ]),
  );
}

/** The graph with each module replaced by `nodeOf(module)`, edges inside one node dropped. */
function fold(graph: ReadonlyMap<string, readonly string[]>, nodeOf: (module: string) => string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [from, deps] of graph) {
    const node = nodeOf(from);
    out.set(node, [...new Set([...(out.get(node) ?? []), ...deps.map(nodeOf).filter((d) => d !== node)])]);
  }
  return out;
}

/** The cycles: strongly connected components of more than one node (Tarjan), each sorted. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>(),
    low = new Map<string, number>(),
    stack: string[] = [],
    on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
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
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

const graph = importGraph(['runtime', 'kernels', 'grader']);
const edges = [...graph].flatMap(([from, deps]) => deps.map((to) => ({ from, to })));
const only = (prefix: string) => new Map([...graph].filter(([f]) => f.startsWith(prefix)));

describe('layers', () => {
  it('the runtime imports nothing above it; kernels import nothing from the grader or the exercises', () => {
    const up = edges.filter(
      ({ from, to }) => (from.startsWith('runtime/') && !to.startsWith('runtime/')) || (from.startsWith('kernels/') && !/^(runtime|kernels)\//.test(to)),
    );
    expect(up).toEqual([]);
  });

  it("the student pack's scripts are entry points: nothing outside grader/pack/tools/ imports them", () => {
    const into = edges.filter(({ from, to }) => to.startsWith('grader/pack/tools/') && !from.startsWith('grader/pack/tools/'));
    expect(into).toEqual([]);
  });

  it('no two modules of the kernels or the grader import each other, directly or round a loop', () => {
    expect(cycles(new Map([...only('kernels/'), ...only('grader/')]))).toEqual([]);
  });

  it('no two folders of the grader import each other (pack ↔ prepare, pack ↔ progress-log…)', () => {
    // A folder of the grader is one node; a file directly under grader/ is a node of its own.
    expect(cycles(fold(only('grader/'), (f) => (/^grader\/[^/]+\//.test(f) ? f.split('/').slice(0, 2).join('/') : f)))).toEqual([]);
  });

  it('the runtime has no import cycle but the known ones (behavior.ts and context.ts share process.ts, below both)', () => {
    const found = cycles(fold(only('runtime/'), (f) => f.replace(/\.ts$/, '').replace(/^runtime\/core\/.*/, 'runtime/core')));
    expect(found).toEqual(KNOWN_RUNTIME_CYCLES);
    expect(found.flat()).not.toContain('runtime/behavior');
    expect(found.flat()).not.toContain('runtime/process');
  });

  it('finds a cycle when there is one, and reads every kind of import (the check can fail)', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
    expect(
      importsOf(
        "import type { A } from './a.ts';\nexport { b } from '../b.ts';\nimport { c,\n  d } from \"./c.ts\";\nimport './e.ts';\nconst f = await import('./f.ts');",
      ),
    ).toEqual(['./a.ts', '../b.ts', './c.ts', './e.ts', './f.ts']);
  });
});
