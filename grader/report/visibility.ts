import type { ExerciseResult, GroupResult, TestResult, Visibility } from '../result.ts';

const RANK: Record<Visibility, number> = { visible: 0, 'name-only': 1, hidden: 2 };

/** The stricter of two visibilities. */
export function stricter(a: Visibility, b: Visibility): Visibility {
  return RANK[a] >= RANK[b] ? a : b;
}

/** What a student may see of a test: the stricter of the test's own and its group's visibility. */
export function testVisibility(test: TestResult, group: GroupResult | undefined): Visibility {
  return group ? stricter(test.visibility, group.visibility) : test.visibility;
}

export interface GroupWithTests {
  group: GroupResult;
  /** False for the synthetic group collecting tests whose group id the exercise does not list. */
  listed: boolean;
  tests: { test: TestResult; visibility: Visibility }[];
}

/**
 * The exercise's rubric groups, in order, each with its tests and their effective visibility.
 * Tests naming an unknown group are collected in a trailing "Other tests" group so that no
 * test is silently dropped from a report.
 */
export function groupTests(ex: ExerciseResult): GroupWithTests[] {
  const out: GroupWithTests[] = ex.groups.map((group) => ({ group, listed: true, tests: [] }));
  const byId = new Map(out.map((g) => [g.group.id, g]));
  let other: GroupWithTests | undefined;
  for (const test of ex.tests) {
    let g = byId.get(test.group);
    if (!g) {
      if (!other) {
        other = { group: { id: '', name: 'Other tests', score: 0, max: 0, visibility: 'visible' }, listed: false, tests: [] };
        out.push(other);
      }
      g = other;
      g.group.score += test.score;
      g.group.max += test.max;
    }
    g.tests.push({ test, visibility: testVisibility(test, g.listed ? g.group : undefined) });
  }
  return out;
}
