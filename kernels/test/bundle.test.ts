// The bundler on the trusted side reads nothing but what a submission may use: its own files
// (given as text), `#runtime`, `zod` and the exercises' top-level modules. Everything else is a
// plain compile error with file and line, before esbuild touches the disk.
import { describe, expect, it, vi } from 'vitest';
import { bundleSubmission, computedImports } from '../loader/bundle.ts';

const files = (map: Record<string, string>) => (path: string) => (Object.hasOwn(map, path) ? map[path] : undefined);
const bundle = (map: Record<string, string>, entry = 'ring/ring.ts') => bundleSubmission({ entry, read: files(map) });

describe('bundling a submission', () => {
  it("inlines the submission's own files and the exercise protocol; shares #runtime and zod", async () => {
    const r = await bundle({
      'ring/ring.ts':
        "import { helper } from './helper.ts';\nimport { z } from 'zod';\nimport { behavior } from '#runtime';\nimport { RingConfig } from '#exercises/ring/protocol';\nexport const x = [helper, z, behavior, RingConfig];",
      'ring/helper.ts': 'export const helper = 42;',
    });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.code).toContain('helper = 42');
      expect(r.code).toContain('mp.kit.modules');
    }
  });

  it('refuses a computed import() or require() before esbuild can scan the disk for it', async () => {
    const r = await bundle({
      'ring/ring.ts': 'const p = "solutions";\nexport const f = () => import(`../../${p}/ring/ring/ring.ts`);\nexport const g = (x: string) => require(x);',
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => [e.file, e.line, e.message])).toEqual([
        ['ring/ring.ts', 2, expect.stringMatching(/import\(\) with a path computed at run time is not allowed/)],
        ['ring/ring.ts', 3, expect.stringMatching(/require\(\) with a path computed at run time is not allowed/)],
      ]);
    }
    expect(computedImports('a.ts', 'import("./fixed.ts"); import(`./also-fixed.ts`); require("x")')).toEqual([]);
  });

  it('refuses an import that leaves the submission, a file it does not hold, node modules and other packages', async () => {
    const cases: [string, RegExp][] = [
      ["import '../../classmate/ring/ring.ts';", /leaves your submission/],
      ["import '../../../exercises/ring/tests/hidden/ring.test.ts';", /leaves your submission/],
      ["import './not-submitted.ts';", /no such file among your submitted files/],
      ["import '#exercises/ring/tests/hidden/ring.test';", /can be imported/],
      ["import '#exercises/../solutions/ring/ring/ring';", /can be imported/],
      ["import 'node:fs';", /node's built-in modules are not available/],
      ["import 'child_process';", /node's built-in modules are not available/],
      ["import 'left-pad';", /can be imported/],
    ];
    for (const [line, reason] of cases) {
      const r = await bundle({ 'ring/ring.ts': `${line}\nexport const x = 1;` });
      expect(r.ok, line).toBe(false);
      if (!r.ok) expect(r.errors[0]!.message, line).toMatch(reason);
    }
  });

  it("reports a syntax error with the student's own file and line", async () => {
    const r = await bundle({ 'ring/ring.ts': 'export const x = 1;\nexport function (' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ file: 'ring/ring.ts', line: 2 });
  });
});

describe('the compiler in a grading run', () => {
  it('is refused loudly where MP_RUN names a plan: a grading run is given ready bundles', async () => {
    vi.stubEnv('MP_RUN', 'plan.json');
    vi.resetModules();
    try {
      const fresh = await import('../loader/typescript.ts');
      expect(() => fresh.typescript()).toThrow(/not loaded in a grading run/);
      const { computedImports: inRun } = await import('../loader/bundle.ts');
      expect(() => inRun('a.ts', 'export {}')).toThrow(/not loaded in a grading run/);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
    const fresh = await import('../loader/typescript.ts');
    expect(fresh.typescript().version).toMatch(/^\d+\.\d+/);
  });
});
