// The grader end to end, through the same code path as `npx grader grade`: a small class
// with a reference solution (zipped), the starter, a mutant, code that does not compile, an
// attacker, and broken archives. Each test asserts what a lecturer or student relies on.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradeClass, type GradeSummary } from '../grade.ts';
import { kitRoot } from '../kit.ts';
import { mergeReports } from '../merge.ts';
import { writeMutant } from '../mutants.ts';
import { Redactor } from '../redact.ts';
import { GradescopeResults, Result } from '../result.ts';
import { makeZip } from './archives.ts';

let work: string;
let cls: string;
let run: GradeSummary;
const out = () => join(work, 'out');
const byStudent = (s: GradeSummary, id: string) => s.results.find((r) => r.student === id)!;
const ring = (r: Result) => r.exercises.find((e) => e.id === 'ring')!;

const ATTACKER = `import type { Context, Ref } from '#runtime';
const builtin = (name: string): any => (process as any).getBuiltinModule?.(name);
let loot = '';
try { loot = builtin('node:fs').readFileSync(${JSON.stringify(join(kitRoot, 'exercises', 'ring', 'tests', 'hidden', 'ring.test.ts'))}, 'utf8'); } catch {}
try { process.kill(process.ppid, 'SIGKILL'); } catch {}
try { builtin('node:child_process').spawn('sleep', ['600', 'mp-grade-test-marker'], { detached: true, stdio: 'ignore' }).unref(); } catch {}
export function startRing(self: Context<never>, config: { reportTo: Ref }): Ref {
  self.send(config.reportTo, { type: 'done', hops: -1, loot } as never);
  return self.ref as never;
}
export function startDesk(self: Context<never>): Ref {
  for (;;);
}
`;

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mp-grade-test-'));
  cls = join(work, 'class');
  const solution = readFileSync(join(kitRoot, 'solutions/ring/ring/ring.ts'), 'utf8');
  await writeFile(join(await mkdirp(cls), 'alice.zip'), makeZip([{ name: 'alice/ring/ring.ts', data: solution }]));
  await cp(join(kitRoot, 'starter/ring'), join(cls, 'bob'), { recursive: true });
  await writeMutant('ring', 'sequential', join(cls, 'dave'));
  await writeFiles(join(cls, 'erin'), { 'ring/ring.ts': solution.replace('export function startDesk', 'export function startDesk(') });
  await writeFiles(join(cls, 'mallory'), { 'ring/ring.ts': ATTACKER });
  // Broken archives: corrupt, a zip bomb, path traversal only.
  await writeFile(join(cls, 'corrupt.zip'), Buffer.from('PK\u0003\u0004 this is not really a zip file'));
  const zeros = Buffer.alloc(60 * 1024 * 1024);
  const bomb = makeZip([{ name: 'ring/ring.ts', data: zeros }]);
  expect(deflateRawSync(zeros).length).toBeLessThan(bomb.length + 100);
  await writeFile(join(cls, 'bomb.zip'), bomb);
  await writeFile(join(cls, 'sneaky.zip'), makeZip([{ name: '../../ring/ring.ts', data: solution }]));
  run = await gradeClass({ paths: [cls], out: out(), exercises: ['ring'], jobs: 2 });
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function mkdirp(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

describe('grading a class', () => {
  it('grades every submission, bad archives included: the batch always completes', () => {
    expect(run.results.map((r) => r.student).sort()).toEqual(['alice', 'bob', 'bomb', 'corrupt', 'dave', 'erin', 'mallory', 'sneaky']);
  });

  it('gives the reference solution full marks and the starter a clean run', () => {
    expect(ring(byStudent(run, 'alice'))).toMatchObject({ status: 'graded', score: 16, max: 16 });
    const bob = ring(byStudent(run, 'bob'));
    expect(bob.status).toBe('graded');
    expect(bob.tests.every((t) => t.status === 'failed')).toBe(true);
  });

  it('takes marks from a mutant in the group it breaks, and only there', () => {
    const dave = ring(byStudent(run, 'dave'));
    expect(dave.groups.find((g) => g.id === 'desk')!.score).toBeLessThan(5);
    expect(dave.groups.filter((g) => g.id !== 'desk').every((g) => g.score === g.max)).toBe(true);
  });

  it('reports code that does not compile, with file and line, and fails its tests', () => {
    const erin = ring(byStudent(run, 'erin'));
    expect(erin.status).toBe('compile-error');
    expect(erin.diagnostics[0]).toMatchObject({ file: 'ring/ring.ts' });
    expect(erin.diagnostics[0]!.line).toBeGreaterThan(1);
    expect(erin.score).toBe(0);
  });

  it('contains the attacker: no escape, no leak of hidden tests, no points, no process left', () => {
    const mallory = byStudent(run, 'mallory');
    expect(mallory.total.score).toBe(0);
    const report =
      readFileSync(join(out(), 'students', 'mallory', 'report.md'), 'utf8') + readFileSync(join(out(), 'students', 'mallory', 'result.json'), 'utf8');
    expect(report).not.toContain('exerciseTests(import.meta.url');
    expect(report).not.toContain('tokenHops');
    expect(mallory.warnings.join('\n')).toMatch(/stopped responding/);
    const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('mp-grade-test-marker') && !l.includes('ps -eo'));
    expect(left).toEqual([]);
  });

  it('notes broken archives in the student report instead of failing the run: "could not read", not "not submitted"', () => {
    for (const id of ['corrupt', 'bomb']) {
      const r = byStudent(run, id);
      expect(ring(r).status).toBe('unreadable');
      expect(readFileSync(join(out(), 'students', id, 'report.md'), 'utf8')).not.toMatch(/not submitted/i);
    }
    expect(readFileSync(join(out(), 'grades.csv'), 'utf8')).toMatch(/\r\ncorrupt,0,,,could not read\r\n/);
    expect(ring(byStudent(run, 'bomb')).reason).toMatch(/bomb|too (big|large)|limit|ratio/i);
    const sneaky = byStudent(run, 'sneaky');
    expect(sneaky.notes.join('\n')).toMatch(/leaves the submission/);
  });

  it('writes reports with the failing seed and the exact replay command, and schema-valid JSON', () => {
    const md = readFileSync(join(out(), 'students', 'dave', 'report.md'), 'utf8');
    const test = ring(byStudent(run, 'dave')).tests.find((t) => t.status === 'failed')!;
    expect(md).toContain(`SEED=${test.failure!.seed} TEST_ID=${test.id} npm test -- ring`);
    expect(md).toContain(test.failure!.replay);
    for (const id of ['alice', 'dave', 'erin']) {
      Result.parse(JSON.parse(readFileSync(join(out(), 'students', id, 'result.json'), 'utf8')));
      GradescopeResults.parse(JSON.parse(readFileSync(join(out(), 'students', id, 'results.json'), 'utf8')));
    }
    const csv = readFileSync(join(out(), 'grades.csv'), 'utf8');
    expect(csv.split('\r\n')[0]).toBe('student,ring,manual,total,status');
    expect(readFileSync(join(out(), 'index.html'), 'utf8')).toContain('<svg');
  });

  it('shows hidden groups only as a score, never their test names', () => {
    const md = readFileSync(join(out(), 'students', 'bob', 'report.md'), 'utf8');
    expect(md).not.toContain('an idle system does no work');
    expect(md).toContain('No busy waiting');
  });
});

describe('grading again', () => {
  it('skips what is already graded, and grading afresh gives the same result.json apart from timestamps', async () => {
    const again = await gradeClass({ paths: [join(cls, 'alice.zip'), join(cls, 'dave')], out: out(), exercises: ['ring'], jobs: 1, canary: false });
    expect(again.cached).toBe(2);
    const forced = await gradeClass({ paths: [join(cls, 'dave')], out: join(work, 'again'), exercises: ['ring'], force: true, jobs: 1, canary: false });
    const strip = (r: Result) => ({ ...r, gradedAt: '', durationMs: 0 });
    expect(JSON.stringify(strip(byStudent(forced, 'dave')), null, 1)).toEqual(JSON.stringify(strip(byStudent(run, 'dave')), null, 1));
  }, 120_000);

  it('shards and merges to the same class as one run', async () => {
    const a = join(work, 'shard1'),
      b = join(work, 'shard2');
    const paths = [join(cls, 'alice.zip'), join(cls, 'bob'), join(cls, 'dave'), join(cls, 'erin')];
    await gradeClass({ paths, out: a, exercises: ['ring'], shard: { index: 0, count: 2 }, jobs: 1, canary: false });
    await gradeClass({ paths, out: b, exercises: ['ring'], shard: { index: 1, count: 2 }, jobs: 1, canary: false });
    const merged = await mergeReports([a, b], join(work, 'merged'));
    expect(merged.conflicts).toEqual([]);
    const scores = (rs: Result[]) => Object.fromEntries(rs.map((r) => [r.student, r.total.score]));
    expect(scores(merged.results)).toEqual(scores(run.results.filter((r) => ['alice', 'bob', 'dave', 'erin'].includes(r.student))));
    expect(existsSync(join(work, 'merged', 'index.html'))).toBe(true);
  }, 180_000);

  it('finishes the class after being killed midway, with nothing lost or graded twice', async () => {
    const resumeOut = join(work, 'resume');
    const paths = [join(cls, 'alice.zip'), join(cls, 'bob'), join(cls, 'dave')];
    const bin = join(kitRoot, 'grader', 'bin.mjs');
    const child = spawn(
      process.execPath,
      [bin, 'grade', ...paths, '--exercise', 'ring', '--out', resumeOut, '--jobs', '1', '--chunk', '1', '--quiet', '--no-canary'],
      { stdio: 'ignore', detached: true },
    );
    // Kill it as soon as the first student is written, and wait until it is gone.
    const gone = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const done = existsSync(join(resumeOut, 'students'))
          ? readdirSync(join(resumeOut, 'students')).filter((d) => existsSync(join(resumeOut, 'students', d, 'result.json')))
          : [];
        if (done.length >= 1 || child.exitCode !== null) {
          clearInterval(timer);
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* already gone */
          }
          resolve();
        }
      }, 100);
    });
    await gone;
    const before = readdirSync(join(resumeOut, 'students')).filter((d) => existsSync(join(resumeOut, 'students', d, 'result.json')));
    expect(before.length).toBeGreaterThanOrEqual(1);
    const finished = await gradeClass({ paths, out: resumeOut, exercises: ['ring'], jobs: 1, canary: false });
    expect(finished.results.map((r) => r.student).sort()).toEqual(['alice', 'bob', 'dave']);
    expect(finished.cached).toBe(before.length);
    expect(finished.graded).toBe(3 - before.length);
    for (const r of finished.results) Result.parse(JSON.parse(await readFile(join(resumeOut, 'students', r.student, 'result.json'), 'utf8')));
  }, 180_000);
});

describe('two grader runs on one machine', () => {
  it('run at once without sharing uids or folders, and both give the right marks', async () => {
    const bin = join(kitRoot, 'grader', 'bin.mjs');
    const runOnce = (name: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            bin,
            'grade',
            join(cls, 'alice.zip'),
            join(cls, 'dave'),
            '--exercise',
            'ring',
            '--out',
            join(work, name),
            '--jobs',
            '1',
            '--quiet',
            '--no-canary',
            '--force',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        child.stdout!.on('data', (d) => (out += String(d)));
        child.stderr!.on('data', (d) => (out += String(d)));
        child.once('exit', (code) => resolve({ code, out }));
      });
    const [a, b] = await Promise.all([runOnce('concurrent-a'), runOnce('concurrent-b')]);
    for (const [r, name] of [
      [a, 'concurrent-a'],
      [b, 'concurrent-b'],
    ] as const) {
      expect(r.code, r.out).toBe(0);
      const score = (id: string) => Result.parse(JSON.parse(readFileSync(join(work, name, 'students', id, 'result.json'), 'utf8'))).total.score;
      expect(score('alice')).toBe(byStudent(run, 'alice').total.score);
      expect(score('dave')).toBe(byStudent(run, 'dave').total.score);
    }
  }, 240_000);
});

describe('redaction', () => {
  it('removes any line of hidden test source and stack frames from student-visible text', () => {
    const r = new Redactor();
    r.addHiddenTests(join(kitRoot, 'exercises', 'ring', 'tests', 'hidden'));
    const hiddenLine = readFileSync(join(kitRoot, 'exercises/ring/tests/hidden/ring.test.ts'), 'utf8')
      .split('\n')
      .find((l) => l.includes('tokenHops(s: Session)'))!;
    const text = `the ring broke\n${hiddenLine}\n    at Object.<anonymous> (/kit/exercises/ring/tests/hidden/ring.test.ts:12:5)\nplain words stay`;
    const clean = r.text(text);
    expect(clean).not.toContain('tokenHops');
    expect(clean).not.toContain('ring.test.ts:12');
    expect(clean).toContain('the ring broke');
    expect(clean).toContain('plain words stay');
  });
});
