// Grading a class: the life of a submission.
//   discover → intake (only the manifest's files, in memory) → cached? (same submission hash
//   and kit version: reuse) → prepare (type-check and bundle in bounded workers) → run the
//   exercise's public and hidden tests in a vitest job over a chunk of submissions (each
//   submission's code in sandboxed kernels under a uid of its own) → score → write the
//   student's files → class dashboard.
// A bad submission becomes a note or a status in its own report; the batch always goes on.
// A failure of the machinery (a kernel that cannot start, a crashed test run) is a grading
// error: the mark is withheld, never recorded as 0. Before anyone is graded, the reference
// solution is graded the same way (the canary): if it does not get full marks, nothing else is.
import { chown, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { exerciseDir, listExercises, loadManifest, type Manifest } from '../exercises/manifest.ts';
import type { PlannedSubmission, PropertyOutcome } from '../kernels/harness/property.ts';
import { kernelChildScript } from '../kernels/process/build.ts';
import { nodeFor } from '../kernels/process/node-binary.ts';
import { privateDir, removePrivateDir } from '../kernels/process/private-dir.ts';
import { detectSandbox, fallbackNetworkPrefix } from '../kernels/process/sandbox.ts';
import { leaseUid, type UidLease } from '../kernels/process/uids.ts';
import { UserError } from './errors.ts';
import { discoverDetailed, type IntakeResult, type SubmissionSource } from './intake/index.ts';
import { kitRoot, kitVersion } from './kit.ts';
import { applyStoredMarks } from './marks/marks.ts';
import { readStudent, writeClass, writeStudent } from './outputs.ts';
import { PreparePool } from './prepare/pool.ts';
import { prepareSubmission, takeSubmission, wantedFiles, type PreparedSubmission } from './prepare/prepare.ts';
import { progress as makeProgress, type Progress } from './progress.ts';
import { saveProgressLog } from './progress-log/store.ts';
import { Redactor } from './redact.ts';
import { studentDir } from './report/classroom.ts';
import { isWithheld, SandboxLevel, type ExerciseResult, type ManualItem, type Result } from './result.ts';
import { runJob, testFiles } from './run/vitest-job.ts';
import { scoreExercise } from './score.ts';

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
  /** Grade the reference solutions first and stop unless they get full marks (default true). */
  readonly canary?: boolean;
  /** Grade even at a sandbox level that leaves the network open (default false: refuse). */
  readonly allowWeakSandbox?: boolean;
  /** Budgets of one type check and bundle (tests make them small). */
  readonly prepare?: { readonly cpuMs?: number; readonly memoryMB?: number };
  readonly progress?: Progress;
}

export interface GradeSummary {
  readonly results: Result[];
  readonly graded: number;
  readonly cached: number;
  readonly skipped: { path: string; reason: string }[];
  readonly index: string;
  /** Students whose marks are withheld because the grading machinery failed for them. */
  readonly gradingErrors: string[];
}

/** Any uid but ours: what decides whether the sandbox uids can reach the running node. */
const SOME_OTHER_UID = 65534;

/** The reference solution did not get full marks: nobody is graded. */
export class CanaryError extends UserError {
  override name = 'CanaryError';
}

interface Pending {
  readonly source: SubmissionSource;
  readonly taken: IntakeResult;
  prepared?: PreparedSubmission;
  readonly outcomes: Map<string, Map<string, PropertyOutcome>>;
  readonly jobErrors: Map<string, string>;
  remaining: number;
  readonly started: number;
  lease?: UidLease;
}

/** Everything a grading run shares: settings, the run's private folder, the prepare workers. */
interface Run {
  readonly manifests: readonly Manifest[];
  readonly options: GradeOptions;
  readonly dir: string;
  readonly pool: PreparePool;
  readonly slots: number;
  readonly kernelScript: string;
  /** The node kernels run: the grader's, or a copy the sandbox uids can reach (nvm installs under a closed home). */
  readonly node: string;
}

export async function gradeClass(options: GradeOptions): Promise<GradeSummary> {
  const out = resolve(options.out);
  const progress = options.progress ?? makeProgress(process.stderr, true);
  const manifests = selectManifests(options.exercises);
  const version = kitVersion();
  const redactor = new Redactor();
  for (const m of manifests) redactor.addHiddenTests(join(exerciseDir(m.id), 'tests', 'hidden'));
  await checkSandbox(options);

  const found = await discoverDetailed([...options.paths], wantedFiles(manifests)).catch((err: Error) => {
    throw new UserError(err.message.replace(/^discover: /, ''));
  });
  let sources = found.sources;
  if (options.shard) sources = sources.filter((_s, i) => i % options.shard!.count === options.shard!.index);
  await mkdir(out, { recursive: true });

  // Intake and the cache check.
  const pending: Pending[] = [];
  const results: Result[] = [];
  let cached = 0;
  progress.start(sources.length, 'intake');
  for (const source of sources) {
    const taken = await takeSubmission(source, manifests);
    await saveProgressLog(out, source.student, taken.files['progress.jsonl']);
    const previous = options.force ? undefined : await readStudent(out, source.student);
    if (previous && previous.submission.hash === taken.hash && previous.kit.version === version && sameExercises(previous, manifests) && !isWithheld(previous)) {
      results.push(previous);
      cached++;
      progress.tick(`${source.student} (already graded)`);
      continue;
    }
    pending.push({ source, taken, outcomes: new Map(), jobErrors: new Map(), remaining: 0, started: Date.now() });
    progress.tick(source.student);
  }
  progress.done();

  if (pending.length > 0) {
    const slots = Math.max(1, options.jobs ?? availableParallelism());
    // Bundles and job files live in a private folder of this run (0711: each student's
    // kernels reach only their own workspace, 0700 and theirs); removed however the run ends.
    const dir = privateDir('mp-grade-', 0o711);
    const pool = new PreparePool({ workers: slots, ...options.prepare });
    try {
      const run: Run = { manifests, options, dir, pool, slots, kernelScript: await kernelChildScript(), node: nodeFor(SOME_OTHER_UID) };
      if (options.canary !== false) {
        const { failures } = await canary(run, progress);
        if (failures.length > 0) {
          throw new CanaryError(
            `stopped before grading anyone: the reference solution did not get full marks on this machine, so no mark would be right. ` +
              `${failures.join(' | ')}. Run "npx grader doctor" to check the sandbox, or --no-canary to grade anyway.`,
          );
        }
      }
      progress.start(pending.length, 'grade');
      await gradePending(run, pending, async (p) => {
        const result = await applyStoredMarks(out, assemble(p, manifests, version, redactor));
        await writeStudent(out, result);
        results.push(result);
        progress.tick(`${p.source.student}: ${isWithheld(result) ? 'grading error' : `${result.total.score}/${result.total.max}`}`);
      });
      progress.done();
    } finally {
      await pool.close();
      for (const p of pending) p.lease?.release();
      removePrivateDir(dir);
    }
  }

  // Every source of this run is in `results` by now, cached or graded: the class view is this run's.
  const index = await writeClass(out, results);
  return {
    results: results.sort((a, b) => a.student.localeCompare(b.student)),
    graded: pending.length,
    cached,
    skipped: found.skipped,
    index,
    gradingErrors: results.filter(isWithheld).map((r) => r.student).sort(),
  };
}

/**
 * A class is graded only in a sandbox that closes the network, unless the lecturer says
 * otherwise: the fallback level without a network namespace lets student code reach the
 * network, which a lecturer should not find out from a footnote.
 */
async function checkSandbox(options: GradeOptions): Promise<void> {
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
  const manifests = selectManifests(options.exercises);
  const slots = Math.max(1, options.jobs ?? availableParallelism());
  const dir = privateDir('mp-canary-', 0o711);
  const pool = new PreparePool({ workers: slots });
  try {
    const run: Run = { manifests, options: { paths: [], out: dir, ...options }, dir, pool, slots, kernelScript: await kernelChildScript(), node: nodeFor(SOME_OTHER_UID) };
    return await canary(run, options.progress ?? makeProgress(process.stderr, true));
  } finally {
    await pool.close();
    removePrivateDir(dir);
  }
}

/**
 * Grades the reference solution of every exercise, exactly as a student is graded. A kit or a
 * machine that cannot give it full marks would give everyone wrong marks: stop before that.
 */
async function canary(run: Run, progress: Progress): Promise<CanaryReport> {
  const started = Date.now();
  progress.start(run.manifests.length, 'canary');
  const failures: string[] = [];
  await Promise.all(run.manifests.map(async (m) => {
    const source: SubmissionSource = { student: `canary-${m.id}`, path: join(kitRoot, 'solutions', m.id), kind: 'folder' };
    const p: Pending = { source, taken: await takeSubmission(source, [m]), outcomes: new Map(), jobErrors: new Map(), remaining: 0, started: Date.now() };
    try {
      await gradePending({ ...run, manifests: [m] }, [p], async () => {});
    } finally {
      p.lease?.release();
    }
    const prepared = p.prepared!.exercises[m.id]!;
    const outcomes = p.outcomes.get(m.id) ?? new Map<string, PropertyOutcome>();
    const e = scoreExercise(m, prepared, outcomes, new Redactor(), p.jobErrors.get(m.id));
    if (e.status !== 'graded' || e.score < e.max) {
      const why = e.status !== 'graded'
        ? `${e.status}: ${e.reason ?? ''}`
        : e.tests.filter((t) => t.status !== 'passed').map((t) => `${t.id}: ${t.message ?? t.failure?.observed ?? t.status}`).join('; ');
      failures.push(`${m.id} (${e.score}/${e.max}): ${why.split('\n')[0]}`);
    }
    progress.tick(m.id);
  }));
  progress.done();
  return { failures, seconds: (Date.now() - started) / 1000, exercises: run.manifests.map((m) => m.id) };
}

/**
 * Prepares and tests `pending` (each submission under a uid of its own, its bundles in a
 * workspace only that uid can read), calling `finish` once per submission when all its
 * exercises are scored. Prepare and test overlap: a job starts as soon as its chunk is ready.
 */
async function gradePending(run: Run, pending: readonly Pending[], finish: (p: Pending) => Promise<void>): Promise<void> {
  const { manifests, options, slots } = run;
  // One vitest run per (exercise, chunk), `slots` at a time. Fewer, larger chunks pay vitest's
  // start-up less often; at most 8 submissions a chunk keeps progress visible and a killed run
  // cheap to resume.
  const chunk = options.chunk ?? Math.min(8, Math.max(1, Math.ceil(pending.length / slots)));
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
  // Submissions prepared and not yet finished hold a uid and a workspace: keep them bounded,
  // enough to keep every slot's chunks full.
  const limit = slots * (chunk + 1);
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const admit = async (): Promise<void> => {
    while (inFlight >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight++;
  };
  const done = async (p: Pending): Promise<void> => {
    await finish(p);
    p.lease?.release();
    inFlight--;
    waiting.shift()?.();
  };

  const worker = async (): Promise<void> => {
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
        prefer: options.prefer,
        kernelScript: run.kernelScript,
        node: run.node,
        submissions: job.members.map((p): PlannedSubmission => ({
          id: p.source.student,
          bundle: p.prepared!.exercises[job.manifest.id]!.bundle,
          uid: p.lease?.uid,
        })),
      };
      const testCount = job.manifest.groups.reduce((n, g) => n + Object.keys(g.tests).length, 0);
      const collected = await runJob({
        plan,
        files: testFiles(job.manifest.id),
        dir: run.dir,
        timeoutMs: Math.max(300_000, job.members.length * testCount * job.manifest.budgets.testMs),
      });
      for (const p of job.members) {
        const mine = new Map<string, PropertyOutcome>();
        for (const t of collected.tests) {
          if (t.outcome && t.outcome.submission === p.source.student && t.outcome.exercise === job.manifest.id) mine.set(t.outcome.test, t.outcome);
        }
        p.outcomes.set(job.manifest.id, mine);
        if (collected.errors.length > 0 && mine.size === 0) p.jobErrors.set(job.manifest.id, collected.errors[0]!);
        if (--p.remaining === 0) await done(p);
      }
    }
  };

  const workers = Array.from({ length: slots }, () => worker());
  // Every submission is prepared as soon as a worker of the pool is free, and joins a chunk when
  // it is ready: a slow one (a type-check bomb) delays no one but itself.
  const prepare = async (p: Pending): Promise<void> => {
    await admit();
    p.lease = leaseUid();
    const workspace = join(run.dir, studentDir(p.source.student));
    await mkdir(workspace, { mode: 0o700 });
    if (p.lease) await chown(workspace, p.lease.uid, p.lease.uid);
    p.prepared = await prepareSubmission(p.source, p.taken, manifests, { dir: workspace, uid: p.lease?.uid }, run.pool);
    const ready = manifests.filter((m) => p.prepared!.exercises[m.id]!.status === 'ready');
    p.remaining = ready.length;
    if (ready.length === 0) await done(p);
    for (const m of ready) {
      const members = filling.get(m.id)!;
      members.push(p);
      if (members.length >= chunk) enqueue(m, members.splice(0));
    }
  };
  try {
    await Promise.all(pending.map(prepare));
    for (const m of manifests) {
      const rest = filling.get(m.id)!;
      if (rest.length > 0) enqueue(m, rest.splice(0));
    }
  } finally {
    preparing = false;
    wakeAll(); // idle workers see that nothing more will come
  }
  await Promise.all(workers);
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
    if (o.kernelFailure && !o.infrastructure) warnings.push(`A test of ${o.exercise} ("${o.name}") stopped the kernel: ${redactor.text(o.failure?.observed ?? o.error ?? 'the kernel stopped')}`);
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
    notes: [...(p.source.duplicates ?? []), ...p.taken.notes].map((n) => redactor.text(n)),
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
