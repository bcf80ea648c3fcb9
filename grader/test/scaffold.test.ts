// `npx grader new <id>` makes an exercise that the kit's own selftest passes, through the
// real pipeline (type check, sandboxed kernels): the solution gets full marks, the starter
// nothing, the mutant loses its group on every seed, the handout matches the manifest. It
// runs in a copy of the kit, so the new exercise never shows up in this kit's other tests.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { kitRoot } from '../kit.ts';

const kit = mkdtempSync(join(tmpdir(), 'mp-scaffold-'));
afterAll(() => rmSync(kit, { recursive: true, force: true }));

for (const part of ['runtime', 'kernels', 'grader', 'package.json', 'tsconfig.json']) {
  cpSync(join(kitRoot, part), join(kit, part), { recursive: true, filter: (src) => !/\/(test|fixtures)(\/|$)/.test(src.slice(kitRoot.length)) });
}
mkdirSync(join(kit, 'exercises'));
symlinkSync(join(kitRoot, 'node_modules'), join(kit, 'node_modules'), 'dir');

async function grader(...args: string[]): Promise<{ code: number; out: string }> {
  return promisify(execFile)(process.execPath, [join(kit, 'grader', 'bin.mjs'), ...args], { cwd: kit, maxBuffer: 16 * 1024 * 1024 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

describe('grader new', () => {
  it('scaffolds an exercise that selftest passes: solution full marks, starter nothing, mutant caught on every seed', async () => {
    const made = await grader('new', 'tally-demo');
    expect(made.code, made.out).toBe(0);
    for (const f of [
      'exercises/tally-demo/README.md',
      'exercises/tally-demo/protocol.ts',
      'exercises/tally-demo/manifest.json',
      'exercises/tally-demo/tests/public/tally-demo.test.ts',
      'exercises/tally-demo/tests/hidden/tally-demo.test.ts',
      'exercises/tally-demo/mutants/shared-total.patch',
      'starter/tally-demo/tally-demo/tally-demo.ts',
      'solutions/tally-demo/tally-demo/tally-demo.ts',
    ]) {
      expect(existsSync(join(kit, f)), f).toBe(true);
      expect(readFileSync(join(kit, f), 'utf8')).not.toMatch(/__id__|__Title__/);
    }
    const checked = await grader('selftest', '--exercise', 'tally-demo', '--jobs', '2');
    expect(checked.out).toMatch(/selftest passed/);
    expect(checked.out).toMatch(/solution\s+full marks, every seed\s+passed 3 tests/);
    expect(checked.out).toMatch(/starter\s+graded, scores nothing\s+failed all 3 tests/);
    expect(checked.out).toMatch(/mutant shared-total\s+tally-demo\.two-tallies fails on every manifest seed\s+failed on 3 of 3/);
    expect(checked.code).toBe(0);
  }, 180_000);

  it('refuses an id that exists or is not an id, in one line', async () => {
    const again = await grader('new', 'tally-demo');
    expect(again.code).toBe(2);
    expect(again.out.trim()).toMatch(/^grader: exercises\/tally-demo already exists/);
    const bad = await grader('new', 'Not An Id');
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/cannot be an exercise id/);
  }, 300_000); // a backstop for a hang only: child processes on a loaded machine take long
});
