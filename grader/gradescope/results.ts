// From what `grade` writes for one student to what Gradescope takes: the grader's own
// results.json (one entry per rubric test, its visibility from the test's rubric group, hidden
// tests unnamed) with the student report's text (report.md, the same words as report.html) as
// the submission's output, in Markdown, which Gradescope renders.
import type { GradescopeResults, GradescopeVisibility } from '../result.ts';
import { GradescopeSpecResults } from './spec.ts';

/** When students see the results of a hidden rubric group (never its tests' names or details). */
export const HiddenVisibility = ['hidden', 'after_due_date', 'after_published'] as const;
export type HiddenVisibility = (typeof HiddenVisibility)[number];

export interface GradescopeOptions {
  /** Gradescope's visibility for the entries of hidden rubric groups (default "hidden"). */
  readonly hiddenVisibility?: HiddenVisibility;
  /** Stored with the result on Gradescope (staff see it in the API and exports). */
  readonly extra?: Record<string, string>;
}

export function forGradescope(graded: GradescopeResults, reportMd: string, options: GradescopeOptions = {}): GradescopeSpecResults {
  const hidden: GradescopeVisibility = options.hiddenVisibility ?? 'hidden';
  const results = {
    ...graded,
    output: reportMd,
    output_format: 'md' as const,
    tests: graded.tests.map((t) => (t.visibility === 'hidden' ? { ...t, visibility: hidden } : t)),
    ...(options.extra ? { extra_data: options.extra } : {}),
  };
  return GradescopeSpecResults.parse(results);
}
