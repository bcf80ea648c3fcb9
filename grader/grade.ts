// Grading a class: the life of a submission.
//   discover → intake (only the manifest's files) → cached? (same submission hash and kit
//   version: reuse) → prepare (type-check, bundle) → run the exercise's public and hidden
//   tests in a vitest job over a chunk of submissions (their code in sandboxed kernels) →
//   score → write the student's files → class dashboard.
// A bad submission becomes a note or a status in its own report; the batch always goes on.
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exerciseDir, listExercises, loadManifest, type Manifest } from '../exercises/manifest.ts';
import type { PlannedSubmission, PropertyOutcome } from '../kernels/harness/property.ts';
import { UserError } from './errors.ts';
import { discoverDetailed, type IntakeResult, type SubmissionSource } from './intake/index.ts';
import { kitVersion } from './kit.ts';
import { readStudent, writeClass, writeStudent } from './outputs.ts';
import { prepareSubmission, takeSubmission, wantedFiles, type PreparedSubmission } from './prepare/prepare.ts';
import { progress as makeProgress, type Progress } from './progress.ts';
import { studentDir } from './report/classroom.ts';
import { Redactor } from './redact.ts';
import { SandboxLevel, type ExerciseResult, type ManualItem, type Result } from './result.ts';
import { runJob } from './run/vitest-job.ts';
import { applyStoredMarks } from './marks/marks.ts';
import { saveProgressLog } from './progress-log/store.ts';
import { kernelChildScript } from '../kernels/process/build.ts';
import { scoreExercise } from './score.ts';
import { readdirSync } from 'node:fs';

export interface GradeOptions {
  readonly paths: readonly string[];
  readonly out: string;
  /** Exercise ids to grade (default: every exercise in the kit). */
  readonly exercises?: readonly string[];
  /** Parallel grading jobs (default: the number of cores). */
  readonly jobs?: number;
  /** Regrade even when a result for the same submission and kit version exists. */
  readonly force?: boolean;
  /** Grade only every n-th submission (0-based index i of n), for runs across machines. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Submissions per vitest job (default: the class split evenly over the jobs, at most 8). */
  readonly chunk?: number;
  /** 'fallback' forces the weaker sandbox (tests, hosts where bwrap misbehaves). */
  readonly prefer?: 'auto' | 'fallback';
  readonly progress?: Progress;
}

export interface GradeSummary {
  readonly results: Result[];
  readonly graded: number;
  readonly cached: number;
  readonly skipped: { path: string; reason: string }[];
  readonly index: string;
}

interface Pending {
  readonly source: SubmissionSource;
  readonly taken: IntakeResult;
  prepared?: PreparedSubmission;
  readonly outcomes: Map<string, Map<string, PropertyOutcome>>;
  readonly jobErrors: Map<string, string>;
  remaining: number;
  readonly started: number;
}

export async function gradeClass(options: GradeOptions): Promise<GradeSummary> {
  const out = resolve(options.out);
  const progress = options.progress ?? makeProgress(process.stderr, true);
  const manifests = selectManifests(options.exercises);
  const version = kitVersion();
  const redactor = new Redactor();
  for (const m of manifests) redactor.addHiddenTests(join(exerciseDir(m.id), 'tests', 'hidden'));

  const found = await discoverDetailed([...options.paths], wantedFiles(manifests)).catch((err: Error) => {
    throw new UserError(err.message.replace(/^discover: /, ''));
  });
  let sources = found.sources;
  if (options.shard) sources = sources.filter((_s, i) => i % options.shard!.count === options.shard!.index);
  await mkdir(out, { recursive: true });
  // Bundles live in a world-readable temp folder: the sandbox's own uid must read them,
  // wherever --out is (a home folder may be closed to other users).
  const work = await mkdtemp(join(tmpdir(), 'mp-grade-'));
  await chmod(work, 0o755);

  // Intake and the cache check.
  const pending: Pending[] = [];
  const results: Result[] = [];
  let cached = 0;
  progress.start(sources.length, 'intake');
  for (const source of sources) {
    const taken = await takeSubmission(source, manifests);
    await saveProgressLog(out, source.student, taken.files['progress.jsonl']);
    const previous = options.force ? undefined : await readStudent(out, source.student);
    if (previous && previous.submission.hash === taken.hash && previous.kit.version === version && sameExercises(previous, manifests)) {
      results.push(previous);
      cached++;
      progress.tick(`${source.student} (already graded)`);
      continue;
    }
    pending.push({ source, taken, outcomes: new Map(), jobErrors: new Map(), remaining: 0, started: Date.now() });
    progress.tick(source.student);
  }
  progress.done();

  // Prepare (type-check, bundle) and grade overlap: a job starts as soon as its chunk of
  // submissions is prepared. One vitest run per (exercise, chunk), `jobs` at a time. Fewer,
  // larger chunks pay vitest's start-up less often; at most 8 submissions a chunk keeps
  // progress visible and a killed run cheap to resume.
  const slots = Math.max(1, options.jobs ?? availableParallelism());
  const chunk = options.chunk ?? Math.min(8, Math.max(1, Math.ceil(pending.length / slots)));
  const kernelScript = pending.length > 0 ? await kernelChildScript() : undefined;
  const queue: { manifest: Manifest; members: Pending[] }[] = [];
  const filling = new Map<string, Pending[]>(manifests.map((m) => [m.id, []]));
  let preparing = true;
  const idle: (() => void)[] = [];
  const wakeAll = () => {
    for (const resume of idle.splice(0)) resume();
  };
  const enqueue = (manifest: Manifest, members: Pending[]) => {
    queue.push({ manifest, members });
    wakeAll();
  };
  const finish = async (p: Pending): Promise<void> => {
    const result = await applyStoredMarks(out, assemble(p, manifests, version, redactor));
    await writeStudent(out, result);
    results.push(result);
    progress.tick(`${p.source.student}: ${result.total.score}/${result.total.max}`);
  };

  const worker = async (slot: number): Promise<void> => {
    for (;;) {
      const job = queue.shift();
      if (job === undefined) {
        if (!preparing) return;
        await new Promise<void>((resolve) => idle.push(resolve));
        continue;
      }
      const plan = {
        exercise: job.manifest.id,
        kernel: 'process' as const,
        // RLIMIT_NPROC counts per uid, machine-wide: each job (and each grader run) gets its own uids.
        uidBase: 60000 + (process.pid % 250) * 40 + slot * 5,
        prefer: options.prefer,
        kernelScript,
        submissions: job.members.map((p): PlannedSubmission => ({ id: p.source.student, bundle: p.prepared!.exercises[job.manifest.id]!.bundle })),
      };
      const files = testFiles(job.manifest.id);
      const testCount = job.manifest.groups.reduce((n, g) => n + Object.keys(g.tests).length, 0);
      const collected = await runJob({ plan, files, timeoutMs: Math.max(300_000, job.members.length * testCount * job.manifest.budgets.testMs) });
      for (const p of job.members) {
        const mine = new Map<string, PropertyOutcome>();
        for (const t of collected.tests) {
          if (t.outcome && t.outcome.submission === p.source.student && t.outcome.exercise === job.manifest.id) mine.set(t.outcome.test, t.outcome);
        }
        p.outcomes.set(job.manifest.id, mine);
        if (collected.errors.length > 0 && mine.size === 0) p.jobErrors.set(job.manifest.id, collected.errors[0]!);
        if (--p.remaining === 0) await finish(p);
      }
    }
  };

  progress.start(pending.length, 'grade');
  const workers = Array.from({ length: slots }, (_v, i) => worker(i));
  for (const p of pending) {
    p.prepared = await prepareSubmission(p.source, p.taken, manifests, join(work, studentDir(p.source.student)));
    const ready = manifests.filter((m) => p.prepared!.exercises[m.id]!.status === 'ready');
    p.remaining = ready.length;
    if (ready.length === 0) await finish(p);
    for (const m of ready) {
      const members = filling.get(m.id)!;
      members.push(p);
      if (members.length >= chunk) {
        enqueue(m, members.splice(0));
      }
    }
  }
  for (const m of manifests) {
    const rest = filling.get(m.id)!;
    if (rest.length > 0) enqueue(m, rest.splice(0));
  }
  preparing = false;
  wakeAll(); // idle workers see that nothing more will come
  await Promise.all(workers);
  progress.done();
  await rm(work, { recursive: true, force: true });

  // Every source of this run is in `results` by now, cached or graded: the class view is this run's.
  const index = await writeClass(out, results);
  return { results: results.sort((a, b) => a.student.localeCompare(b.student)), graded: pending.length, cached, skipped: found.skipped, index };
}

/** Scores every exercise of one submission and puts the result together. */
function assemble(p: Pending, manifests: readonly Manifest[], version: string, redactor: Redactor): Result {
  const exercises: ExerciseResult[] = manifests.map((m) =>
    scoreExercise(m, p.prepared!.exercises[m.id]!, p.outcomes.get(m.id) ?? new Map(), redactor, p.jobErrors.get(m.id)));
  const manual: ManualItem[] = manifests.flatMap((m) => m.manual.map((item) => ({
    id: `${m.id}.${item.id}`, exercise: m.id, title: item.title, max: item.points, status: 'awaiting' as const,
  })));
  const outcomes = [...p.outcomes.values()].flatMap((m) => [...m.values()]);
  const sandbox = outcomes.find((o) => o.sandbox)?.sandbox;
  const warnings: string[] = [];
  if (sandbox && sandbox.level !== 'bwrap') warnings.push(`This submission ran with weaker isolation: ${sandbox.description}`);
  for (const o of outcomes) {
    if (o.kernelFailure) warnings.push(`A test of ${o.exercise} ("${o.name}") stopped the kernel: ${redactor.text(o.failure?.observed ?? o.error ?? 'the kernel stopped')}`);
  }
  const score = exercises.reduce((a, e) => a + e.score, 0);
  const max = exercises.reduce((a, e) => a + e.max, 0) + manual.reduce((a, i) => a + i.max, 0);
  return {
    student: p.source.student,
    kit: { version },
    submission: { hash: p.taken.hash },
    gradedAt: new Date().toISOString(),
    durationMs: Date.now() - p.started,
    total: { score, max, awaiting: manual.reduce((a, i) => a + i.max, 0) },
    exercises,
    manual,
    sandbox: sandbox
      ? { level: SandboxLevel.parse(sandbox.level), description: sandbox.description }
      : { level: 'bwrap', description: 'no code was run for this submission' },
    warnings,
    notes: p.taken.notes.map((n) => redactor.text(n)),
  };
}

function selectManifests(ids: readonly string[] | undefined): Manifest[] {
  const all = listExercises();
  const chosen = ids && ids.length > 0 ? [...ids] : all;
  for (const id of chosen) {
    if (!all.includes(id)) throw new UserError(`no exercise "${id}" in this kit (there are: ${all.join(', ')})`);
  }
  return chosen.map((id) => loadManifest(exerciseDir(id)));
}

function sameExercises(r: Result, manifests: readonly Manifest[]): boolean {
  return r.exercises.map((e) => e.id).join(',') === manifests.map((m) => m.id).join(',');
}

function testFiles(exercise: string): string[] {
  const dir = join(exerciseDir(exercise), 'tests');
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f));
}
