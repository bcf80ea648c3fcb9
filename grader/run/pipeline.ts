// The grading pipeline: from taken submissions to test outcomes, as fast as the machine
// allows and with no submission able to change another's marks.
//
//   intake ─▶ bundle (prepare pool) ─▶ ready ─▶ a free slot takes a job ─▶ outcomes ─┐
//                  └─▶ type check (prepare pool, in the background) ──────────────────┴▶ done
//
// - Bundles come before type checks in the prepare pool: the tests need a bundle, only the
//   report needs the type check (unless the exercise's manifest says `typeErrors: "fail"`:
//   then its tests wait for a clean type check).
// - Work is handed out when a slot is free, never planned ahead: a slot takes the ready
//   submissions of one exercise, as many as a fair share of what remains (guided
//   self-scheduling: several at once while much remains, one at a time towards the end,
//   never more than `maxChunk`), so a slot held up by a slow submission leaves the rest of
//   the class to the other slots.
// - A submission whose kernel fails in `stopAfter` tests in a row is not tested further (see
//   stop-early.ts); every budget is CPU time, so a busy machine changes no mark.
// - Each submission runs under a uid of its own, its bundles in a workspace only that uid can
//   read; submissions prepared and not yet finished are bounded (each holds a uid).
import { chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../kernels/harness/manifest.ts';
import type { PlannedSubmission, PropertyOutcome } from '../../kernels/harness/property.ts';
import { leaseUid, type UidLease } from '../../kernels/process/uids.ts';
import type { IntakeResult, SubmissionSource } from '../intake/index.ts';
import { PRIORITY, type PrepareOutcome, type PreparePool } from '../prepare/pool.ts';
import { bundleOutcome, notSubmitted, typeCheckOutcome, writeBundle, type PreparedExercise } from '../prepare/prepare.ts';
import { studentDir } from '../class-folder.ts';
import type { Collected } from './reporter.ts';
import { Slot, testFiles } from './slots.ts';
import type { GradingPlan } from './stop-early.ts';

export interface Candidate {
  readonly source: SubmissionSource;
  readonly taken: IntakeResult;
  /** The canary (a reference solution): prepared and tested before anyone else. */
  readonly canary?: boolean;
}

/** Why some of a submission's tests did not run: its kernel failed in the tests named, in a row. */
export interface StoppedEarly {
  readonly after: readonly string[];
  /** How many tests were not run. */
  readonly notRun: number;
}

/** Everything the scorer needs about one submission. */
export interface Graded {
  readonly candidate: Candidate;
  readonly prepared: Record<string, PreparedExercise>;
  readonly outcomes: ReadonlyMap<string, ReadonlyMap<string, PropertyOutcome>>;
  /** Per exercise: why its test run failed as a whole (vitest could not run it). */
  readonly jobErrors: ReadonlyMap<string, string>;
  readonly stopped: ReadonlyMap<string, StoppedEarly>;
  /** The submission's own grading time: its prepare jobs and its tests, not its neighbours'. */
  readonly durationMs: number;
}

export interface PipelineOptions {
  readonly manifests: readonly Manifest[];
  /** Slots: test runs at once (--jobs). */
  readonly slots: number;
  /** A private folder of this grading run (mode 0711). */
  readonly dir: string;
  /** Bundles and type checks: one pool, bundles first (one worker does both, with the compiler loaded once). */
  readonly pool: PreparePool;
  /** The pre-built kernel program (a promise: it is built while the slots start). */
  readonly kernelScript: string | Promise<string>;
  readonly node: string;
  readonly prefer?: 'auto' | 'fallback';
  /** 'thread' only for the kit's own code (see GradeOptions.kernel). */
  readonly kernel?: 'process' | 'thread';
  /** At most this many submissions in one test run (default 4). */
  readonly maxChunk?: number;
  /** Told when submissions start (`on`) and stop being tested: the progress line names them. */
  readonly onTesting?: (students: readonly string[], on: boolean) => void;
}

interface Entry {
  readonly candidate: Candidate;
  readonly prepared: Record<string, PreparedExercise>;
  readonly outcomes: Map<string, Map<string, PropertyOutcome>>;
  readonly jobErrors: Map<string, string>;
  readonly stopped: Map<string, StoppedEarly>;
  ms: number;
  /** Exercises whose tests or type check are still to come. */
  waiting: number;
  lease?: UidLease;
  workspace?: string;
  readonly done: (g: Graded) => void;
}

interface Ready {
  readonly entry: Entry;
  readonly bundle: string;
}

export class Pipeline {
  private readonly slots: Slot[];
  /** Per exercise: submissions with a bundle, waiting for a slot; canaries first. */
  private readonly ready = new Map<string, Ready[]>();
  /** Per exercise: submissions whose bundle is still being made. */
  private readonly bundling = new Map<string, number>();
  /** (submission, exercise) pairs not yet handed to a slot. */
  private undispatched = 0;
  private candidates = 0;
  private admitted = 0;
  private readonly admitLimit: number;
  private readonly admitQueue: (() => void)[] = [];
  private readonly idle: (() => void)[] = [];
  private readonly running: Promise<void>[];
  private closed = false;
  private failure: Error | undefined;
  private readonly pending = new Set<(err: Error) => void>();

  constructor(private readonly options: PipelineOptions) {
    this.slots = Array.from({ length: Math.max(1, options.slots) }, () => new Slot(options.dir));
    // The first slot and prepare worker start now, while the kernel program is built.
    this.slots[0]!.warm();
    options.pool.warm();
    for (const m of options.manifests) {
      this.ready.set(m.id, []);
      this.bundling.set(m.id, 0);
    }
    // Submissions prepared and not yet finished hold a uid and a workspace: enough to keep
    // every slot's jobs full, no more.
    this.admitLimit = this.slots.length * (this.maxChunk + 1) + 2;
    this.running = this.slots.map((slot) => this.serve(slot));
  }

  private get maxChunk(): number {
    return Math.max(1, this.options.maxChunk ?? 4);
  }

  /** Grades one submission; resolves when all its exercises are tested and type-checked. */
  grade(candidate: Candidate): Promise<Graded> {
    if (this.closed) return Promise.reject(this.failure ?? new Error('the grading pipeline is closed'));
    return new Promise<Graded>((resolve, reject) => {
      this.pending.add(reject);
      const entry: Entry = {
        candidate,
        prepared: {},
        outcomes: new Map(),
        jobErrors: new Map(),
        stopped: new Map(),
        ms: 0,
        waiting: 0,
        done: (g) => {
          this.pending.delete(reject);
          resolve(g);
        },
      };
      this.undispatched += this.options.manifests.length;
      // A slot starts its vitest as soon as there may be work for it: one per submission, up to all.
      if (this.candidates++ > 0) this.slots[this.candidates - 1]?.warm();
      this.prepare(entry).catch((err: Error) => this.fail(err));
    });
  }

  /** Stops everything: slots and queued work (grade() promises still pending reject). */
  async close(): Promise<void> {
    this.closed = true;
    const why = this.failure ?? new Error('the grading pipeline was closed');
    for (const reject of this.pending) reject(why);
    this.pending.clear();
    for (const resume of this.idle.splice(0)) resume();
    for (const slot of this.slots) slot.stop();
    await Promise.allSettled(this.running);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    void this.close();
  }

  private async admit(entry: Entry): Promise<void> {
    if (!entry.candidate.canary) {
      while (this.admitted >= this.admitLimit) await new Promise<void>((resolve) => this.admitQueue.push(resolve));
    }
    this.admitted++;
  }

  private release(entry: Entry): void {
    entry.lease?.release();
    entry.lease = undefined;
    this.admitted--;
    this.admitQueue.shift()?.();
  }

  private async prepare(entry: Entry): Promise<void> {
    const { manifests, pool } = this.options;
    const { candidate } = entry;
    await this.admit(entry);
    if (this.closed) return;
    entry.lease = leaseUid();
    // Canaries apart: a student may well be called "canary-ring".
    const parent = join(this.options.dir, candidate.canary ? 'canary' : 'students');
    await mkdir(parent, { mode: 0o711, recursive: true });
    entry.workspace = join(parent, studentDir(candidate.source.student));
    await mkdir(entry.workspace, { mode: 0o700 });
    if (entry.lease) await chown(entry.workspace, entry.lease.uid, entry.lease.uid);
    entry.waiting = manifests.length * 2; // each exercise: its tests (or not) and its type check (or not)

    await Promise.all(
      manifests.map(async (m) => {
        const absent = notSubmitted(m, candidate.taken);
        if (absent) {
          entry.prepared[m.id] = absent;
          this.undispatched--;
          this.settle(entry, 2);
          return;
        }
        const job = { entry: m.entry, files: m.files, texts: candidate.taken.files };
        const canary = candidate.canary === true;
        // The type check runs beside the tests, unless the manifest makes type errors fail the exercise.
        const typeChecked = pool.prepare(
          { ...job, kind: 'typecheck' },
          canary ? PRIORITY.canaryTypecheck : m.typeErrors === 'fail' ? PRIORITY.bundle : PRIORITY.typecheck,
        );
        this.bundling.set(m.id, this.bundling.get(m.id)! + 1);
        let bundled: PrepareOutcome;
        try {
          bundled = await pool.prepare({ ...job, kind: 'bundle' }, canary ? PRIORITY.canaryBundle : PRIORITY.bundle);
        } finally {
          this.bundling.set(m.id, this.bundling.get(m.id)! - 1);
        }
        entry.ms += bundled.ms;
        let prepared = bundleOutcome(m, bundled);
        if (prepared.status === 'ready')
          prepared = { ...prepared, bundle: await writeBundle(entry.workspace!, m.id, bundled.kind === 'done' ? bundled.code! : '', entry.lease?.uid) };
        if (prepared.status === 'ready' && m.typeErrors === 'fail') {
          const checked = await typeChecked;
          prepared = typeCheckOutcome(m, prepared, checked);
        }
        entry.prepared[m.id] = prepared;
        if (prepared.status === 'ready') {
          const queue = this.ready.get(m.id)!;
          const item = { entry, bundle: prepared.bundle! };
          // Canaries go first: nobody's marks are written before the canary passes.
          const firstStudent = queue.findIndex((r) => !r.entry.candidate.canary);
          if (candidate.canary && firstStudent >= 0) queue.splice(firstStudent, 0, item);
          else queue.push(item);
        } else {
          this.undispatched--;
          this.settle(entry, 1);
        }
        this.wake();
        void typeChecked.then((checked) => {
          entry.ms += checked.ms;
          entry.prepared[m.id] = typeCheckOutcome(m, entry.prepared[m.id]!, checked);
          this.settle(entry, 1);
        });
      }),
    );
  }

  /** `n` more parts of the entry are done; the last one hands it on. */
  private settle(entry: Entry, n: number): void {
    entry.waiting -= n;
    if (entry.waiting > 0) return;
    this.release(entry);
    entry.done({
      candidate: entry.candidate,
      prepared: entry.prepared,
      outcomes: entry.outcomes,
      jobErrors: entry.jobErrors,
      stopped: entry.stopped,
      durationMs: entry.ms,
    });
    this.wake();
  }

  private wake(): void {
    for (const resume of this.idle.splice(0)) resume();
  }

  /** The next job for a free slot, or undefined to wait for more work. */
  private nextJob(): { manifest: Manifest; members: Ready[] } | undefined {
    const { manifests } = this.options;
    // A canary waiting anywhere goes first, alone.
    for (const m of manifests) {
      const queue = this.ready.get(m.id)!;
      if (queue[0]?.entry.candidate.canary) return { manifest: m, members: queue.splice(0, 1) };
    }
    const share = Math.min(this.maxChunk, Math.max(1, Math.ceil(this.undispatched / (2 * this.slots.length))));
    // The exercise with the most waiting; wait for a fuller job while bundles for it are on their way.
    const candidates = manifests
      .map((m) => ({ m, queue: this.ready.get(m.id)! }))
      .filter((c) => c.queue.length > 0)
      .sort((a, b) => b.queue.length - a.queue.length);
    const best = candidates[0];
    if (!best) return undefined;
    if (best.queue.length < share && this.bundling.get(best.m.id)! > 0) return undefined;
    return { manifest: best.m, members: best.queue.splice(0, share) };
  }

  private async serve(slot: Slot): Promise<void> {
    while (!this.closed) {
      const job = this.nextJob();
      if (!job) {
        await new Promise<void>((resolve) => this.idle.push(resolve));
        continue;
      }
      this.undispatched -= job.members.length;
      await this.test(slot, job.manifest, job.members);
    }
  }

  private async test(slot: Slot, manifest: Manifest, members: Ready[]): Promise<void> {
    const plan: GradingPlan = {
      exercise: manifest.id,
      kernel: this.options.kernel ?? 'process',
      prefer: this.options.prefer,
      kernelScript: await this.options.kernelScript,
      node: this.options.node,
      stopAfter: manifest.budgets.stopAfter,
      submissions: members.map((r): PlannedSubmission => ({ id: r.entry.candidate.source.student, bundle: r.bundle, uid: r.entry.lease?.uid })),
    };
    const tests = manifest.groups.reduce((n, g) => n + Object.keys(g.tests).length, 0);
    const ids = plan.submissions.map((s) => s.id);
    this.options.onTesting?.(ids, true);
    const collected = await slot.run(plan, testFiles(manifest.id), Math.max(300_000, members.length * tests * manifest.budgets.testMs));
    this.options.onTesting?.(ids, false);
    if (this.closed) return;
    for (const r of members) this.record(r.entry, manifest.id, collected);
  }

  private record(entry: Entry, exercise: string, collected: Collected): void {
    const id = entry.candidate.source.student;
    const mine = new Map<string, PropertyOutcome>();
    let notRun = 0;
    let after: readonly string[] = [];
    for (const t of collected.tests) {
      if (t.outcome && t.outcome.submission === id && t.outcome.exercise === exercise) {
        mine.set(t.outcome.test, t.outcome);
        entry.ms += t.durationMs;
      } else if (t.stopped && t.stopped.submission === id) {
        notRun++;
        after = t.stopped.after;
      }
    }
    entry.outcomes.set(exercise, mine);
    if (notRun > 0) entry.stopped.set(exercise, { after, notRun });
    if (collected.errors.length > 0 && mine.size === 0) entry.jobErrors.set(exercise, collected.errors.filter(Boolean).join('\n'));
    this.settle(entry, 1);
  }
}
