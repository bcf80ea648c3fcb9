// Scoring (score.ts) and redaction (redact.ts), in process: marks are a pure function of the
// manifest and the outcomes; only the manifest's test ids count; a passed flag is never
// trusted without seeds run; what the machinery lost is withheld, never a 0; student-visible
// text loses hidden test lines and stack frames.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exerciseDir, loadManifest } from '../../kernels/harness/manifest.ts';
import type { PropertyOutcome } from '../../kernels/harness/property.ts';
import type { PreparedExercise } from '../prepare/prepare.ts';
import { Redactor } from '../redact.ts';
import { ExerciseResult } from '../result.ts';
import { scoreExercise } from '../score.ts';

const ring = loadManifest(exerciseDir('ring'));
const ids = ring.groups.flatMap((g) => Object.keys(g.tests));
const points = Object.fromEntries(ring.groups.flatMap((g) => Object.entries(g.tests)));
const total = Object.values(points).reduce((a, b) => a + b, 0);
const ready: PreparedExercise = { id: 'ring', status: 'ready', bundle: 'x', diagnostics: [] };

const HIDDEN_LINE = 'expect(tokenCount).toBe(expectedTokensAfterCrash);';
const tmp = mkdtempSync(join(tmpdir(), 'scoring-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
mkdirSync(join(tmp, 'hidden', 'deep'), { recursive: true });
writeFileSync(join(tmp, 'hidden', 'deep', 'idle.test.ts'), `import x from 'y';\n});\n  ${HIDDEN_LINE}\nshort line\n`);
writeFileSync(join(tmp, 'hidden', 'notes.md'), 'this markdown line is long enough but not a test source file\n');
const redact = new Redactor();
redact.addHiddenTests(join(tmp, 'hidden'));

function passed(test: string, seeds = [1, 2, 3]): PropertyOutcome {
  return { submission: 's', exercise: 'ring', test, name: `name of ${test}`, seeds: { run: seeds, failed: [] } };
}
function all(over: Record<string, PropertyOutcome | undefined> = {}): Map<string, PropertyOutcome> {
  const m = new Map<string, PropertyOutcome>();
  for (const id of ids) {
    const o = id in over ? over[id] : passed(id);
    if (o) m.set(id, o);
  }
  return m;
}
const byId = (r: ExerciseResult, id: string) => r.tests.find((t) => t.id === id)!;

describe('scoreExercise', () => {
  it('gives every point when every test passes under every seed, group by group, in a valid result', () => {
    const r = scoreExercise(ring, ready, all(), redact);
    expect(ExerciseResult.parse(r)).toEqual(r);
    expect(r.status).toBe('graded');
    expect(r.score).toBe(total);
    expect(r.max).toBe(total);
    expect(r.groups.map((g) => [g.id, g.score, g.max])).toEqual(
      ring.groups.map((g) => [g.id, Object.values(g.tests).reduce((a, b) => a + b, 0), Object.values(g.tests).reduce((a, b) => a + b, 0)]),
    );
    expect(r.tests.map((t) => t.id)).toEqual(ids);
    expect(r.tests.every((t) => t.status === 'passed' && t.score === t.max)).toBe(true);
  });

  it('scores 0 for a failed seed, and for a "pass" that ran no seed; outcomes for unknown ids are ignored', () => {
    const [a, b] = ids as [string, string];
    const outcomes = all({
      [a]: { ...passed(a), seeds: { run: [1, 2], failed: [2] } },
      [b]: { ...passed(b), seeds: { run: [], failed: [] } },
    });
    outcomes.set('ring.not-in-manifest', passed('ring.not-in-manifest'));
    const r = scoreExercise(ring, ready, outcomes, redact);
    expect(byId(r, a)).toMatchObject({ status: 'failed', score: 0 });
    expect(byId(r, b)).toMatchObject({ status: 'failed', score: 0 });
    expect(r.score).toBe(total - points[a]! - points[b]!);
    expect(r.tests.some((t) => t.id === 'ring.not-in-manifest')).toBe(false);
  });

  it('redacts a failure: hidden test lines in the property, the observation and the chart; stack frames cut', () => {
    const [a] = ids as [string];
    const failure = {
      property: `tokens are conserved\n    at check (/kit/exercises/ring/tests/hidden/idle.test.ts:10:5)`,
      observed: `got 3\n  ${HIDDEN_LINE}\n    at file:///kit/harness.mjs:1:1`,
      seed: 7,
      replay: 'npm test -- ring --seed 7',
      chart: [{ t: 1, kind: 'send', from: 'a', to: 'b', label: 'token', detail: HIDDEN_LINE }],
    };
    const r = scoreExercise(ring, ready, all({ [a]: { ...passed(a), seeds: { run: [7], failed: [7] }, failure } as PropertyOutcome }), redact);
    const t = byId(r, a);
    expect(t.failure!.property).toBe('tokens are conserved');
    expect(t.failure!.observed).toBe('got 3\n[redacted: hidden test source]');
    expect(t.failure!.chart[0]).toMatchObject({ label: 'token', detail: '[redacted: hidden test source]' });
    expect(t.failure!.seed).toBe(7);
  });

  it('a test the submission crashed is an error worth 0; a kernel that died mid-test is an error too', () => {
    const [a, b] = ids as [string, string];
    const r = scoreExercise(
      ring,
      ready,
      all({
        [a]: { ...passed(a), error: `it threw\n  ${HIDDEN_LINE}` },
        [b]: { ...passed(b), seeds: { run: [1], failed: [1] }, kernelFailure: true },
      }),
      redact,
    );
    expect(byId(r, a)).toMatchObject({ status: 'error', score: 0, message: 'it threw\n[redacted: hidden test source]' });
    expect(byId(r, b)).toMatchObject({ status: 'error', score: 0 });
    expect(r.status).toBe('graded');
  });

  it('withholds the marks of tests the machinery lost or could not run: grading errors, never a 0 in the record', () => {
    const [a, b] = ids as [string, string];
    const r = scoreExercise(ring, ready, all({ [a]: undefined, [b]: { ...passed(b), infrastructure: 'the kernel could not start' } }), redact);
    expect(byId(r, a)).toMatchObject({ status: 'grading-error', message: 'Grading error (this test reported no result); this mark is withheld.' });
    expect(byId(r, b)).toMatchObject({ status: 'grading-error', message: 'Grading error (the kernel could not start); this mark is withheld.' });
    expect(r.status).toBe('error');
    expect(r.reason).toBe(
      `the grading machinery failed on 2 of ${ids.length} tests: this test reported no result. Not the submission's fault: its marks are withheld until it is graded again.`,
    );
  });

  it('names the job error (its first line, redacted) when every test is lost', () => {
    const none = new Map<string, PropertyOutcome>();
    const r = scoreExercise(ring, ready, none, redact, `vitest died\n  ${HIDDEN_LINE}`);
    expect(r.tests.every((t) => t.status === 'grading-error')).toBe(true);
    expect(r.reason).toMatch(/^the grading machinery failed on every test: the test run failed: vitest died\. Not the submission's fault/);
  });

  it('tests not run because the kernel kept failing are failures that say why, when the count agrees', () => {
    const lost = ids.slice(-3);
    const outcomes = all(Object.fromEntries(lost.map((id) => [id, undefined])));
    const stopped = scoreExercise(ring, ready, outcomes, redact, undefined, { after: ['x', 'y', 'z'], notRun: 3 });
    for (const id of lost)
      expect(byId(stopped, id)).toMatchObject({
        status: 'failed',
        score: 0,
        message: expect.stringMatching(/^Not run: your code stopped responding or crashed in 3 tests in a row/),
      });
    expect(stopped.status).toBe('graded');
    // A count that disagrees means something else lost them: grading errors.
    const mismatch = scoreExercise(ring, ready, outcomes, redact, undefined, { after: ['x'], notRun: 2 });
    for (const id of lost) expect(byId(mismatch, id).status).toBe('grading-error');
    expect(mismatch.status).toBe('error');
  });

  it('an exercise that could not be prepared fails every test, with its reason and diagnostics redacted', () => {
    const prepared: PreparedExercise = {
      id: 'ring',
      status: 'compile-error',
      reason: `does not compile\n  ${HIDDEN_LINE}`,
      diagnostics: [{ file: 'ring/ring.ts', line: 3, column: 1, message: `Type error near ${HIDDEN_LINE}` }],
      typeErrors: 1,
    };
    const r = scoreExercise(ring, prepared, new Map(), redact);
    expect(r.status).toBe('compile-error');
    expect(r.score).toBe(0);
    expect(r.max).toBe(total);
    expect(r.tests.every((t) => t.status === 'failed' && t.score === 0 && t.message === undefined)).toBe(true);
    expect(r.reason).toBe('does not compile\n[redacted: hidden test source]');
    expect(r.diagnostics[0]!.message).toBe('[redacted: hidden test source]');
    expect(r.typeErrors).toBe(1);
    const missing = scoreExercise(ring, { id: 'ring', status: 'missing', diagnostics: [] }, new Map(), redact);
    expect(missing).toMatchObject({ status: 'missing', score: 0 });
    expect(missing.reason).toBeUndefined();
    expect('typeErrors' in missing).toBe(false);
  });

  it('names a lost test by its title from the test file, or by its id for an unknown exercise', () => {
    const [a] = ids as [string];
    const r = scoreExercise(ring, ready, all({ [a]: undefined }), redact);
    expect(byId(r, a).name).not.toBe(a);
    expect(byId(r, a).name.length).toBeGreaterThan(3);
    const unknown = { ...ring, id: 'no-such-exercise' };
    const u = scoreExercise(unknown, ready, new Map(), redact);
    expect(u.tests[0]!.name).toBe(u.tests[0]!.id);
  });
});

describe('Redactor', () => {
  it('keeps ordinary text, drops stack frames, and replaces any line holding a hidden test line', () => {
    expect(redact.text(undefined)).toBeUndefined();
    expect(redact.text('plain words\n\nmore words')).toBe('plain words\n\nmore words');
    expect(redact.text('boom\n    at Object.<anonymous> (/x/y.ts:1:2)\n    at async file:///x/z.mjs:3:4\nend')).toBe('boom\nend');
    expect(redact.text(`prefix ${HIDDEN_LINE} suffix`)).toBe('[redacted: hidden test source]');
  });

  it('learns only meaningful lines of .ts files, and a missing folder teaches nothing', () => {
    const fresh = new Redactor();
    fresh.addHiddenTests(join(tmp, 'no-such-folder'));
    expect(fresh.text(HIDDEN_LINE)).toBe(HIDDEN_LINE);
    expect(redact.text('});')).toBe('});'); // structural lines are not learned
    expect(redact.text('short line')).toBe('short line');
    expect(redact.text('this markdown line is long enough but not a test source file')).toBe('this markdown line is long enough but not a test source file');
  });
});
