// What a user sees when the command line points at a path that cannot be used: one line that
// says why, exit code 2, and no stack trace.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { kitRoot } from '../kit.ts';

const work = mkdtempSync(join(tmpdir(), 'mp-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function grader(...args: string[]): Promise<{ code: number; stderr: string }> {
  return promisify(execFile)(process.execPath, [join(kitRoot, 'grader', 'bin.mjs'), ...args], { cwd: kitRoot }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
}

describe('grader command line', () => {
  const file = join(work, 'a-file');
  writeFileSync(file, 'not a folder');

  it.each([
    ['grade', ['grade', 'examples/class', '--exercise', 'ring', '--out', join(file, 'reports')]],
    ['pack', ['pack', '--out', join(file, 'pack')]],
  ])(
    '%s with an --out that cannot be made: one line, exit 2',
    async (_name, args) => {
      const { code, stderr } = await grader(...args);
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^grader: not a directory, mkdir /)]);
    },
    60_000,
  );
});
