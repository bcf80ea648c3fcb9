// The lecturer's day, piece by piece (issue 20): hand marks that cannot be lost, one command
// per output folder, shards merged only when they are the whole class, "who needs help?",
// type errors policy, tests not run after repeated kernel failures, the progress line, --help.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { exerciseDir, loadManifest } from '../../kernels/harness/manifest.ts';
import { kitRoot } from '../kit.ts';
import { LOCK, LockedError, lockFolder } from '../lock.ts';
import { importMarks, LEDGER, MarksError, readLedger } from '../marks/marks.ts';
import { MergeError, mergeReports } from '../merge.ts';
import { readStudent, writeClass, writeStudent } from '../outputs.ts';
import { typeCheckOutcome } from '../prepare/prepare.ts';
import { progress } from '../progress.ts';
import { Redactor } from '../redact.ts';
import { computeSummary, renderClass, renderStudentReport } from '../report/index.ts';
import { Result, Summary, type ExerciseResult, type TestResult } from '../result.ts';
import { scoreExercise } from '../score.ts';
import { SHARD_FILE, type ShardRecord } from '../shard.ts';

const dirs: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ringManifest = loadManifest(exerciseDir('ring'));

function ringTests(status: (id: string) => TestResult['status']): TestResult[] {
  return ringManifest.groups.flatMap((g) =>
    Object.entries(g.tests).map(([id, max]) => {
      const s = status(id);
      return {
        id,
        name: `property ${id}`,
        group: g.id,
        visibility: g.visibility,
        status: s,
        score: s === 'passed' ? max : 0,
        max,
        seeds: { run: [1], failed: s === 'passed' ? [] : [1] },
      };
    }),
  );
}

function result(student: string, o: { score?: number; ex?: Partial<ExerciseResult>; warnings?: string[]; duplicates?: string[] } = {}): Result {
  const score = o.score ?? 16;
  const tests = ringTests((id) => (score === 16 || id.startsWith('ring.ring') ? 'passed' : 'failed'));
  const exScore = tests.reduce((a, t) => a + t.score, 0) * (score === 0 ? 0 : 1);
  const ex: ExerciseResult = {
    id: 'ring',
    title: 'Warm-up',
    score: score === 0 ? 0 : exScore,
    max: 16,
    status: 'graded',
    diagnostics: [],
    groups: ringManifest.groups.map((g) => ({ id: g.id, name: g.name, visibility: g.visibility, score: 0, max: 0 })),
    tests: score === 0 ? tests.map((t) => ({ ...t, status: 'failed', score: 0 })) : tests,
    ...o.ex,
  };
  return Result.parse({
    student,
    kit: { version: '0.1.0+test' },
    submission: { hash: `h-${student}` },
    gradedAt: '2026-03-01T10:00:00.000Z',
    durationMs: 2400,
    total: { score: ex.score, max: 16, awaiting: 0 },
    exercises: [ex],
    manual: [],
    sandbox: { level: 'bwrap', description: 'test' },
    warnings: o.warnings ?? [],
    notes: [],
    ...(o.duplicates ? { duplicates: o.duplicates } : {}),
  });
}

describe('hand marks cannot be lost', () => {
  it('a damaged marks.json stops marks import and grading, and names the file; nothing is changed', async () => {
    const out = temp('mp-lect-marks-');
    await writeStudent(out, result('alice'));
    writeFileSync(join(out, LEDGER), '{ "version": 1, "marks": { "alice": ');
    await expect(readLedger(out)).rejects.toThrow(MarksError);
    await expect(readLedger(out)).rejects.toThrow(/marks\.json is damaged .*nothing was changed/s);
    const csv = join(out, 'm.csv');
    writeFileSync(csv, 'student,item,score\nalice,reflection,3\n');
    await expect(importMarks({ csv, out })).rejects.toThrow(/damaged/);
    expect(readFileSync(join(out, LEDGER), 'utf8')).toBe('{ "version": 1, "marks": { "alice": ');
    // A well-formed file with a wrong field is damaged too.
    writeFileSync(join(out, LEDGER), JSON.stringify({ version: 1, marks: { alice: { 'ring.reflection': { score: 'ten', at: 'x', source: 'y' } } } }));
    await expect(readLedger(out)).rejects.toThrow(/alice\.ring\.reflection\.score/);
  });

  it('keeps the previous marks.json as marks.json.bak, and a lock keeps a second command out', async () => {
    const out = temp('mp-lect-lock-');
    const release = lockFolder(out, 'grade');
    expect(existsSync(join(out, LOCK))).toBe(true);
    expect(() => lockFolder(out, 'marks import')).toThrow(LockedError);
    expect(() => lockFolder(out, 'marks import')).toThrow(/in use by another grader command \("grader grade", pid \d+/);
    release();
    expect(existsSync(join(out, LOCK))).toBe(false);
    // A lock whose holder is gone is taken over.
    writeFileSync(
      join(out, LOCK),
      JSON.stringify({ host: (await import('node:os')).hostname(), pid: 2 ** 22 + 7, start: '1', command: 'grade', since: new Date().toISOString() }),
    );
    lockFolder(out, 'merge')();
  });
});

describe('merge', () => {
  async function shard(index: number, count: number, students: string[], classSize: number): Promise<string> {
    const dir = temp(`mp-lect-shard${index}-`);
    for (const s of students) await writeStudent(dir, result(s));
    await writeClass(
      dir,
      students.map((s) => result(s)),
    );
    const record: ShardRecord = { index, count, classSize, students, exercises: ['ring'], kitVersion: '0.1.0+test' };
    writeFileSync(join(dir, SHARD_FILE), JSON.stringify(record));
    return dir;
  }

  it('refuses a missing or repeated shard, writing nothing; --partial merges what is there', async () => {
    const a = await shard(1, 3, ['alice', 'dave'], 5);
    const b = await shard(2, 3, ['bob', 'erin'], 5);
    const out = join(temp('mp-lect-merged-'), 'out');
    await expect(mergeReports([a, b], out)).rejects.toThrow(MergeError);
    await expect(mergeReports([a, b], out)).rejects.toThrow(/shard 3\/3 is missing/);
    await expect(mergeReports([a, a, b], out)).rejects.toThrow(/shard 1\/3 was given twice/);
    expect(existsSync(join(out, 'index.html'))).toBe(false);
    const partial = await mergeReports([a, b], out, { partial: true });
    expect(partial.results.map((r) => r.student)).toEqual(['alice', 'bob', 'dave', 'erin']);
    expect(partial.conflicts.join('\n')).toMatch(/shard 3\/3 is missing/);
  });

  it("merges the whole class, and carries every shard's hand marks", async () => {
    const a = await shard(1, 2, ['alice'], 2);
    const b = await shard(2, 2, ['bob'], 2);
    const withManual = (r: Result): Result => ({
      ...r,
      manual: [{ id: 'ring.reflection', exercise: 'ring', title: 'Reflection', max: 4, status: 'awaiting' }],
      total: { ...r.total, max: 20, awaiting: 4 },
    });
    await writeStudent(a, withManual(result('alice')));
    await writeStudent(b, withManual(result('bob')));
    writeFileSync(
      join(b, LEDGER),
      JSON.stringify({ version: 1, marks: { bob: { 'ring.reflection': { score: 3, at: '2026-03-02T00:00:00Z', source: 'marks.csv' } } } }),
    );
    const out = join(temp('mp-lect-merged-'), 'out');
    const merged = await mergeReports([a, b], out);
    expect(merged.conflicts).toEqual([]);
    expect((await readStudent(out, 'bob'))!.total).toEqual({ score: 19, max: 20, awaiting: 0 });
    expect((await readLedger(out)).marks.bob!['ring.reflection']!.score).toBe(3);
  });

  it('refuses shards of different kit versions', async () => {
    const a = await shard(1, 2, ['alice'], 2);
    const b = await shard(2, 2, ['bob'], 2);
    writeFileSync(join(b, SHARD_FILE), JSON.stringify({ index: 2, count: 2, classSize: 2, students: ['bob'], exercises: ['ring'], kitVersion: '0.1.0+other' }));
    await expect(mergeReports([a, b], join(temp('mp-lect-merged-'), 'out'))).rejects.toThrow(/different kit versions/);
  });
});

describe('who needs help', () => {
  const median = result('median', { score: 10 });
  const results = [
    result('alice'),
    result('bob', { score: 0 }),
    result('carol', {
      ex: {
        status: 'compile-error',
        score: 0,
        reason: 'your code does not compile: ring/ring.ts:3:1 Unexpected "}"',
        diagnostics: [{ file: 'ring/ring.ts', line: 3, column: 1, message: 'Unexpected "}"' }],
      },
    }),
    result('mallory', { warnings: ['A test of ring stopped the kernel: the submission tampered with the channel between the kernel and the tests'] }),
    result('typo', {
      ex: { typeErrors: 1, diagnostics: [{ file: 'ring/ring.ts', line: 7, column: 3, message: "Type 'string' is not assignable to type 'number'." }] },
    }),
    result('dup', { duplicates: ['a second submission for the same student id "dup" was not graded: dup.zip (graded: dup)'] }),
    median,
    result('m2', { score: 10 }),
    result('m3', { score: 10 }),
  ];

  it('lists grading errors, suspected attacks, non-compiling code, 0 marks and type errors, most urgent first', () => {
    const summary = computeSummary(results);
    const kinds = Object.fromEntries(summary.attention.map((a) => [a.student, a.reasons.map((r) => r.kind)]));
    expect(kinds).toMatchObject({ mallory: ['suspected-attack'], carol: ['does-not-compile', 'zero'], bob: ['zero'], typo: ['type-errors'] });
    expect(summary.attention.map((a) => a.student).slice(0, 3)).toEqual(['mallory', 'carol', 'bob']);
    expect(summary.duplicates).toEqual([{ student: 'dup', notes: [expect.stringMatching(/dup\.zip/)] }]);
    expect(summary.exercises[0]!.typeErrors).toBe(1);
    const failing = summary.tests.find((t) => t.id === 'ring.desk-answers')!;
    expect(failing.failedStudents).toEqual(expect.arrayContaining(['bob', 'm2', 'm3', 'median']));
    expect(failing.failedStudents).not.toContain('alice');
  });

  it('a total under half the class median needs attention too', () => {
    const summary = computeSummary([result('a'), result('b'), result('c'), result('low', { ex: { score: 5 } }), result('ok', { ex: { score: 9 } })]);
    expect(summary.attention).toEqual([{ student: 'low', reasons: [{ kind: 'far-below-median', text: '5 points, under half the class median (16)' }] }]);
  });

  it('the dashboard puts the list first, links failing students from each test, and can sort and filter', () => {
    const { indexHtml } = renderClass(results);
    expect(indexHtml.indexOf('id="attention-h"')).toBeLessThan(indexHtml.indexOf('id="totals-h"'));
    expect(indexHtml).toMatch(/Needs attention: 4 students/);
    expect(indexHtml).toContain('<span class="badge k-suspected-attack">suspected attack</span>');
    expect(indexHtml).toMatch(/Submissions that were not graded[\s\S]*dup\.zip/);
    expect(indexHtml).toMatch(/<details class="who"><summary>\d+ students did not pass<\/summary>/);
    expect(indexHtml).toContain('<table id="students" class="sortable">');
    expect(indexHtml).toMatch(/<tr data-student="mallory" data-rank="1" data-total="16" data-kinds="suspected-attack"/);
    expect(indexHtml).toMatch(/<option value="type-errors">type errors<\/option>/);
  });

  it("type errors and duplicates are at the top of the student's report", () => {
    const typo = renderStudentReport(results[4]!);
    expect(typo.md).toMatch(/## ✗ The compiler's messages on your code\n\n\*\*Warm-up\*\*: 1 type error: the code ran anyway/);
    expect(typo.md).toContain("ring/ring.ts:7:3  Type 'string' is not assignable");
    expect(typo.md.indexOf("compiler's messages")).toBeLessThan(typo.md.indexOf('## Overview'));
    expect(typo.html.indexOf('id="compiler-h"')).toBeLessThan(typo.html.indexOf('id="overview-h"'));
    const dup = renderStudentReport(results[5]!);
    expect(dup.md).toMatch(/More than one submission was found for you[\s\S]*dup\.zip/);
  });

  it('identical failures are said once, with the tests that share them', () => {
    const words = "your code failed while loading: TypeError: Cannot read properties of undefined (reading 'toFixed')";
    const thrower = result('thrower', { score: 0 });
    const ex = thrower.exercises[0]!;
    const failed = {
      ...thrower,
      exercises: [
        {
          ...ex,
          tests: ex.tests.map((t) => ({ ...t, failure: { property: t.name, observed: words, seed: 1, replay: 'SEED=1 npm test -- ring', chart: [] } })),
        },
      ],
    };
    const { md } = renderStudentReport(Result.parse(failed));
    expect(md.split(words).length - 1).toBe(1);
    expect(md).toMatch(/✗ \*\*\d tests failed the same way:\*\*/);
  });
});

describe('scoring', () => {
  const none = new Map();
  it('under typeErrors "fail", type errors make the exercise not compile; under "report" they are listed and the tests count', () => {
    const checked = {
      kind: 'done' as const,
      ms: 5,
      diagnostics: [{ kind: 'type' as const, file: 'ring/ring.ts', line: 7, column: 3, message: "Type 'string' is not assignable to type 'number'." }],
    };
    const ready = { id: 'ring', status: 'ready' as const, bundle: '/x/submission.mjs', diagnostics: [] };
    const fail = typeCheckOutcome({ ...ringManifest, typeErrors: 'fail' }, ready, checked);
    expect(fail).toMatchObject({ status: 'compile-error', typeErrors: 1, reason: expect.stringMatching(/type error.*ring\/ring\.ts:7:3/) });
    const report = typeCheckOutcome(ringManifest, ready, checked);
    expect(report).toMatchObject({ status: 'ready', typeErrors: 1, diagnostics: [{ line: 7 }] });
    expect(typeCheckOutcome(ringManifest, report, checked).diagnostics).toHaveLength(1); // idempotent
    const bomb = typeCheckOutcome(ringManifest, ready, { kind: 'limit', note: 'type checking this code exceeded 20 s of CPU time', ms: 1 });
    expect(bomb).toMatchObject({ status: 'compile-error', reason: 'type checking this code exceeded 20 s of CPU time' });
    expect(scoreExercise(ringManifest, { ...ready, typeErrors: 1, diagnostics: report.diagnostics }, none, new Redactor()).typeErrors).toBe(1);
  });

  it('tests not run after repeated kernel failures score 0 and say why; unexplained missing results stay grading errors', () => {
    const ready = { id: 'ring', status: 'ready' as const, bundle: '/x', diagnostics: [] };
    const ran = new Map([
      ['ring.ring-hops', { submission: 's', exercise: 'ring', test: 'ring.ring-hops', name: 'hops', seeds: { run: [1], failed: [1] }, kernelFailure: true }],
    ]);
    const notRun = ringManifest.groups.reduce((n, g) => n + Object.keys(g.tests).length, 0) - ran.size;
    const stopped = scoreExercise(ringManifest, ready, ran, new Redactor(), undefined, { after: ['a', 'b', 'c'], notRun });
    expect(stopped.status).toBe('graded');
    expect(stopped.tests.filter((t) => t.message?.startsWith('Not run: your code stopped responding or crashed in 3 tests in a row'))).toHaveLength(notRun);
    expect(stopped.tests.find((t) => t.id === 'ring.idle')!.name).toMatch(/^an idle system does no work/); // its name, from the test file
    const unexplained = scoreExercise(ringManifest, ready, ran, new Redactor(), undefined, { after: ['a', 'b', 'c'], notRun: notRun - 1 });
    expect(unexplained.status).toBe('error');
  });
});

describe('the progress line', () => {
  function capture(tty: boolean, columns?: number) {
    let text = '';
    const stream = new Writable({ write: (c, _e, done) => ((text += String(c)), done()) }) as unknown as NodeJS.WriteStream;
    Object.assign(stream, { isTTY: tty, columns });
    return { stream, text: () => text };
  }

  it('shows elapsed time, time left and who is being tested; a full line is never cut when the width is unknown', () => {
    let now = 0;
    const { stream, text } = capture(true);
    const p = progress(stream, { now: () => now, redrawMs: 0 });
    p.start(4, 'grade');
    now = 30_000;
    p.tick('alice: 16/20');
    p.working!(['bob', 'carol', 'dave', 'erin']);
    const last = text().split('\r\x1b[K').pop()!;
    expect(last).toBe('grade [██████░░░░░░░░░░░░░░░░░░] 1/4 · 30 s elapsed, about 1:30 left · testing bob, carol, dave and 1 more');
    const narrow = capture(true, 40);
    const q = progress(narrow.stream, { now: () => now, redrawMs: 0 });
    q.start(4, 'grade');
    expect(narrow.text().split('\r\x1b[K').pop()!.length).toBe(39);
    const plain = capture(false);
    const r = progress(plain.stream, { now: () => now, redrawMs: 0 });
    r.start(2, 'grade');
    now += 5000;
    r.tick('alice: 16/20');
    expect(plain.text()).toBe('grade: 2 to go\ngrade 1/2 alice: 16/20 (5 s elapsed, about 5 s left)\n');
  });
});

describe('grader --help', () => {
  const grader = (...args: string[]) => promisify(execFile)(process.execPath, [join(kitRoot, 'grader', 'bin.mjs'), ...args], { cwd: kitRoot });
  it.each(['grade', 'merge', 'marks', 'doctor', 'selftest', 'pack'])(
    '%s --help prints its options and exits 0',
    async (command) => {
      const { stdout } = await grader(command, '--help');
      expect(stdout).toMatch(new RegExp(`^Usage: npx grader ${command}`));
    },
    60_000,
  );

  it("an unknown option names the command's help", async () => {
    const r = await grader('grade', 'x', '--bogus').catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringMatching(/Unknown option '--bogus'[\s\S]*npx grader grade --help/) });
  }, 300_000); // a backstop for a hang only: child processes on a loaded machine take long

  it('selftest of an exercise the kit does not have names the ones it has, in one line', async () => {
    const r = await grader('selftest', '--exercise', 'nope').catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringMatching(/^grader: no exercise "nope" in this kit \(there are: ring, pipeline, .*\)\n?$/) });
  }, 300_000); // a backstop for a hang only: child processes on a loaded machine take long
});

describe('summary.json', () => {
  it('validates with the new fields, and older summaries still parse', () => {
    const s = computeSummary([result('alice')]);
    expect(() => Summary.parse(JSON.parse(JSON.stringify(s)))).not.toThrow();
    const { attention: _a, duplicates: _d, ...old } = s;
    expect(Summary.parse(JSON.parse(JSON.stringify(old))).attention).toEqual([]);
  });
});
