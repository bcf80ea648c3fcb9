// The exercise format, read by the harness (which runs an exercise's rubric under the seeds and
// budgets of its manifest) and by the grader above it. Every exercise folder `exercises/<id>/` holds:
//   README.md        the handout
//   protocol.ts      zod schemas and types of every message, both directions, and the entry points
//   manifest.json    this schema: files, rubric groups and points, visibility, seeds, budgets, mutants
//   tests/public/    tests students get (run with `npm test` in the student pack)
//   tests/hidden/    tests only the grader runs
//   mutants/         known-bad variants, each of which must lose the marks of its group:
//                    `<mutant id>.patch`, a unified diff against the solution (grader/mutants.ts;
//                    see AUTHORING.md)
// and `starter/<id>/`, `solutions/<id>/` hold the skeleton and the reference solution, laid
// out exactly as a student submits them (e.g. `ring/ring.ts`).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const id = z.string().regex(/^[a-z][a-z0-9-]*$/, 'use lower-case letters, digits and dashes');
const testId = z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/, 'a test id looks like "ring.hops"');
const relPath = z.string().regex(/^(?!\/)(?!.*\.\.)[\w./-]+$/, 'a relative path inside the submission, like "ring/ring.ts"');

export const Visibility = z.enum(['visible', 'name-only', 'hidden']);
export type Visibility = z.infer<typeof Visibility>;

export const Group = z
  .object({
    id,
    name: z.string().min(1),
    visibility: Visibility,
    /** Test id → points. A test earns its points only if it passes under every seed. */
    tests: z.record(testId, z.number().positive()).refine((t) => Object.keys(t).length > 0, 'a group needs at least one test'),
  })
  .strict();
export type Group = z.infer<typeof Group>;

export const Mutant = z
  .object({
    id,
    description: z.string().min(1),
    /** Gone: a mutant is `mutants/<id>.patch`, which names its files (kept here to say so to an old manifest). */
    files: z
      .never({ error: 'a mutant no longer lists files: it is the patch mutants/<id>.patch against the solution (exercises/AUTHORING.md, "Mutants")' })
      .optional(),
    /** Rubric groups this mutant must lose marks in: exactly these, no others. */
    loses: z.array(id).min(1),
    /**
     * The test written for the property this mutant breaks (in one of `loses`): it must fail
     * under every manifest seed, not by luck and not only through a neighbouring test.
     */
    test: testId,
  })
  .strict();
export type Mutant = z.infer<typeof Mutant>;

export const ManualItem = z.object({ id, title: z.string().min(1), points: z.number().positive() }).strict();

export const Manifest = z
  .object({
    id,
    title: z.string().min(1),
    /** Files a student submits for this exercise (paths as in the submission). */
    files: z.array(relPath).min(1),
    /** The file whose exports are the entry points (one of `files`). */
    entry: relPath,
    /** Simulated kernels each test's system gets unless the test asks for more. */
    kernels: z.number().int().min(1).max(16).default(1),
    /**
     * Fixed seeds: every test runs under each; it earns its points only if all pass. Choose
     * them with `npx grader selftest --explore N`; more seeds cost grading time.
     */
    seeds: z
      .array(z.number().int().nonnegative())
      .min(1)
      .max(100)
      .refine((s) => new Set(s).size === s.length, 'each seed once'),
    /**
     * More seeds for a student's own run of the public tests (`npm test`, `npm run check` in the
     * pack), after `seeds`. A local run is cheap, so a bug that shows under one seed in three
     * shows there too (10 seeds miss it with odds of 1 in 58). Grading uses `seeds` only.
     */
    localSeeds: z.array(z.number().int().nonnegative()).max(100).default([]),
    budgets: z
      .object({
        /** Real-time ms the kernel may take to answer one harness command before it is declared stuck. */
        commandMs: z.number().int().positive().default(2000),
        /** Real-time ms for one test under all seeds (a backstop; the command budget catches hangs first). */
        testMs: z.number().int().positive().default(60_000),
        /**
         * The grader stops testing a submission whose kernel failed (hung, crashed) in this many
         * tests in a row: the tests left score 0, and the report says why. 0: run every test.
         */
        stopAfter: z.number().int().min(0).default(3),
      })
      .strict()
      .default({ commandMs: 2000, testMs: 60_000, stopAfter: 3 }),
    /**
     * What a type error costs. `report` (default): it is shown at the top of the report and the
     * tests run as usual (the code is bundled without types). `fail`: code with type errors
     * counts as not compiling, and the exercise scores 0.
     */
    typeErrors: z.enum(['report', 'fail']).default('report'),
    groups: z.array(Group).min(1),
    mutants: z.array(Mutant).default([]),
    manual: z.array(ManualItem).default([]),
    /**
     * A study pair: this exercise is compared with exercise `with` (the same task done another
     * way). The class dashboard shows the two side by side and `grader study` exports them.
     */
    compare: z
      .object({ with: id, question: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (!m.files.includes(m.entry)) ctx.addIssue({ code: 'custom', path: ['entry'], message: `must be one of "files" (${m.files.join(', ')})` });
    const seen = new Map<string, string>();
    m.groups.forEach((g, gi) => {
      for (const t of Object.keys(g.tests)) {
        if (!t.startsWith(`${m.id}.`))
          ctx.addIssue({ code: 'custom', path: ['groups', gi, 'tests', t], message: `test ids start with the exercise id: "${m.id}.…"` });
        if (seen.has(t)) ctx.addIssue({ code: 'custom', path: ['groups', gi, 'tests', t], message: `test "${t}" is already in group "${seen.get(t)}"` });
        seen.set(t, g.id);
      }
    });
    const everySeed = [...m.seeds, ...m.localSeeds];
    if (new Set(everySeed).size !== everySeed.length) ctx.addIssue({ code: 'custom', path: ['localSeeds'], message: 'each seed once, none of "seeds" again' });
    const groups = new Set(m.groups.map((g) => g.id));
    const mutantIds = new Set<string>();
    m.mutants.forEach((mu, i) => {
      if (mutantIds.has(mu.id)) ctx.addIssue({ code: 'custom', path: ['mutants', i, 'id'], message: `mutant "${mu.id}" is listed twice` });
      mutantIds.add(mu.id);
      mu.loses.forEach((g, j) => {
        if (!groups.has(g)) ctx.addIssue({ code: 'custom', path: ['mutants', i, 'loses', j], message: `no rubric group "${g}"` });
      });
      const home = seen.get(mu.test);
      if (home === undefined) ctx.addIssue({ code: 'custom', path: ['mutants', i, 'test'], message: `no test "${mu.test}" in the rubric` });
      else if (!mu.loses.includes(home))
        ctx.addIssue({ code: 'custom', path: ['mutants', i, 'test'], message: `"${mu.test}" is in group "${home}", which "loses" does not name` });
    });
  });
export type Manifest = z.infer<typeof Manifest>;

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** The folder holding every exercise (the kit's exercises/: the pack ships both at the same paths). */
export const exercisesDir = fileURLToPath(new URL('../../exercises', import.meta.url));

/** Reads and validates `exercises/<id>/manifest.json`; an invalid one is an error naming the file and the field. */
export function loadManifest(dir: string): Manifest {
  const file = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ManifestError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new ManifestError(`${file}: invalid manifest: ${first.join('; ')}`);
  }
  return parsed.data;
}

/** Every exercise in the kit (a folder holding a manifest.json), in the order of the course: ORDER below, then any others by name. */
export function listExercises(root = exercisesDir): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'manifest.json')))
    .map((d) => d.name)
    .sort((a, b) => courseOrder(a) - courseOrder(b) || a.localeCompare(b));
}

const ORDER = ['ring', 'pipeline', 'bank', 'bank-locks', 'crawler', 'multikernel'];
function courseOrder(id: string): number {
  const i = ORDER.indexOf(id);
  return i < 0 ? ORDER.length : i;
}

/** Total points of a manifest's automated rubric. */
export function maxPoints(m: Manifest): number {
  return m.groups.reduce((sum, g) => sum + Object.values(g.tests).reduce((a, b) => a + b, 0), 0);
}

export function exerciseDir(id: string, root = exercisesDir): string {
  return resolve(root, id);
}
