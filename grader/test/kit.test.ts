// The kit version decides when cached grades are reused: it must change with whatever can
// change a mark, and with nothing else; and it must not depend on where the kit was cloned.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decidesMarks, kitVersion, markFiles } from '../kit.ts';

const work = mkdtempSync(join(tmpdir(), 'mp-kit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A small kit, cloned under a folder named "test" (where the old version hash saw nothing). */
function makeKit(name: string): string {
  const root = join(work, 'test', name);
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'kit', version: '1.0.0', scripts: { test: 'vitest' }, dependencies: { zod: '4' } }),
    'package-lock.json': '{"lockfileVersion":3}',
    'runtime/system.ts': 'export const a = 1;',
    'runtime/test/system.test.ts': 'test',
    'runtime/README.md': 'docs',
    'kernels/host/host.ts': 'export const h = 1;',
    'kernels/harness/manifest.ts': 'export const m = 1;',
    'exercises/ring/manifest.json': '{}',
    'exercises/ring/protocol.ts': 'export type P = 1;',
    'exercises/ring/README.md': 'the handout',
    'exercises/ring/tests/hidden/ring.test.ts': 'hidden',
    'exercises/ring/mutants/slow.patch': 'mutant',
    'grader/score.ts': 'score',
    'grader/report/templates/report.html.hbs': '<html>',
    'grader/cli.ts': 'cli',
    'grader/test/grade.test.ts': 'test',
    'solutions/ring/ring/ring.ts': 'solution',
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

describe('kit version', () => {
  it('hashes what decides a mark, wherever the kit is cloned (under a folder named "test" too)', () => {
    const root = makeKit('a');
    expect(markFiles(root)).toEqual([
      'exercises/ring/manifest.json',
      'exercises/ring/protocol.ts',
      'exercises/ring/tests/hidden/ring.test.ts',
      'grader/score.ts',
      'kernels/harness/manifest.ts',
      'kernels/host/host.ts',
      'package-lock.json',
      'package.json',
      'runtime/system.ts',
    ]);
    const copy = join(work, 'elsewhere');
    cpSync(root, copy, { recursive: true });
    expect(kitVersion(copy)).toBe(kitVersion(root));
  });

  it('changes with hidden tests, the runtime, scoring and the locked dependencies; not with a handout, a report template, the CLI, mutants, solutions or scripts', () => {
    const root = makeKit('b');
    const before = kitVersion(root);
    const touch = (file: string, text: string) => {
      writeFileSync(join(root, file), text);
      return kitVersion(root);
    };
    for (const file of [
      'exercises/ring/README.md',
      'grader/report/templates/report.html.hbs',
      'grader/cli.ts',
      'exercises/ring/mutants/slow.patch',
      'solutions/ring/ring/ring.ts',
      'runtime/README.md',
    ]) {
      expect(touch(file, 'changed'), file).toBe(before);
    }
    expect(touch('package.json', JSON.stringify({ name: 'kit', version: '1.0.0', scripts: { test: 'other' }, dependencies: { zod: '4' } }))).toBe(before);
    let last = before;
    for (const file of ['exercises/ring/tests/hidden/ring.test.ts', 'runtime/system.ts', 'grader/score.ts', 'package-lock.json']) {
      const now = touch(file, `changed ${file}`);
      expect(now, file).not.toBe(last);
      last = now;
    }
  });

  it('knows the files of this kit', () => {
    expect(decidesMarks('grader/run/pipeline.ts')).toBe(true);
    expect(decidesMarks('grader/typecheck.ts')).toBe(true);
    expect(decidesMarks('grader/report/student.ts')).toBe(false);
    expect(decidesMarks('kernels/test/harness.test.ts')).toBe(false);
    expect(kitVersion()).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
  });
});
