// Gradescope's results.json as its autograder specification describes it
// (gradescope-autograders.readthedocs.io, "Autograder Specifications" → "Output format"),
// strictly: an unknown field, a wrong type or a score on neither the submission nor every
// test is refused. The bundle's run checks what it writes against it, and so do its tests.
import { z } from 'zod';

const visibility = z.enum(['hidden', 'after_due_date', 'after_published', 'visible']);
const format = z.enum(['text', 'html', 'simple_format', 'md', 'ansi']);

export const GradescopeSpecTest = z.strictObject({
  score: z.number().finite().optional(),
  max_score: z.number().finite().optional(),
  status: z.enum(['passed', 'failed']).optional(),
  name: z.string().optional(),
  name_format: format.optional(),
  number: z.string().optional(),
  output: z.string().optional(),
  output_format: format.optional(),
  tags: z.array(z.string()).optional(),
  visibility: visibility.optional(),
  extra_data: z.record(z.string(), z.unknown()).optional(),
});

export const GradescopeSpecResults = z
  .strictObject({
    score: z.number().finite().optional(),
    execution_time: z.number().finite().min(0).optional(),
    output: z.string().optional(),
    output_format: format.optional(),
    test_output_format: format.optional(),
    test_name_format: format.optional(),
    visibility: visibility.optional(),
    stdout_visibility: visibility.optional(),
    extra_data: z.record(z.string(), z.unknown()).optional(),
    tests: z.array(GradescopeSpecTest).optional(),
    leaderboard: z.array(z.strictObject({ name: z.string(), value: z.union([z.number(), z.string()]), order: z.enum(['asc', 'desc']).optional() })).optional(),
  })
  .refine((r) => r.score !== undefined || (r.tests !== undefined && r.tests.length > 0 && r.tests.every((t) => t.score !== undefined)), {
    message: 'score is required unless every test has one',
  });
export type GradescopeSpecResults = z.infer<typeof GradescopeSpecResults>;
