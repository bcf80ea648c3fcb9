// The kit's layers, checked from its import graph: each shared piece has one home below its
// users. runtime/ ← kernels/ ← grader/ and the exercises' tests; the student pack's scripts
// (grader/pack/tools/) are entry points that nothing else imports; and no two modules, or two
// folders of the grader, import each other (type imports included: a cycle of types is a
// cycle of concepts).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kitRoot } from '../kit.ts';

const SOURCE = /\.(ts|mts|mjs)$/;
const NOT_SOURCE = /(^|\/)(test|tests|fixtures|mutants|templates)\/|\.test\.|\.d\.mts$/;

/** Kit module (relative path) → the kit modules it imports (static, dynamic and re-exports). */
function importGraph(tops: readonly string[]): Map<string, string[]> {
  const files = tops.flatMap((top) =>
    readdirSync(join(kitRoot, top), { recursive: true, encoding: 'utf8' }).map((f) => `${top}/${f.split('\\').join('/')}`),
  ).filter((f) => SOURCE.test(f) && !NOT_SOURCE.test(f));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(kitRoot, file), 'utf8');
    const deps = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)]
      .map((m) => (m[1] ?? m[2])!)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => relative(kitRoot, resolve(kitRoot, dirname(file), spec)).split('\\').join('/'));
    graph.set(file, deps);
  }
  return graph;
}

function cycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string) => {
    const at = path.indexOf(node);
    if (at >= 0) return void found.push([...path.slice(at), node].join(' → '));
    if (done.has(node)) return;
    path.push(node);
    for (const dep of graph.get(node) ?? []) visit(dep);
    path.pop();
    done.add(node);
  };
  for (const node of graph.keys()) visit(node);
  return found;
}

const graph = importGraph(['runtime', 'kernels', 'grader']);
const edges = [...graph].flatMap(([from, deps]) => deps.map((to) => ({ from, to })));

describe('layers', () => {
  it('the runtime imports nothing above it; kernels import nothing from the grader or the exercises', () => {
    const up = edges.filter(({ from, to }) =>
      (from.startsWith('runtime/') && !to.startsWith('runtime/')) ||
      (from.startsWith('kernels/') && !/^(runtime|kernels)\//.test(to)));
    expect(up).toEqual([]);
  });

  it('the student pack\'s scripts are entry points: nothing outside grader/pack/tools/ imports them', () => {
    const into = edges.filter(({ from, to }) => to.startsWith('grader/pack/tools/') && !from.startsWith('grader/pack/tools/'));
    expect(into).toEqual([]);
  });

  it('no two modules of the kernels or the grader import each other, directly or around a loop', () => {
    const outside = new Map([...graph].filter(([f]) => !f.startsWith('runtime/')));
    expect(cycles(outside)).toEqual([]);
  });

  it('no two folders of the grader import each other (pack ↔ prepare, pack ↔ progress-log…)', () => {
    // A folder of the grader is one node; a file directly under grader/ is a node of its own.
    const node = (f: string) => (/^grader\/[^/]+\//.test(f) ? f.split('/').slice(0, 2).join('/') : f);
    const folders = new Map<string, string[]>();
    for (const { from, to } of edges) {
      if (!from.startsWith('grader/') || !to.startsWith('grader/') || node(from) === node(to)) continue;
      folders.set(node(from), [...(folders.get(node(from)) ?? []), node(to)]);
    }
    expect(cycles(folders)).toEqual([]);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a → b → c → a']);
  });
});
