// Grading a class: the life of a submission.
//   discover → intake (only the manifest's files, in memory) → cached? (same submission hash
//   and kit version: reuse, reports rendered again) → the grading pipeline (run/pipeline.ts:
//   bundle, then the exercise's public and hidden tests in a grading slot, each submission's
//   code in sandboxed kernels under a uid of its own, the type check beside them) → score →
//   the student's files → the class dashboard.
// A bad submission becomes a note or a status in its own report; the batch always goes on.
// A failure of the machinery (a kernel that cannot start, a crashed test run) is a grading
// error: the mark is withheld, never recorded as 0. The reference solutions are graded in the
// same run, first (the canary): no student's result is written before they get full marks,
// and if they do not, nothing is.
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { exerciseDir, listExercises, loadManifest, type Manifest } from '../kernels/harness/manifest.ts';
import type { PropertyOutcome } from '../kernels/harness/property.ts';
import { kernelChildScript } from '../kernels/process/build.ts';
import { nodeFor } from '../kernels/process/node-binary.ts';
import { privateDir, removePrivateDir } from '../kernels/process/private-dir.ts';
import { detectSandbox, fallbackNetworkPrefix } from '../kernels/process/sandbox.ts';
import { UserError } from './errors.ts';
import { discoverDetailed, type IntakeResult, type SubmissionSource } from './intake/index.ts';
import { kitRoot, kitVersion } from './kit.ts';
import { lockFolder } from './lock.ts';
import { applyStoredMarks, readLedger } from './marks/marks.ts';
import { readStudent, writeClass, writeStudent, type ClassRun } from './outputs.ts';
import { PreparePool } from './prepare/pool.ts';
import { takeSubmission, wantedFiles } from './prepare/prepare.ts';
import { progress as makeProgress, type Progress } from './progress.ts';
import { saveProgressLog } from './progress-log/store.ts';
import { Redactor } from './redact.ts';
import { isWithheld, SandboxLevel, type ExerciseResult, type Result } from './result.ts';
import { Pipeline, type Candidate, type Graded } from './run/pipeline.ts';
import { awaitingManual, scoreExercise } from './score.ts';
import { SHARD_FILE, type ShardRecord } from './shard.ts';

export interface GradeOptions {
  readonly paths: readonly string[];
  readonly out: string;
  /** Exercise ids to grade (default: the exercises whose files the submissions hold). */
  readonly exercises?: readonly string[];
  /** Grading slots: test runs at once (default: the number of cores). */
  readonly jobs?: number;
  /** Regrade even when a result for the same submission and kit version exists. */
  readonly force?: boolean;
  /** Grade only every n-th submission (0-based index i of n), for runs across machines. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** At most this many submissions in one test run (default 4; 1: one at a time). */
  readonly chunk?: number;
  /** 'fallback' forces the weaker sandbox (tests, hosts where bwrap misbehaves). */
  readonly prefer?: 'auto' | 'fallback';
  /** Grade the reference solutions first and stop unless they get full marks (default true). */
  readonly canary?: boolean;
  /** Grade even at a sandbox level that leaves the network open (default false: refuse). */
  readonly allowWeakSandbox?: boolean;
  /**
   * Where submissions run: 'process' (default), each in a sandboxed process; 'thread', in a
   * worker thread of the test run, with the same watchdog but no sandbox. Only for the kit's
   * own code (selftest grades solutions and mutants this way, at about half the CPU).
   */
  readonly kernel?: 'process' | 'thread';
  /** Budgets of one bundle or type check (tests make them small). */
  readonly prepare?: { readonly cpuMs?: number; readonly memoryMB?: number };
  readonly progress?: Progress;
}

/** Which exercises were graded, and whether the lecturer named them or the submissions did. */
export interface ExerciseChoice {
  readonly ids: string[];
  /** True when no --exercise was given: the exercises are those whose files the submissions hold. */
  readonly inferred: boolean;
  /** Per exercise of the kit: how many submissions hold at least one of its files (when inferred). */
  readonly found: Record<string, number>;
  readonly submissions: number;
}

export interface GradeSummary {
  readonly results: Result[];
  readonly graded: number;
  readonly cached: number;
  /** Entries of class folders that were not taken (not a submission, or a second one for a student). */
  readonly skipped: { path: string; reason: string }[];
  readonly index: string;
  /** Students whose marks are withheld because the grading machinery failed for them. */
  readonly gradingErrors: string[];
  readonly exercises: ExerciseChoice;
}

/** Any uid but ours: what decides whether the sandbox uids can reach the running node. */
const SOME_OTHER_UID = 65534;

/** The reference solution did not get full marks: nobody is graded. */
export class CanaryError extends UserError {
  override name = 'CanaryError';
}

export async function gradeClass(options: GradeOptions): Promise<GradeSummary> {
  const out = resolve(options.out);
  const unlock = lockFolder(out, 'grade');
  try {
    return await gradeLocked(out, options);
  } finally {
    unlock();
  }
}

async function gradeLocked(out: string, options: GradeOptions): Promise<GradeSummary> {
  const progress = options.progress ?? makeProgress(process.stderr, true);
  await readLedger(out); // a damaged marks.json stops the run before anything is written
  const version = kitVersion();
  await checkSandbox(options);

  const named = options.exercises && options.exercises.length > 0 ? selectManifests(options.exercises) : undefined;
  const everything = named ?? selectManifests(listExercises());
  const found = await discoverDetailed([...options.paths], wantedFiles(everything)).catch((err: Error) => {
    throw new UserError(err.message.replace(/^discover: /, ''));
  });
  // Inferred from the whole class, before sharding: every shard grades the same exercises.
  const choice = named ? chosen(named, found.sources.length) : await inferExercises(found.sources, everything);
  const manifests = named ?? everything.filter((m) => choice.ids.includes(m.id));
  const redactor = new Redactor();
  for (const m of manifests) redactor.addHiddenTests(join(exerciseDir(m.id), 'tests', 'hidden'));

  let sources = found.sources;
  if (options.shard) {
    const { index, count } = options.shard;
    sources = sources.filter((_s, i) => i % count === index);
    const record: ShardRecord = {
      index: index + 1,
      count,
      classSize: found.sources.length,
      students: sources.map((s) => s.student),
      exercises: choice.ids,
      kitVersion: version,
    };
    await writeFile(join(out, SHARD_FILE), `${JSON.stringify(record, null, 2)}\n`);
  }

  // Intake and the cache check.
  const pending: Candidate[] = [];
  const results: Result[] = [];
  let cached = 0;
  progress.start(sources.length, 'intake');
  for (const source of sources) {
    const taken = await takeSubmission(source, manifests);
    await saveProgressLog(out, source.student, taken.files['progress.jsonl']);
    const previous = options.force ? undefined : await readStudent(out, source.student);
    if (
      previous &&
      previous.submission.hash === taken.hash &&
      previous.kit.version === version &&
      sameExercises(previous, manifests) &&
      !isWithheld(previous)
    ) {
      // The marks stand; what is around them (duplicates found now, hand marks, the report's look) is this run's.
      const result = await applyStoredMarks(out, withDuplicates(previous, source));
      await writeStudent(out, result);
      results.push(result);
      cached++;
      progress.tick(`${source.student} (already graded)`);
      continue;
    }
    pending.push({ source, taken });
    progress.tick(source.student);
  }
  progress.done();

  if (pending.length > 0) {
    await gradeCandidates(options, manifests, pending, progress, async (candidate, graded) => {
      const result = await applyStoredMarks(out, assemble(candidate, graded, manifests, version, redactor));
      await writeStudent(out, result);
      results.push(result);
      return result;
    });
  }

  // Every source of this run is in `results` by now, cached or graded: the class view is this run's.
  const run: ClassRun = {
    exercises: { ids: choice.ids, inferred: choice.inferred },
    skipped: found.skipped.map((s) => ({ entry: basename(s.path), reason: s.reason })),
  };
  const index = await writeClass(out, results, run);
  return {
    results: results.sort((a, b) => a.student.localeCompare(b.student)),
    graded: pending.length,
    cached,
    skipped: found.skipped,
    index,
    gradingErrors: results
      .filter(isWithheld)
      .map((r) => r.student)
      .sort(),
    exercises: choice,
  };
}

/**
 * Runs the pipeline over `pending` with the canary first: `finish` is called for each
 * student once the canary has passed (a student done earlier waits), never if it fails.
 */
async function gradeCandidates(
  options: GradeOptions,
  manifests: readonly Manifest[],
  pending: readonly Candidate[],
  progress: Progress,
  finish: (c: Candidate, g: Graded) => Promise<Result>,
): Promise<void> {
  const slots = Math.max(1, options.jobs ?? availableParallelism());
  // Bundles and slot folders live in a private folder of this run (0711: each student's
  // kernels reach only their own workspace, 0700 and theirs); removed however the run ends.
  const dir = privateDir('mp-grade-', 0o711);
  const pool = new PreparePool({ workers: slots, ...options.prepare });
  let pipeline: Pipeline | undefined;
  try {
    const testing = new Set<string>();
    pipeline = new Pipeline({
      manifests,
      slots,
      dir,
      pool,
      kernelScript: kernelChildScript(),
      node: nodeFor(SOME_OTHER_UID),
      prefer: options.prefer,
      kernel: options.kernel,
      maxChunk: options.chunk,
      onTesting: (ids, on) => {
        for (const id of ids) on ? testing.add(id) : testing.delete(id);
        progress.working?.([...testing].filter((s) => !s.startsWith('canary-')));
      },
    });
    const gate =
      options.canary === false
        ? Promise.resolve()
        : canary(pipeline, manifests, progress).then((r) => {
            if (r.failures.length > 0) {
              throw new CanaryError(
                `stopped before grading anyone: the reference solution did not get full marks on this machine, so no mark would be right. ` +
                  `${r.failures.join(' | ')}. Run "npx grader doctor" to check the sandbox, or --no-canary to grade anyone anyway.`,
              );
            }
          });
    gate.catch(() => void pipeline?.close());
    progress.start(pending.length, 'grade');
    await Promise.all([
      gate,
      ...pending.map(async (candidate) => {
        const graded = await pipeline!.grade(candidate);
        await gate; // nothing is written before the canary passes
        const result = await finish(candidate, graded);
        progress.tick(`${candidate.source.student}: ${isWithheld(result) ? 'grading error' : `${result.total.score}/${result.total.max}`}`);
      }),
    ]);
    progress.done();
  } finally {
    await pipeline?.close();
    await pool.close();
    removePrivateDir(dir);
  }
}

/**
 * A class is graded only in a sandbox that closes the network, unless the lecturer says
 * otherwise: the fallback level without a network namespace lets student code reach the
 * network, which a lecturer should not find out from a footnote.
 */
async function checkSandbox(options: Pick<GradeOptions, 'prefer' | 'allowWeakSandbox'>): Promise<void> {
  const detected = await detectSandbox();
  const level = options.prefer === 'fallback' || process.env.KERNEL_SANDBOX === 'fallback' ? 'fallback' : detected.level;
  if (level === 'bwrap' || options.allowWeakSandbox) return;
  if ((await fallbackNetworkPrefix()) !== null) return;
  throw new UserError(
    `the sandbox here cannot keep student code off the network (bubblewrap: ${detected.reason}; no network namespace either). ` +
      'Install bubblewrap (apt-get install -y bubblewrap), run "npx grader doctor" to see why it is not used, ' +
      'or pass --allow-weak-sandbox to grade anyway with the network open.',
  );
}

/** What the canary found: one line per exercise whose solution lost marks, and how long it took. */
export interface CanaryReport {
  readonly failures: string[];
  /** Wall-clock seconds for the whole canary (every exercise's solution, in parallel). */
  readonly seconds: number;
  readonly exercises: string[];
}

/** Grades the reference solutions alone, as `grade` does before a class (for `grader doctor`). */
export async function runCanary(options: Pick<GradeOptions, 'exercises' | 'jobs' | 'prefer' | 'progress'> = {}): Promise<CanaryReport> {
  const manifests = selectManifests(options.exercises && options.exercises.length > 0 ? options.exercises : listExercises());
  const slots = Math.max(1, options.jobs ?? availableParallelism());
  const dir = privateDir('mp-canary-', 0o711);
  const pool = new PreparePool({ workers: slots });
  const pipeline = new Pipeline({ manifests, slots, dir, pool, kernelScript: kernelChildScript(), node: nodeFor(SOME_OTHER_UID), prefer: options.prefer });
  try {
    return await canary(pipeline, manifests, options.progress ?? makeProgress(process.stderr, true));
  } finally {
    await pipeline.close();
    await pool.close();
    removePrivateDir(dir);
  }
}

/**
 * Grades the reference solution of every exercise, exactly as a student is graded (first in
 * every queue). A kit or a machine that cannot give it full marks would give everyone wrong
 * marks.
 */
async function canary(pipeline: Pipeline, manifests: readonly Manifest[], progress: Progress): Promise<CanaryReport> {
  const started = Date.now();
  const failures: string[] = [];
  await Promise.all(
    manifests.map(async (m) => {
      const source: SubmissionSource = { student: `canary-${m.id}`, path: join(kitRoot, 'solutions', m.id), kind: 'folder' };
      const graded = await pipeline.grade({ source, taken: await takeSubmission(source, manifests), canary: true });
      const e = scoreExercise(
        m,
        graded.prepared[m.id]!,
        graded.outcomes.get(m.id) ?? new Map<string, PropertyOutcome>(),
        new Redactor(),
        graded.jobErrors.get(m.id),
        graded.stopped.get(m.id),
      );
      if (e.status !== 'graded' || e.score < e.max) {
        const why =
          e.status !== 'graded'
            ? `${e.status}: ${e.reason ?? ''}`
            : e.tests
                .filter((t) => t.status !== 'passed')
                .map((t) => `${t.id}: ${t.message ?? t.failure?.observed ?? t.status}`)
                .join('; ');
        failures.push(`${m.id} (${e.score}/${e.max}): ${why.split('\n')[0]}`);
      }
    }),
  );
  if (manifests.length > 0)
    progress.note?.(
      `canary: the reference solution${manifests.length > 1 ? 's' : ''} ${failures.length === 0 ? 'got full marks' : 'LOST MARKS'} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  return { failures, seconds: (Date.now() - started) / 1000, exercises: manifests.map((m) => m.id) };
}

/** Scores every exercise of one submission and puts the result together. */
function assemble(candidate: Candidate, graded: Graded, manifests: readonly Manifest[], version: string, redactor: Redactor): Result {
  const exercises: ExerciseResult[] = manifests.map((m) =>
    scoreExercise(m, graded.prepared[m.id]!, graded.outcomes.get(m.id) ?? new Map(), redactor, graded.jobErrors.get(m.id), graded.stopped.get(m.id)),
  );
  const manual = awaitingManual(manifests);
  const outcomes = [...graded.outcomes.values()].flatMap((m) => [...m.values()]);
  const sandbox = outcomes.find((o) => o.sandbox)?.sandbox;
  const warnings: string[] = [];
  if (sandbox && sandbox.level !== 'bwrap') warnings.push(`This submission ran with weaker isolation: ${sandbox.description}`);
  for (const o of outcomes) {
    if (o.kernelFailure && !o.infrastructure)
      warnings.push(`A test of ${o.exercise} ("${o.name}") stopped the kernel: ${redactor.text(o.failure?.observed ?? o.error ?? 'the kernel stopped')}`);
  }
  const score = exercises.reduce((a, e) => a + e.score, 0);
  const max = exercises.reduce((a, e) => a + e.max, 0) + manual.reduce((a, i) => a + i.max, 0);
  return withDuplicates(
    {
      student: candidate.source.student,
      kit: { version },
      submission: { hash: candidate.taken.hash },
      gradedAt: new Date().toISOString(),
      durationMs: graded.durationMs,
      total: { score, max, awaiting: manual.reduce((a, i) => a + i.max, 0) },
      exercises,
      manual,
      sandbox: sandbox
        ? { level: SandboxLevel.parse(sandbox.level), description: sandbox.description }
        : { level: 'bwrap', description: 'no code was run for this submission' },
      warnings,
      notes: candidate.taken.notes.map((n) => redactor.text(n)),
    },
    candidate.source,
  );
}

/** The result with the duplicates found in this run (a second submission for the same student). */
function withDuplicates(r: Result, source: SubmissionSource): Result {
  const { duplicates: _old, ...rest } = r;
  return source.duplicates && source.duplicates.length > 0 ? { ...rest, duplicates: [...source.duplicates] } : rest;
}

function selectManifests(ids: readonly string[]): Manifest[] {
  const all = listExercises();
  for (const id of ids) {
    if (!all.includes(id)) throw new UserError(`no exercise "${id}" in this kit (there are: ${all.join(', ')})`);
  }
  return [...new Set(ids)].map((id) => loadManifest(exerciseDir(id)));
}

function chosen(manifests: readonly Manifest[], submissions: number): ExerciseChoice {
  return { ids: manifests.map((m) => m.id), inferred: false, found: {}, submissions };
}

/**
 * Without --exercise: the exercises at least one submission holds a file of. A class that
 * holds none of any exercise gets every exercise (each report then says what was expected).
 */
async function inferExercises(sources: readonly SubmissionSource[], all: readonly Manifest[]): Promise<ExerciseChoice> {
  const found: Record<string, number> = Object.fromEntries(all.map((m) => [m.id, 0]));
  for (const source of sources) {
    const taken: IntakeResult = await takeSubmission(source, all);
    for (const m of all) if (m.files.some((f) => f in taken.files)) found[m.id]!++;
  }
  const ids = all.filter((m) => found[m.id]! > 0).map((m) => m.id);
  return { ids: ids.length > 0 ? ids : all.map((m) => m.id), inferred: true, found, submissions: sources.length };
}

function sameExercises(r: Result, manifests: readonly Manifest[]): boolean {
  return r.exercises.map((e) => e.id).join(',') === manifests.map((m) => m.id).join(',');
}
