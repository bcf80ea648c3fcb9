// When the grading machinery fails, nobody gets a mark for it: the canary stops a class run
// before anyone is graded, and without the canary every affected student gets a grading error
// (marks withheld, loudly, exit status 3), never a 0. A sandbox that leaves the network open is
// refused unless the lecturer says otherwise. Each case runs the `grader` command as a lecturer
// would, on a machine whose sandbox is broken on purpose: a `prlimit` on PATH that always fails.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kitRoot } from '../kit.ts';
import { GradescopeResults, Result, Summary } from '../result.ts';

let work: string;
let cls: string;
let brokenPath: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mp-infra-test-'));
  cls = join(work, 'class');
  await cp(join(kitRoot, 'solutions/ring'), join(cls, 'alice'), { recursive: true });
  await cp(join(kitRoot, 'starter/ring'), join(cls, 'bob'), { recursive: true });
  const bin = join(work, 'broken-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'prlimit'), '#!/bin/sh\necho "prlimit: broken on purpose" >&2\nexit 1\n');
  chmodSync(join(bin, 'prlimit'), 0o755);
  brokenPath = `${bin}:${process.env.PATH}`;
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function grader(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(kitRoot, 'grader', 'bin.mjs'), ...args], { env: { ...process.env, ...env }, timeout: 240_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('a broken sandbox', () => {
  it('stops a class run at the canary, before anyone is graded, and says why', async () => {
    const out = join(work, 'out-canary');
    const r = await grader(['grade', cls, '--exercise', 'ring', '--out', out, '--quiet'], { PATH: brokenPath });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/stopped before grading anyone: the reference solution did not get full marks/);
    expect(r.stderr).toMatch(/could not start a kernel/);
    expect(r.stderr).toMatch(/grader doctor/);
    expect(existsSync(join(out, 'students'))).toBe(false);
  }, 240_000);

  it('without the canary: every student gets a grading error, never a 0, and the exit status says so', async () => {
    const out = join(work, 'out-nocanary');
    const r = await grader(['grade', cls, '--exercise', 'ring', '--out', out, '--quiet', '--no-canary'], { PATH: brokenPath });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout.split('\n')[0]).toMatch(/^GRADING ERRORS: marks withheld \(not zero\) for 2 student/);
    expect(r.stderr).toMatch(/GRADING ERRORS: the marks of 2 student\(s\) are withheld \(alice, bob\)/);
    for (const student of ['alice', 'bob']) {
      const result = Result.parse(JSON.parse(readFileSync(join(out, 'students', student, 'result.json'), 'utf8')));
      const ring = result.exercises[0]!;
      expect(ring.status).toBe('error');
      expect(ring.reason).toMatch(/could not start a kernel/);
      expect(ring.tests.every((t) => t.status === 'grading-error')).toBe(true);
      const gs = GradescopeResults.parse(JSON.parse(readFileSync(join(out, 'students', student, 'results.json'), 'utf8')));
      expect(gs.score).toBeUndefined();
      expect(gs.tests.every((t) => t.score === undefined)).toBe(true);
      expect(gs.output).toMatch(/^GRADING ERROR/);
      const md = readFileSync(join(out, 'students', student, 'report.md'), 'utf8');
      expect(md).toMatch(/Grading error/);
      expect(md).toMatch(/This is not a 0/);
      expect(md).not.toMatch(/Total: 0 \//);
    }
    const csv = readFileSync(join(out, 'grades.csv'), 'utf8').split('\r\n');
    expect(csv.slice(1, 3)).toEqual(['alice,,,,grading error', 'bob,,,,grading error']);
    const summary = Summary.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')));
    expect(summary.gradingErrors.map((g) => g.student)).toEqual(['alice', 'bob']);
    expect(summary.histogram.bins.reduce((s, b) => s + b.count, 0)).toBe(0);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html.indexOf('Grading errors: marks withheld')).toBeGreaterThan(0);
    expect(html.indexOf('Grading errors: marks withheld')).toBeLessThan(html.indexOf('id="totals-h"'));
    // Fixed machine, same command: only the withheld students are graded again, and get marks.
    const again = await grader(['grade', cls, '--exercise', 'ring', '--out', out, '--quiet', '--no-canary']);
    expect(again.code, again.stderr).toBe(0);
    expect(Result.parse(JSON.parse(readFileSync(join(out, 'students', 'alice', 'result.json'), 'utf8'))).total.score).toBe(16);
  }, 240_000);
});

describe('a sandbox that leaves the network open', () => {
  it('is refused unless --allow-weak-sandbox, and then said in every report', async () => {
    const out = join(work, 'out-weak');
    const env = { KERNEL_SANDBOX: 'fallback', KERNEL_SANDBOX_NETWORK: 'open' };
    const refused = await grader(['grade', join(cls, 'alice'), '--exercise', 'ring', '--out', out, '--quiet', '--no-canary'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot keep student code off the network/);
    expect(refused.stderr).toMatch(/--allow-weak-sandbox/);
    const allowed = await grader(['grade', join(cls, 'alice'), '--exercise', 'ring', '--out', out, '--quiet', '--no-canary', '--allow-weak-sandbox'], env);
    expect(allowed.code, allowed.stderr).toBe(0);
    const result = Result.parse(JSON.parse(readFileSync(join(out, 'students', 'alice', 'result.json'), 'utf8')));
    expect(result.total.score).toBe(16);
    expect(result.sandbox.description).toMatch(/network NOT blocked/);
    expect(result.warnings.join('\n')).toMatch(/weaker isolation/);
  }, 240_000);
});
