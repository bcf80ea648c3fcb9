// The kit grading itself. For each exercise:
//   - the reference solution gets full marks, under every seed;
//   - each mutant (a known-bad variant) loses marks in exactly the rubric groups its manifest
//     entry names, and the test written for its property fails under every manifest seed:
//     a bug must be caught on purpose, not by luck and not only by a neighbouring test;
//   - the starter is graded without error and scores nothing;
//   - the handout's marking table agrees with the manifest's points;
//   - each mutant's patch (mutants/<id>.patch) still applies to the solution, and the mutant
//     is a self-contained submission (it imports only what a student may).
// It also flags a mutant that passes every public test: a student with that bug sees green
// locally (not a failure of the kit; worth knowing).
//
// Plain `selftest` grades through the same pipeline as a class run (sandboxed kernels, the
// manifest's seeds). `selftest --explore N` runs the solution, the starter and every mutant
// under the manifest's seeds plus N more, one seed per vitest run with in-process kernels
// (the kit's own code needs no sandbox), and reports each test's kill rate over the seeds:
// the figures for choosing the manifest's seeds.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { exerciseDir, listExercises, loadManifest, maxPoints, type Manifest } from '../kernels/harness/manifest.ts';
import { prepareBundle } from '../kernels/harness/bundle-file.ts';
import type { PropertyOutcome, RunPlan } from '../kernels/harness/property.ts';
import { gradeClass } from './grade.ts';
import { UserError } from './errors.ts';
import { kitRoot } from './kit.ts';
import { testIdsIn } from './exercise-tests.ts';
import { MutantPatchError, mutantFiles, patchFile, patchesIn, writeMutant } from './mutants.ts';
import type { Progress } from './progress.ts';
import type { Collected } from './run/reporter.ts';
import { Slot, testFiles } from './run/slots.ts';
import type { GradingPlan } from './run/stop-early.ts';

export interface SelftestRow {
  readonly exercise: string;
  readonly submission: string;
  readonly expect: string;
  readonly got: string;
  readonly ok: boolean;
  /** Worth knowing, not a failure (e.g. a mutant that passes every public test). */
  readonly warn?: boolean;
}

export interface SelftestReport {
  readonly rows: SelftestRow[];
  readonly ok: boolean;
  readonly misses: number;
  readonly warnings: number;
  readonly table: string;
  /** With `explore`: kill rates over seeds, per exercise. */
  readonly explored: ExploreReport[];
}

export interface SelftestOptions {
  readonly exercises?: readonly string[];
  readonly jobs?: number;
  readonly progress?: Progress;
  /** Run every submission under this many seeds beyond the manifest's (in-process kernels). */
  readonly explore?: number;
  /**
   * Grade in sandboxed process kernels, as a class is graded. By default the kit's own code
   * runs in worker-thread kernels: the same tests, seeds and watchdog, at about half the CPU.
   */
  readonly sandboxed?: boolean;
}

/** How one test fared for one submission: the seeds it ran under and those it failed. */
export interface TestRun {
  readonly run: number[];
  readonly failed: number[];
  /** The test could not run (the code does not compile, the kernel died…). */
  readonly error?: string;
}

/** Submission ('solution', 'starter', 'mutant-<id>') → test id → how it fared; a submission with no results at all has its reason. */
export type Outcomes = Map<string, { tests: Map<string, TestRun>; error?: string }>;

export interface ExploreReport {
  readonly exercise: string;
  readonly manifestSeeds: number[];
  readonly extraSeeds: number[];
  readonly seconds: number;
  /** Tests the solution failed, with the seeds. */
  readonly solutionFailures: { test: string; seeds: number[] }[];
  readonly mutants: ExploredMutant[];
  /** The README footer these figures make (markdown). */
  readonly markdown: string;
}

export interface ExploredMutant {
  readonly id: string;
  readonly test: string;
  /** Test id → seeds (of all run) on which it failed. */
  readonly kills: Record<string, number[]>;
  /** Tests that fail under every manifest seed. */
  readonly everyManifestSeed: string[];
}

export async function selftest(options: SelftestOptions = {}): Promise<SelftestReport> {
  const all = listExercises();
  const ids = options.exercises && options.exercises.length > 0 ? [...options.exercises] : all;
  const unknown = ids.find((id) => !all.includes(id));
  if (unknown !== undefined) throw new UserError(`no exercise "${unknown}" in this kit (there are: ${all.join(', ')})`);
  const rows: SelftestRow[] = [];
  const explored: ExploreReport[] = [];
  for (const id of ids) {
    const m = loadManifest(exerciseDir(id));
    rows.push(...handoutRows(m), ...containmentRows(m));
    const work = await mkdtemp(join(tmpdir(), `mp-selftest-${id}-`));
    try {
      const { subs, unmade } = await submissions(m, join(work, 'class'));
      let outcomes: Outcomes;
      if (options.explore !== undefined) {
        const report = await explore(m, subs, join(work, 'explore'), options.explore, options);
        explored.push(report.summary);
        outcomes = report.outcomes;
      } else {
        outcomes = await graded(m, join(work, 'class'), join(work, 'out'), options);
      }
      for (const [name, why] of unmade) outcomes.set(name, { tests: new Map(), error: why });
      rows.push(...judge(m, outcomes, subs));
    } finally {
      await rm(work, { recursive: true, force: true, maxRetries: 5 });
    }
  }
  const misses = rows.filter((r) => !r.ok).length;
  return { rows, ok: misses === 0, misses, warnings: rows.filter((r) => r.ok && r.warn).length, table: table(rows), explored };
}

// ---- The submissions: solution, starter, mutants ------------------------------------------------

/**
 * Submission name → its folder (for a mutant: the solution with its patch applied); `unmade`:
 * mutants whose patch no longer applies (not graded; containmentRows says why).
 */
async function submissions(m: Manifest, dir: string): Promise<{ subs: Map<string, string>; unmade: Map<string, string> }> {
  const out = new Map<string, string>();
  const solution = join(kitRoot, 'solutions', m.id);
  await cp(solution, join(dir, 'solution'), { recursive: true });
  out.set('solution', join(dir, 'solution'));
  // Other reference solutions (solutions/<id>/alternatives/<name>/, laid out as a submission): each must get full marks too.
  const alternatives = join(solution, 'alternatives');
  for (const name of existsSync(alternatives) ? readdirSync(alternatives).sort() : []) {
    await cp(solution, join(dir, `solution-${name}`), { recursive: true });
    await cp(join(alternatives, name), join(dir, `solution-${name}`), { recursive: true });
    out.set(`solution-${name}`, join(dir, `solution-${name}`));
  }
  if (existsSync(join(kitRoot, 'starter', m.id))) {
    await cp(join(kitRoot, 'starter', m.id), join(dir, 'starter'), { recursive: true });
    out.set('starter', join(dir, 'starter'));
  }
  const unmade = new Map<string, string>();
  for (const mutant of m.mutants) {
    const target = join(dir, `mutant-${mutant.id}`);
    try {
      await writeMutant(m.id, mutant.id, target);
      out.set(`mutant-${mutant.id}`, target);
    } catch (e) {
      if (!(e instanceof MutantPatchError)) throw e;
      unmade.set(`mutant-${mutant.id}`, `not graded: exercises/${m.id}/${patchFile(mutant.id)} does not apply (the row "patch applies" says where)`);
    }
  }
  return { subs: out, unmade };
}

/** Grades the class folder through the real pipeline (sandboxed kernels, manifest seeds). */
async function graded(m: Manifest, cls: string, out: string, options: SelftestOptions): Promise<Outcomes> {
  // The solution is one of the submissions, judged below: no separate canary. The kit's own
  // code needs no sandbox, so a host without bubblewrap can still test the kit.
  const kernel = options.sandboxed ? 'process' : 'thread';
  const summary = await gradeClass({
    paths: [cls],
    out,
    exercises: [m.id],
    force: true,
    jobs: options.jobs,
    progress: options.progress,
    canary: false,
    allowWeakSandbox: true,
    kernel,
  });
  const outcomes: Outcomes = new Map();
  for (const r of summary.results) {
    const e = r.exercises[0]!;
    const tests = new Map<string, TestRun>();
    for (const t of e.tests) {
      tests.set(t.id, {
        run: t.seeds.run,
        failed: t.status === 'passed' ? [] : t.seeds.failed.length > 0 ? t.seeds.failed : t.seeds.run.length > 0 ? t.seeds.run : m.seeds,
        error: t.status === 'error' ? (t.message ?? 'error') : undefined,
      });
    }
    // A grading error (the machinery failed, not the code) says nothing about the code: it is a miss of the run.
    const machinery = e.tests.find((t) => t.status === 'grading-error');
    const error =
      e.status !== 'graded'
        ? `${e.status}${e.reason ? `: ${e.reason}` : ''}`
        : machinery
          ? `grading error in ${machinery.id}: ${machinery.message ?? ''}`
          : undefined;
    outcomes.set(r.student, { tests, error });
  }
  return outcomes;
}

// ---- Judging --------------------------------------------------------------------------------------

/** The rows for one exercise's solution, starter and mutants, from how each test fared. */
export function judge(
  m: Manifest,
  outcomes: Outcomes,
  subs: ReadonlyMap<string, string>,
  publicIds: ReadonlySet<string> = new Set(testIdsIn(m, 'public')),
): SelftestRow[] {
  const rows: SelftestRow[] = [];
  const allTests = m.groups.flatMap((g) => Object.keys(g.tests));
  const groupOf = new Map(m.groups.flatMap((g) => Object.keys(g.tests).map((t) => [t, g.id] as const)));
  // Marks are decided by the manifest's seeds: a mutant's lost groups, the starter's points
  // and the public tests it fails are judged on those; the solution must pass every seed run.
  const onManifest = (r: TestRun | undefined) => r === undefined || r.error !== undefined || r.failed.some((seed) => m.seeds.includes(seed));
  const failedTests = (o: Outcomes extends Map<string, infer V> ? V : never) => allTests.filter((t) => onManifest(o.tests.get(t)));
  const row = (submission: string, expect: string, got: string, ok: boolean, warn = false) => rows.push({ exercise: m.id, submission, expect, got, ok, warn });

  for (const name of ['solution', ...[...subs.keys()].filter((k) => k.startsWith('solution-')).sort()]) {
    const sol = outcomes.get(name);
    const label = name === 'solution' ? name : `solution ${name.slice('solution-'.length)}`;
    if (!sol || sol.error) row(label, 'full marks', sol?.error ?? 'no result', false);
    else {
      const failed = allTests.filter((t) => (sol.tests.get(t)?.failed.length ?? 1) > 0);
      row(
        label,
        'full marks, every seed',
        failed.length === 0
          ? `passed ${allTests.length} tests`
          : `failed: ${failed.map((t) => `${t} (seeds ${sol.tests.get(t)?.failed.join(', ') ?? 'none run'})`).join('; ')}`,
        failed.length === 0,
      );
    }
  }

  if (subs.has('starter')) {
    const st = outcomes.get('starter');
    if (!st || st.error) row('starter', 'graded, scores nothing', st?.error ?? 'no result', false);
    else {
      const errors = allTests.filter((t) => st.tests.get(t)?.error !== undefined);
      const passed = allTests.filter((t) => !failedTests(st).includes(t));
      row(
        'starter',
        'graded, scores nothing',
        errors.length > 0
          ? `could not run ${errors.join(', ')}: ${st.tests.get(errors[0]!)!.error}`
          : passed.length > 0
            ? `scores in ${passed.join(', ')}`
            : `failed all ${allTests.length} tests`,
        errors.length === 0 && passed.length === 0,
      );
    }
  }

  for (const mutant of m.mutants) {
    const name = `mutant ${mutant.id}`;
    const o = outcomes.get(`mutant-${mutant.id}`);
    if (!o || o.error) {
      row(name, `loses ${mutant.loses.join(', ')}`, o?.error ?? 'no result', false);
      continue;
    }
    const failed = failedTests(o);
    const lost = [...new Set(failed.map((t) => groupOf.get(t)!))];
    const missing = mutant.loses.filter((g) => !lost.includes(g));
    const extra = lost.filter((g) => !mutant.loses.includes(g));
    row(
      name,
      `loses exactly ${mutant.loses.join(', ')}`,
      `lost in: ${lost.join(', ') || 'nothing'}${missing.length > 0 ? ` (not in ${missing.join(', ')})` : ''}${extra.length > 0 ? ` (also in ${extra.map((g) => `${g}: ${failed.filter((t) => groupOf.get(t) === g).join(', ')}`).join('; ')})` : ''}`,
      missing.length === 0 && extra.length === 0,
    );
    const meant = o.tests.get(mutant.test);
    const missed = meant ? m.seeds.filter((s) => meant.run.includes(s) && !meant.failed.includes(s)) : m.seeds;
    const notRun = meant ? m.seeds.filter((s) => !meant.run.includes(s) && !meant.failed.includes(s)) : [];
    row(
      name,
      `${mutant.test} fails on every manifest seed`,
      !meant
        ? 'no result'
        : missed.length === 0 && notRun.length === 0
          ? `failed on ${m.seeds.length} of ${m.seeds.length}`
          : `passed on seed${missed.length === 1 ? '' : 's'} ${[...missed, ...notRun].join(', ')}`,
      meant !== undefined && missed.length === 0 && notRun.length === 0,
    );
    if (publicIds.size > 0 && !failed.some((t) => publicIds.has(t))) {
      row(name, 'fails a public test', `passes every public test (${[...publicIds].join(', ')}): a student with this bug sees green locally`, true, true);
    }
  }
  return rows;
}

// ---- The handout's marking table -----------------------------------------------------------------

/**
 * The handout's "How it is marked" table must give each rubric group the manifest's points, in
 * the manifest's order, and a total in the heading ("(16 points)") must be the manifest's.
 */
function handoutRows(m: Manifest): SelftestRow[] {
  const file = join(exerciseDir(m.id), 'README.md');
  const row = (got: string, ok: boolean): SelftestRow => ({ exercise: m.id, submission: 'handout', expect: 'marking table = manifest', got, ok });
  if (!existsSync(file)) return [row('no README.md', false)];
  const problems = handoutProblems(m, readFileSync(file, 'utf8'));
  return [row(problems.length === 0 ? `${m.groups.length} groups, ${maxPoints(m)} points` : problems.join('; '), problems.length === 0)];
}

/** Where a handout's marking table disagrees with the manifest (empty: it agrees). */
export function handoutProblems(m: Manifest, text: string): string[] {
  const found = markingTable(text);
  if (typeof found === 'string') return [found];
  const problems: string[] = [];
  const total = maxPoints(m);
  if (found.total !== undefined && found.total !== total) problems.push(`the heading says ${found.total} points, the manifest ${total}`);
  if (found.rows.length !== m.groups.length) problems.push(`the table has ${found.rows.length} groups, the manifest ${m.groups.length}`);
  m.groups.forEach((g, i) => {
    const r = found.rows[i];
    if (!r) return;
    const points = Object.values(g.tests).reduce((a, b) => a + b, 0);
    if (!sameName(r.name, g.name)) problems.push(`row ${i + 1} is "${r.name}", the manifest's group ${i + 1} is "${g.name}"`);
    else if (r.points !== points) problems.push(`"${r.name}" has ${r.points} points in the table, ${points} in the manifest`);
  });
  return problems;
}

/** The first table under a heading about marking: each row's group name and points. */
export function markingTable(text: string): { total?: number; rows: { name: string; points: number }[] } | string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#{2,3} .*\bmark(ed|ing)\b/i.test(l));
  if (start < 0) return 'no "How it is marked" section';
  const level = /^#+/.exec(lines[start]!)![0].length;
  const total = /\((\d+(?:\.\d+)?) points?\)/.exec(lines[start]!)?.[1];
  const section: string[] = [];
  for (const l of lines.slice(start + 1)) {
    const h = /^(#+) /.exec(l);
    if (h && h[1]!.length <= level) break;
    section.push(l);
  }
  const table = section.filter((l) => l.trim().startsWith('|'));
  if (table.length < 3) return 'no marking table in the "How it is marked" section';
  const cells = (l: string) =>
    l
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim());
  const header = cells(table[0]!).map((c) => c.toLowerCase());
  const pointsCol = header.findIndex((c) => /points/.test(c));
  if (pointsCol < 0) return 'the marking table has no "points" column';
  const rows = table.slice(2).map((l) => {
    const c = cells(l);
    return {
      name: c[0]!
        .replace(/\*+/g, '')
        .replace(/\s*\(.*?\)\s*$/, '')
        .trim(),
      points: Number(c[pointsCol]!.replace(/\*+/g, '')),
    };
  });
  return { total: total === undefined ? undefined : Number(total), rows };
}

/** A table row names a group by its name, or by the part before a colon ("Safety" for "Safety: …"). */
function sameName(row: string, group: string): boolean {
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
  return norm(row) === norm(group) || norm(group.split(':')[0]!) === norm(row);
}

// ---- Mutants apply and are self-contained submissions -----------------------------------------------

/**
 * Each mutant's patch applies to the solution (strictly: grader/mutants.ts), changes only
 * files the manifest names, and each file it changes imports only what a student's file may:
 * '#runtime', 'zod', '#exercises/<id>/<a top-level file>', or another file of the submission,
 * by a literal path. Nothing else lies in mutants/ (a patch of no listed mutant, a leftover copy).
 */
export function containmentRows(m: Manifest, dir = exerciseDir(m.id), root = kitRoot): SelftestRow[] {
  const rows: SelftestRow[] = [];
  const kitFiles = new Set(
    readdirSync(dir)
      .filter((f) => /\.ts$/.test(f) && statSync(join(dir, f)).isFile())
      .map((f) => f.replace(/\.ts$/, '')),
  );
  for (const mutant of m.mutants) {
    const problems: string[] = [];
    let files = new Map<string, string>();
    try {
      files = mutantFiles(m.id, mutant.id, root);
    } catch (e) {
      if (!(e instanceof MutantPatchError)) throw e;
      problems.push(e.message);
    }
    for (const [target, text] of files) {
      if (!m.files.includes(target)) problems.push(`its patch changes ${target}, which is not a file of the exercise`);
      for (const spec of importsOf(text)) {
        if (spec === null) problems.push(`its ${target} has an import() whose path is not a literal`);
        else if (!allowedImport(spec, target, m, kitFiles)) problems.push(`its ${target} imports "${spec}"`);
      }
    }
    rows.push({
      exercise: m.id,
      submission: `mutant ${mutant.id}`,
      expect: 'patch applies, self-contained',
      got: problems.join('; ') || `applies to ${[...files.keys()].join(', ')}; imports only #runtime, zod, the exercise and its own files`,
      ok: problems.length === 0,
    });
  }
  const listed = new Set(m.mutants.map((mu) => mu.id));
  const found = patchesIn(dir);
  const stray = [...found.stray, ...found.ids.filter((id) => !listed.has(id)).map((id) => `mutants/${id}.patch`)];
  if (stray.length > 0)
    rows.push({ exercise: m.id, submission: 'mutants/', expect: 'only the patches of listed mutants', got: `also ${stray.join(', ')}`, ok: false });
  return rows;
}

/** Module specifiers a file imports or re-exports (null for an import() of a non-literal). */
export function importsOf(text: string): (string | null)[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: (string | null)[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\b[^'"`;()]*?\bfrom\s*(['"])([^'"]+)\1/g)) out.push(m[2]!);
  for (const m of code.matchAll(/\bimport\s*(['"])([^'"]+)\1/g)) out.push(m[2]!);
  for (const m of code.matchAll(/\bimport\s*\(\s*([^)]*)\)/g)) {
    const lit = /^(['"])([^'"]+)\1$/.exec(m[1]!.trim());
    out.push(lit ? lit[2]! : null);
  }
  return out;
}

/** May `file` of a submission of `m` import `spec`? `kitFiles`: the exercise's top-level files, without .ts. */
export function allowedImport(spec: string, file: string, m: Manifest, kitFiles: ReadonlySet<string>): boolean {
  if (spec === '#runtime' || spec === 'zod') return true;
  const ex = /^#exercises\/([^/]+)\/([^/]+?)(\.ts)?$/.exec(spec);
  if (ex) return ex[1] === m.id && kitFiles.has(ex[2]!);
  if (spec.startsWith('./') || spec.startsWith('../')) {
    const target = normalize(join(dirname(file), spec));
    return m.files.includes(target) || m.files.includes(`${target}.ts`);
  }
  return false;
}

// ---- Exploring seeds ---------------------------------------------------------------------------------

/**
 * Runs every submission under the manifest's seeds and `n` more (the first positive integers
 * that are not manifest seeds), one vitest run per seed over all submissions, `jobs` at once.
 */
async function explore(
  m: Manifest,
  subs: Map<string, string>,
  work: string,
  n: number,
  options: SelftestOptions,
): Promise<{ outcomes: Outcomes; summary: ExploreReport }> {
  const started = Date.now();
  const extra: number[] = [];
  for (let s = 1; extra.length < n; s++) if (!m.seeds.includes(s)) extra.push(s);
  const seeds = [...m.seeds, ...extra];

  // Bundle each submission once (what the kernel loads).
  const planned: RunPlan['submissions'][number][] = [];
  for (const [id, dir] of subs) {
    const prepared = await prepareBundle(join(dir, m.entry), dir, join(work, 'bundles', id));
    planned.push(prepared.ok ? { id, bundle: prepared.bundle } : { id, error: `does not compile: ${prepared.errors[0]?.message ?? ''}` });
  }
  const outcomes: Outcomes = new Map([...subs.keys()].map((id) => [id, { tests: new Map<string, TestRun>() }]));
  for (const p of planned) if (p.error) outcomes.get(p.id)!.error = p.error;

  const record = (seed: number, collected: Collected) => {
    for (const t of collected.tests) {
      const o: PropertyOutcome | undefined = t.outcome;
      if (!o || o.exercise !== m.id) continue;
      const runs = outcomes.get(o.submission)?.tests;
      if (!runs) continue;
      const prev = runs.get(o.test) ?? { run: [], failed: [] };
      const failed = o.error !== undefined || o.seeds.failed.includes(seed) || o.failure !== undefined;
      runs.set(o.test, { run: [...prev.run, seed], failed: failed ? [...prev.failed, seed] : prev.failed, error: prev.error ?? o.error });
    }
    if (collected.errors.length > 0 && collected.tests.length === 0)
      throw new Error(`selftest --explore: the run under seed ${seed} failed: ${collected.errors.join('\n')}`);
  };

  const queue = [...seeds];
  const slots = Math.max(1, options.jobs ?? availableParallelism());
  options.progress?.start(seeds.length, `explore ${m.id}`);
  await Promise.all(
    Array.from({ length: slots }, async () => {
      const slot = new Slot(work);
      try {
        for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
          record(seed, await runSeed(m, planned, slot, seed));
          options.progress?.tick(`seed ${seed}`);
        }
      } finally {
        slot.stop();
      }
    }),
  );
  options.progress?.done();

  const seconds = Math.round((Date.now() - started) / 100) / 10;
  const sol = outcomes.get('solution')!;
  const solutionFailures = [...sol.tests].filter(([, r]) => r.failed.length > 0).map(([test, r]) => ({ test, seeds: r.failed }));
  const mutants: ExploredMutant[] = m.mutants.map((mu) => {
    const tests = outcomes.get(`mutant-${mu.id}`)?.tests ?? new Map<string, TestRun>();
    const kills: Record<string, number[]> = {};
    for (const [t, r] of tests) if (r.failed.length > 0) kills[t] = r.failed;
    const everyManifestSeed = Object.keys(kills).filter((t) => m.seeds.every((s) => kills[t]!.includes(s)));
    return { id: mu.id, test: mu.test, kills, everyManifestSeed };
  });
  const summary: ExploreReport = { exercise: m.id, manifestSeeds: m.seeds, extraSeeds: extra, seconds, solutionFailures, mutants, markdown: '' };
  return { outcomes, summary: { ...summary, markdown: footer(m, summary, seeds.length) } };
}

/** One grading job of the exercise's tests over every submission, under one seed (worker-thread kernels: the kit's own code). */
async function runSeed(m: Manifest, submissions: RunPlan['submissions'], slot: Slot, seed: number): Promise<Collected> {
  const plan: GradingPlan = { exercise: m.id, kernel: 'thread', submissions: submissions.filter((s) => s.bundle), seeds: [seed], stopAfter: 0 };
  return slot.run(plan, testFiles(m.id), Math.max(600_000, plan.submissions.length * m.budgets.testMs * 4));
}

/** The README footer: how well the tests catch the shipped mutants, over how many seeds. */
function footer(m: Manifest, r: ExploreReport, total: number): string {
  const rate = (seeds: number[] | undefined) => `${seeds?.length ?? 0}/${total}`;
  const lines = [
    `Measured with \`npx grader selftest --explore ${r.extraSeeds.length} --exercise ${m.id}\`: the reference solution and every`,
    `known-bad variant under the ${m.seeds.length} grading seeds (${m.seeds.join(', ')}) and ${r.extraSeeds.length} more (${r.extraSeeds.length > 0 ? `${r.extraSeeds[0]}–${r.extraSeeds[r.extraSeeds.length - 1]}, skipping grading seeds` : 'none'}); ${r.seconds} s on 2 cores.`,
    `The reference solution ${r.solutionFailures.length === 0 ? `passed every test under all ${total} seeds` : `FAILED ${r.solutionFailures.map((f) => `${f.test} (seeds ${f.seeds.join(', ')})`).join('; ')}`}.`,
    '',
    '| variant | the test meant for it | caught on | other tests that catch it on every grading seed |',
    '| --- | --- | ---: | --- |',
    ...r.mutants.map((mu) => `| ${mu.id} | ${mu.test} | ${rate(mu.kills[mu.test])} | ${mu.everyManifestSeed.filter((t) => t !== mu.test).join(', ') || '—'} |`),
  ];
  return lines.join('\n');
}

// ---- Output --------------------------------------------------------------------------------------------

/** Explore figures as text: per mutant, each test that caught it and on how many seeds. */
export function exploreText(r: ExploreReport): string {
  const total = r.manifestSeeds.length + r.extraSeeds.length;
  const lines = [`${r.exercise}: ${r.manifestSeeds.length} grading seeds + ${r.extraSeeds.length} more, ${r.seconds} s`];
  lines.push(
    r.solutionFailures.length === 0
      ? `  solution: passed every test under all ${total} seeds`
      : `  solution FAILED: ${r.solutionFailures.map((f) => `${f.test} on seeds ${f.seeds.join(', ')}`).join('; ')}`,
  );
  for (const mu of r.mutants) {
    const meant = mu.kills[mu.test] ?? [];
    const missed = [...r.manifestSeeds, ...r.extraSeeds].filter((s) => !meant.includes(s));
    lines.push(
      `  mutant ${mu.id}: ${mu.test} caught it on ${meant.length}/${total}${missed.length > 0 ? ` (missed seeds ${missed.slice(0, 12).join(', ')}${missed.length > 12 ? ', …' : ''})` : ''}`,
    );
    const others = Object.entries(mu.kills)
      .filter(([t]) => t !== mu.test)
      .sort((a, b) => b[1].length - a[1].length);
    for (const [t, seeds] of others)
      lines.push(`      ${t.padEnd(34)} ${`${seeds.length}/${total}`.padStart(8)}${mu.everyManifestSeed.includes(t) ? '  every grading seed' : ''}`);
  }
  return lines.join('\n');
}

function table(rows: readonly SelftestRow[]): string {
  const header = ['', 'exercise', 'submission', 'expected', 'got'];
  const cells = rows.map((r) => [r.ok ? (r.warn ? '!' : '✓') : '✗', r.exercise, r.submission, r.expect, r.got]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => Math.min(60, c[i]!.length))));
  const line = (c: string[]) =>
    c
      .map((x, i) => x.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
