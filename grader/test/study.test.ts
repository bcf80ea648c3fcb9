// The study of exercise pairs: the manifests' pairs, the export (one anonymised row per student
// and exercise), the dashboard's side-by-side section, and the pack keeping `npm test -- bank`
// to the bank.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { includeFor } from '../pack/tools/vitest.config.ts';
import { buildPack } from '../pack/build.ts';
import type { ProgressLine } from '../progress-log/log.ts';
import { saveProgressLog } from '../progress-log/store.ts';
import { summariseProgress } from '../progress-log/summary.ts';
import { renderClass } from '../report/index.ts';
import { comparisonViews, comparisons, pseudonym, renderStudyCsv, studyRows, STUDY_COLUMNS } from '../study/study.ts';
import { classResults } from './fixtures/report/sample-results.ts';

const work = mkdtempSync(join(tmpdir(), 'mp-study-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const line = (exercise: string, passed: number, failed: string[], at: string, more: Partial<ProgressLine> = {}): ProgressLine => ({
  v: 1,
  at,
  exercise,
  passed,
  failed: failed.length,
  skipped: 0,
  failedTests: failed,
  firstFailed: failed[0] ?? null,
  runs: 1,
  ...more,
});
const log = (lines: ProgressLine[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

const [alice, bob] = classResults;
const logs: Record<string, string> = {
  [alice!.student]: log([
    line('bank', 0, ['bank.account-ops'], '2026-03-01T09:00:00Z', { edited: false }),
    line('bank', 3, ['bank.overdraft'], '2026-03-01T10:00:00Z', { edited: true, hazards: ['conservation'] }),
    line('bank', 5, [], '2026-03-01T11:00:00Z', { edited: true }),
    line('bank-locks', 5, ['bank-locks.model'], '2026-03-02T09:00:00Z', { edited: true, hazards: ['deadlock'] }),
    line('bank-locks', 6, ['bank-locks.never-negative'], '2026-03-02T09:30:00Z', { edited: true, hazards: ['lost-update'], runs: 2 }),
    line('bank-locks', 7, [], '2026-03-02T10:00:00Z', { edited: true }),
  ]),
  [bob!.student]: log([
    line('bank-locks', 0, ['bank-locks.account-ops'], '2026-03-03T09:00:00Z', { edited: false }),
    line('bank-locks', 6, ['bank-locks.audit-consistent'], '2026-03-03T12:00:00Z', { edited: true, hazards: ['deadlock'] }),
  ]),
};

describe('exercise pairs', () => {
  it('the manifests pair the message-passing bank with the bank with locks', () => {
    expect(comparisons()).toContainEqual({ id: 'bank vs bank-locks', exercises: ['bank', 'bank-locks'], question: expect.stringMatching(/locks/) });
  });

  it('grader study exports one row per student and exercise, under a keyed pseudonym: no names, no code', async () => {
    const out = join(work, 'class');
    for (const [student, text] of Object.entries(logs)) await saveProgressLog(out, student, text);
    const pairs = comparisons();
    const rows = await studyRows(out, classResults, { salt: 'k1', pairs });
    const csv = renderStudyCsv(rows);
    const [head, ...body] = csv.trimEnd().split('\r\n');
    expect(head).toBe(STUDY_COLUMNS.join(','));
    for (const r of classResults) expect(csv).not.toContain(r.student.slice(0, 6));
    expect(csv).not.toMatch(/import|function|=>/);
    const pa = pseudonym(alice!.student, 'k1');
    expect(pseudonym(alice!.student, 'k1')).toBe(pa);
    expect(pseudonym(alice!.student, 'k2')).not.toBe(pa);
    const cols = (row: string) => Object.fromEntries(STUDY_COLUMNS.map((c, i) => [c, row.split(',')[i]]));
    const aBank = cols(body.find((r) => r.startsWith(`${pa},bank vs bank-locks,bank,`))!);
    expect(aBank).toMatchObject({
      runs: '2',
      starter_runs: '1',
      attempts_to_first_full_pass: '2',
      working_span_hours: '1',
      first_failed_test: 'bank.overdraft',
      hit_conservation_failure: '1',
      hit_deadlock: '0',
      graded_status: 'graded',
      graded_max: String(alice!.exercises.find((e) => e.id === 'bank')!.max),
    });
    const aLocks = cols(body.find((r) => r.startsWith(`${pa},bank vs bank-locks,bank-locks,`))!);
    expect(aLocks).toMatchObject({
      runs: '4',
      attempts_to_first_full_pass: '4',
      first_failed_test: 'bank-locks.model',
      longest_failed_test: 'bank-locks.never-negative',
      longest_failed_runs: '2',
      hit_deadlock: '1',
      hit_lost_update: '1',
      graded_status: 'not graded',
      graded_score: '',
    });
    // Students without a log still have their graded bank; nobody has a row for an exercise they neither logged nor submitted.
    expect(body.filter((r) => r.split(',')[2] === 'bank').length).toBe(
      classResults.filter((r) => r.exercises.some((e) => e.id === 'bank' && e.status !== 'missing')).length,
    );
    expect(body.filter((r) => r.split(',')[2] === 'bank-locks').length).toBe(2);
  });

  it('the class dashboard shows a pair side by side: runs, span, failed first and longest, who met which failure, marks', () => {
    const evidence = summariseProgress(
      Object.entries(logs).map(([student, text]) => ({ student, text })),
      { exercises: ['bank', 'bank-locks'] },
    );
    const views = comparisonViews(comparisons(), evidence, classResults);
    expect(views).toHaveLength(1);
    const [bank, locks] = views[0]!.sides;
    expect(locks.hazards.deadlock).toEqual({ students: 2, share: 1 });
    expect(locks.hazards['lost-update']).toEqual({ students: 1, share: 0.5 });
    expect(bank.hazards.conservation).toEqual({ students: 1, share: 1 });
    expect(bank.marks.graded).toBeGreaterThan(0);
    const html = renderClass(classResults, { comparisons: views }).indexHtml;
    expect(html).toContain('Compared: the same task two ways');
    expect(html).toMatch(/Met a deadlock<\/th><td class="small">0% \(0 of 1\)<\/td><td class="small">100% \(2 of 2\)<\/td>/);
    expect(html).toMatch(
      /Failed first<\/th><td class="small">bank\.overdraft \(1\)<\/td><td class="small">bank-locks\.model \(1\); bank-locks\.audit-consistent \(1\)|Failed first<\/th><td class="small">bank\.overdraft \(1\)<\/td><td class="small">bank-locks\.audit-consistent \(1\); bank-locks\.model \(1\)/,
    );
    expect(renderClass(classResults, {}).indexHtml).not.toContain('Compared: the same task two ways');
  });
});

describe('the pack and the two banks', () => {
  it('npm test -- bank runs the bank only; other filters are left to vitest', () => {
    expect(includeFor(['run', 'bank'])).toEqual(['exercises/bank/tests/public/**/*.test.ts']);
    expect(includeFor(['run', 'bank', 'bank-locks'])).toEqual(['exercises/bank/tests/public/**/*.test.ts', 'exercises/bank-locks/tests/public/**/*.test.ts']);
    expect(includeFor(['run', '--config', 'x/vitest.config.ts', 'bank-locks'])).toEqual(['exercises/bank-locks/tests/public/**/*.test.ts']);
    for (const argv of [['run'], ['run', 'ban'], ['run', 'bank', '-t', 'audit'], ['run', 'exercises/bank/']])
      expect(includeFor(argv)).toEqual(['exercises/*/tests/public/**/*.test.ts']);
  });

  it('the pack holds both banks for a student: handouts, protocols, the kit server, public tests, starters; no solution, hidden test or mutant', async () => {
    const built = await buildPack({ out: join(work, 'pack'), exercises: ['bank', 'bank-locks'] });
    const files = new Set(built.files);
    for (const f of [
      'exercises/bank-locks/README.md',
      'exercises/bank-locks/protocol.ts',
      'exercises/bank-locks/serve.ts',
      'exercises/bank-locks/manifest.json',
      'exercises/bank-locks/tests/public/bank-locks.test.ts',
      'exercises/bank-locks/tests/public/bank-locks-kit.ts',
      'bank-locks/bank.ts',
      'exercises/bank/README.md',
      'bank/bank.ts',
      'runtime/shared/index.ts',
      'runtime/shared/mutex.ts',
    ])
      expect(files, f).toContain(f);
    for (const f of files) expect(f).not.toMatch(/^solutions\/|\/tests\/hidden\/|\/mutants\/|^exercises\/bank-locks\/test\//);
    expect(readFileSync(join(work, 'pack', 'bank-locks', 'bank.ts'), 'utf8')).toBe(
      readFileSync(new URL('../../starter/bank-locks/bank-locks/bank.ts', import.meta.url), 'utf8'),
    );
    const info = JSON.parse(readFileSync(join(work, 'pack', 'pack.json'), 'utf8')) as { exercises: { id: string; starter: Record<string, string> }[] };
    expect(info.exercises.map((e) => e.id)).toEqual(['bank', 'bank-locks']);
    expect(Object.keys(info.exercises[1]!.starter)).toEqual(['bank-locks/bank.ts']);
    // REFLECTION.md asks for the comparison, with evidence from the student's own runs.
    expect(readFileSync(join(work, 'pack', 'REFLECTION.md'), 'utf8')).toMatch(
      /## 6\. `bank` and `bank-locks`, side by side\n\nMessage passing or locks[^\n]*\n(.*\n)*.*progress\.jsonl/,
    );
  });
});
