// Manual marks: `npx grader marks import <csv>` merges a lecturer's marks into results,
// reports, grades.csv and Gradescope output; items not yet marked stay "awaiting marking" and
// are never counted as zero; a bad file changes nothing.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { kitRoot } from '../kit.ts';
import { parseCsv } from '../marks/csv.ts';
import { LEDGER, MarksError, applyMarks, applyStoredMarks, importMarks, parseMarks, readLedger } from '../marks/marks.ts';
import { readStudent, writeClass, writeStudent } from '../outputs.ts';
import { GradescopeResults, Result, Summary, type ManualItem } from '../result.ts';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function graded(student: string, ringScore: number, manual: ManualItem[] = items()): Result {
  return Result.parse({
    student,
    kit: { version: '0.1.0+test' },
    submission: { hash: `hash-${student}` },
    gradedAt: '2026-03-01T10:00:00.000Z',
    durationMs: 1000,
    total: { score: ringScore, max: 16 + manual.reduce((a, m) => a + m.max, 0), awaiting: manual.reduce((a, m) => a + m.max, 0) },
    exercises: [
      {
        id: 'ring',
        title: 'Warm-up: a token ring and a front desk',
        score: ringScore,
        max: 16,
        status: 'graded',
        diagnostics: [],
        groups: [{ id: 'ring', name: 'The token ring', score: ringScore, max: 16, visibility: 'visible' }],
        tests: [
          {
            id: 'ring.ring-small',
            name: 'a token goes round',
            group: 'ring',
            visibility: 'visible',
            status: ringScore === 16 ? 'passed' : 'failed',
            score: ringScore,
            max: 16,
            seeds: { run: [1], failed: ringScore === 16 ? [] : [1] },
          },
        ],
      },
    ],
    manual,
    sandbox: { level: 'bwrap', description: 'test' },
    warnings: [],
    notes: [],
  });
}

function items(): ManualItem[] {
  return [
    { id: 'ring.design', exercise: 'ring', title: 'Design note: the desk never blocks', max: 10, status: 'awaiting' },
    { id: 'multikernel.reflection', exercise: 'multikernel', title: 'Reflection (REFLECTION.md)', max: 5, status: 'awaiting' },
  ];
}

let out: string;
beforeEach(async () => {
  out = mkdtempSync(join(tmpdir(), 'mp-marks-test-'));
  dirs.push(out);
  const results = [graded('alice', 16), graded('bob', 5), graded('carol', 0)];
  for (const r of results) await writeStudent(out, r);
  await writeClass(out, results);
});

function csv(name: string, text: string): string {
  const file = join(out, '..', `${out.split('/').pop()}-${name}.csv`);
  writeFileSync(file, text);
  dirs.push(file);
  return file;
}

const read = (student: string, file: string) => readFileSync(join(out, 'students', student, file), 'utf8');

describe('reading a CSV', () => {
  it('follows RFC 4180: quotes, doubled quotes, newlines in quotes, CRLF, a BOM, blank lines', () => {
    const rows = parseCsv('\uFEFFstudent,item,score,comment\r\nalice,design,8,"Good, but ""why""?\nSee me."\r\n\r\nbob , design , 7 ,\n');
    expect(rows.map((r) => r.cells)).toEqual([
      ['student', 'item', 'score', 'comment'],
      ['alice', 'design', '8', 'Good, but "why"?\nSee me.'],
      ['bob', 'design', '7', ''],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 5]);
  });

  it('reads semicolon files with decimal commas, as spreadsheets in many locales write them', () => {
    const { rows, problems } = parseMarks('Student;Item;Mark;Feedback\nalice;design;7,5;fine\n');
    expect(problems).toEqual([]);
    expect(rows[0]).toMatchObject({ student: 'alice', item: 'design', score: 7.5, comment: 'fine' });
  });

  it('takes a file without a header as student, item, score, comment', () => {
    const { rows } = parseMarks('alice,design,8,ok\nbob,design,,later\n');
    expect(rows.map((r) => [r.student, r.score, r.comment])).toEqual([
      ['alice', 8, 'ok'],
      ['bob', undefined, 'later'],
    ]);
  });

  it('names the line of a score that is not a number, and a header it cannot read', () => {
    expect(parseMarks('student,item,score\nalice,design,eight\n').problems).toEqual([expect.stringMatching(/^line 2: "eight" is not a score/)]);
    expect(parseMarks('name,what,how much\nalice,design,x\n').problems[0]).toMatch(/^line 1: the header must name/);
  });
});

describe('importing marks', () => {
  it('merges marks into result.json, both reports, Gradescope output and grades.csv; unmarked items stay awaiting', async () => {
    const file = csv(
      'marks',
      [
        'student,item,score,comment',
        'alice,ring.design,8,"Clear; say what happens when the office crashes."',
        'alice,reflection,4,<b>thoughtful</b>',
        'bob,Design note: the desk never blocks,10,',
        'bob,multikernel.reflection,,not handed in yet',
      ].join('\n'),
    );
    const summary = await importMarks({ csv: file, out });
    expect(summary.imported).toBe(4);
    expect(summary.students).toEqual(['alice', 'bob']);
    expect(summary.stillAwaiting.sort()).toEqual(['bob', 'carol']);

    const alice = (await readStudent(out, 'alice'))!;
    expect(alice.manual.map((m) => [m.id, m.status, m.score])).toEqual([
      ['ring.design', 'marked', 8],
      ['multikernel.reflection', 'marked', 4],
    ]);
    expect(alice.total).toEqual({ score: 16 + 12, max: 31, awaiting: 0 });
    const bob = (await readStudent(out, 'bob'))!;
    expect(bob.manual.map((m) => [m.status, m.score ?? null, m.comment ?? null])).toEqual([
      ['marked', 10, null],
      ['awaiting', null, 'not handed in yet'],
    ]);
    expect(bob.total).toEqual({ score: 15, max: 31, awaiting: 5 });
    expect((await readStudent(out, 'carol'))!.total).toEqual({ score: 0, max: 31, awaiting: 15 });

    expect(read('alice', 'report.md')).toMatch(/Design note: the desk never blocks: 8 \/ 10/);
    expect(read('alice', 'report.md')).not.toMatch(/awaiting marking/);
    expect(read('bob', 'report.md')).toMatch(/Reflection \(REFLECTION\.md\): awaiting marking/);
    expect(read('bob', 'report.md')).toMatch(/5 more points awaiting manual marking \(not counted as zero\)/);
    expect(read('alice', 'report.html')).toContain('&lt;b&gt;thoughtful&lt;/b&gt;');
    expect(read('alice', 'report.html')).not.toContain('<b>thoughtful</b>');

    const gsAlice = GradescopeResults.parse(JSON.parse(read('alice', 'results.json')));
    expect(gsAlice.tests.filter((t) => t.tags.includes('manual')).map((t) => [t.number, t.score, t.max_score])).toEqual([
      ['M.1', 8, 10],
      ['M.2', 4, 5],
    ]);
    expect(gsAlice.score).toBe(28);
    const gsBob = GradescopeResults.parse(JSON.parse(read('bob', 'results.json')));
    expect(gsBob.tests.filter((t) => t.tags.includes('manual')).map((t) => t.number)).toEqual(['M.1']);
    expect(gsBob.output).toMatch(/Awaiting manual marking \(not counted as zero\):\n {2}Reflection/);

    const grades = readFileSync(join(out, 'grades.csv'), 'utf8').trim().split('\r\n');
    expect(grades).toEqual(['student,ring,manual,total,status', 'alice,16,12,28,graded', 'bob,5,,,awaiting marking', 'carol,0,,,awaiting marking']);
    const classSummary = Summary.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')));
    expect(classSummary.provisional).toBe(2);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('alice');
  });

  it('is all or nothing: unknown students and items, scores out of range and repeats are listed, nothing is written', async () => {
    const before = read('alice', 'result.json');
    const file = csv(
      'bad',
      ['student,item,score', 'alice,ring.design,8', 'zed,ring.design,3', 'alice,essay,3', 'bob,ring.design,11', 'alice,design,7'].join('\n'),
    );
    const err = await importMarks({ csv: file, out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarksError);
    expect((err as MarksError).problems).toEqual([
      expect.stringMatching(/^line 3: no graded student "zed"/),
      expect.stringMatching(/^line 4: no item "essay" for alice \(items: ring\.design, multikernel\.reflection\)/),
      expect.stringMatching(/^line 5: 11 is outside 0–10/),
      expect.stringMatching(/^line 6: alice \/ ring\.design was already given on line 2/),
    ]);
    expect(read('alice', 'result.json')).toBe(before);
    expect((await readLedger(out)).marks).toEqual({});
  });

  it('keeps marks in marks.json: a later import overrides, an empty score un-marks, a regraded result gets them back', async () => {
    await importMarks({ csv: csv('one', 'student,item,score\nalice,ring.design,6\ncarol,ring.design,2\n'), out });
    await importMarks({ csv: csv('two', 'student,item,score\nalice,ring.design,9\ncarol,ring.design,\n'), out });
    expect((await readStudent(out, 'alice'))!.manual[0]).toMatchObject({ status: 'marked', score: 9 });
    expect((await readStudent(out, 'carol'))!.manual[0]).toMatchObject({ status: 'awaiting' });
    expect(JSON.parse(readFileSync(join(out, LEDGER), 'utf8')).marks.alice['ring.design'].score).toBe(9);

    // The grader regrades alice (new submission): her fresh result starts with everything awaiting.
    const fresh = graded('alice', 10);
    const withMarks = await applyStoredMarks(out, fresh);
    expect(withMarks.manual[0]).toMatchObject({ status: 'marked', score: 9 });
    expect(withMarks.total).toEqual({ score: 19, max: 31, awaiting: 5 });
    expect(applyMarks(fresh, undefined)).toBe(fresh);
  });

  it('runs from the command line: exit 0 with a summary; exit 2 with the problems and nothing written', async () => {
    const ok = await run(
      process.execPath,
      [join(kitRoot, 'grader/bin.mjs'), 'marks', 'import', csv('cli', 'student,item,score\nalice,design,10\n'), '--out', out],
      { cwd: kitRoot },
    );
    expect(ok.stdout).toMatch(/imported 1 mark for 1 student\nstill awaiting marking \(not counted as zero\): alice, bob, carol/);
    const bad = await run(
      process.execPath,
      [join(kitRoot, 'grader/bin.mjs'), 'marks', 'import', csv('cli-bad', 'student,item,score\nalice,design,12\n'), '--out', out],
      { cwd: kitRoot },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/1 problem; nothing was imported:\n {2}line 2: 12 is outside 0–10/);
    expect((await readStudent(out, 'alice'))!.manual[0]).toMatchObject({ status: 'marked', score: 10 });
  }, 300_000); // a backstop for a hang only: child processes on a loaded machine take long
});
