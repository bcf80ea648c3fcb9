// What a student may see of a test: the stricter of the test's own visibility and its rubric
// group's; a test whose group the exercise does not list is never dropped from a report, and
// keeps its own visibility in a trailing "Other tests" group.
import { describe, expect, it } from 'vitest';
import { groupTests, stricter, testVisibility } from '../report/visibility.ts';
import type { ExerciseResult, GroupResult, TestResult, Visibility } from '../result.ts';

const test = (id: string, group: string, visibility: Visibility, score = 1, max = 1): TestResult => ({
  id,
  name: `name of ${id}`,
  group,
  visibility,
  status: score === max ? 'passed' : 'failed',
  score,
  max,
  seeds: { run: [1], failed: score === max ? [] : [1] },
});
const group = (id: string, visibility: Visibility, score: number, max: number): GroupResult => ({ id, name: `group ${id}`, score, max, visibility });

describe('visibility', () => {
  it('the stricter of two visibilities wins, in the order visible < name-only < hidden', () => {
    const all: Visibility[] = ['visible', 'name-only', 'hidden'];
    for (const a of all) for (const b of all) expect(stricter(a, b)).toBe(all[Math.max(all.indexOf(a), all.indexOf(b))]);
  });

  it('a visible test in a hidden group is hidden; a hidden test in a visible group stays hidden', () => {
    expect(testVisibility(test('t', 'g', 'visible'), group('g', 'hidden', 0, 1))).toBe('hidden');
    expect(testVisibility(test('t', 'g', 'hidden'), group('g', 'visible', 0, 1))).toBe('hidden');
    expect(testVisibility(test('t', 'g', 'name-only'), undefined)).toBe('name-only');
  });

  it('groups tests in rubric order, and collects tests of unknown groups last, keeping their own visibility and marks', () => {
    const ex: ExerciseResult = {
      id: 'ring',
      title: 'Ring',
      score: 3,
      max: 6,
      status: 'graded',
      diagnostics: [],
      groups: [group('a', 'visible', 1, 2), group('b', 'name-only', 1, 1)],
      tests: [
        test('t1', 'a', 'visible'),
        test('t2', 'b', 'visible'),
        test('t3', 'zzz', 'hidden', 0, 2),
        test('t4', 'a', 'hidden', 0, 1),
        test('t5', 'yyy', 'visible', 1, 1),
      ],
    };
    const grouped = groupTests(ex);
    expect(grouped.map((g) => [g.group.name, g.listed, g.tests.map((t) => [t.test.id, t.visibility])])).toEqual([
      [
        'group a',
        true,
        [
          ['t1', 'visible'],
          ['t4', 'hidden'],
        ],
      ],
      ['group b', true, [['t2', 'name-only']]],
      [
        'Other tests',
        false,
        [
          ['t3', 'hidden'],
          ['t5', 'visible'],
        ],
      ],
    ]);
    const other = grouped[2]!.group;
    expect([other.score, other.max, other.visibility]).toEqual([1, 3, 'visible']);
    // Every test appears exactly once.
    expect(grouped.flatMap((g) => g.tests.map((t) => t.test.id)).sort()).toEqual(['t1', 't2', 't3', 't4', 't5']);
  });
});
