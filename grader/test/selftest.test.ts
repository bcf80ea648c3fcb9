// The kit grading itself through the real pipeline: for every exercise, the reference
// solution gets full marks, every mutant loses marks in the groups it breaks, and the starter
// is graded without error.
import { describe, expect, it } from 'vitest';
import { listExercises } from '../../exercises/manifest.ts';
import { selftest } from '../selftest.ts';

describe('selftest', () => {
  it.each(listExercises())('%s: solution full marks, mutants lose their groups, starter runs', async (id) => {
    const report = await selftest({ exercises: [id], jobs: 2 });
    expect(report.rows.filter((r) => !r.ok), `\n${report.table}`).toEqual([]);
  }, 600_000);
});
