// The prepare pool: bundles and type checks run in worker processes, never in the grader's
// own. A few KB of recursive or template-literal types can make the type checker run for
// minutes or exhaust any heap; here that costs one job its budget, not the batch:
//  - each job is bounded by CPU time (of the worker and the esbuild process it drives), with a
//    wall-clock backstop, and each worker by its V8 heap;
//  - a job over its budget kills its worker; a fresh worker takes the next job;
//  - workers take jobs one at a time from a shared queue, most urgent first: bundles (the
//    tests wait for them) before type checks (only the report needs them), the canary's
//    before the students';
//  - the pool starts with one worker (a worker's first type check parses the standard library,
//    the runtime and zod's types: seconds of CPU time a second worker would pay again) and adds
//    one, up to its size, for a backlog of jobs, or whenever a job waits while every worker is
//    held by a slow job, so a slow job (a type-check bomb) delays no other student beyond the
//    worker it holds.
// A worker keeps its compiler state between jobs: the kit's files are parsed once, and each
// type check reuses the previous program.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BundleError } from '../../kernels/loader/bundle.ts';
import { TreeCpu } from '../../kernels/harness/cpu-time.ts';
import { builtFile } from '../build-info.ts';
import type { CheckedDiagnostic } from '../typecheck.ts';

/** Runs worker.ts from source (through tsx) where no pre-built grader can be made. */
const workerFromSource = fileURLToPath(new URL('./worker-bin.mjs', import.meta.url));

/** What a job does: bundle the exercise's files for the kernels, or type-check them. */
export type PrepareKind = 'bundle' | 'typecheck';

/** Jobs waiting that justify another worker (its first type check costs seconds of CPU time). */
const BACKLOG = 4;

/** Lower runs first: the canary's bundle, bundles, the canary's type check, type checks. */
export const PRIORITY = { canaryBundle: 0, bundle: 1, canaryTypecheck: 2, typecheck: 3 } as const;

/** One exercise of one submission. */
export interface PrepareJob {
  readonly id: number;
  readonly kind: PrepareKind;
  /** The exercise's entry file ('ring/ring.ts'). */
  readonly entry: string;
  /** The exercise's files: only these are seen by the type checker and the bundler. */
  readonly files: readonly string[];
  /** Every file the submission holds, by relative path. */
  readonly texts: Readonly<Record<string, string>>;
}

export type PrepareReply =
  | { readonly id: number; readonly ok: true; readonly diagnostics?: CheckedDiagnostic[]; readonly code?: string; readonly errors?: BundleError[] }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** `ms`: how long the job took in its worker (wall clock): part of the student's own time. */
export type PrepareOutcome =
  /** A bundle: `code`, or `errors` (syntax, refused imports); a type check: `diagnostics`. */
  (
    | { readonly kind: 'done'; readonly diagnostics: CheckedDiagnostic[]; readonly code?: string; readonly errors?: BundleError[] }
    /** The submission exhausted a budget: its fault, a plain note for its report. */
    | { readonly kind: 'limit'; readonly note: string }
    /** The machinery failed: never a mark. */
    | { readonly kind: 'infrastructure'; readonly note: string }
  ) & { readonly ms: number };

export interface PoolOptions {
  /** Worker processes at most (default 1). */
  readonly workers?: number;
  /** A job that has used this much CPU time (ms) is slow: a job waiting behind it gets a new worker (default 4000; a first type check takes 2–3 s). */
  readonly slowMs?: number;
  /** CPU time one job may use, in ms (default 20 s). */
  readonly cpuMs?: number;
  /** Heap of a worker, in MB (default 1024). */
  readonly memoryMB?: number;
}

interface Worker {
  readonly child: ChildProcess;
  /** The start of what the worker printed to stderr (V8 says there why it died). */
  readonly stderr: () => string;
  readonly ready: Promise<void>;
  readonly meter: TreeCpu;
  busy: boolean;
  /** The current job has used more than `slowMs` of CPU time. */
  slow: boolean;
}

interface Queued {
  readonly job: Omit<PrepareJob, 'id'>;
  readonly priority: number;
  readonly resolve: (o: PrepareOutcome) => void;
}

export class PreparePool {
  private readonly workers: Worker[] = [];
  private readonly queue: Queued[] = [];
  private nextId = 0;
  private closed = false;
  private readonly size: number;
  private readonly cpuMs: number;
  private readonly memoryMB: number;
  private readonly slowMs: number;
  private bin: Promise<string> | undefined;

  constructor(options: PoolOptions = {}) {
    this.size = Math.max(1, options.workers ?? 1);
    this.cpuMs = options.cpuMs ?? 20_000;
    this.memoryMB = options.memoryMB ?? 1024;
    this.slowMs = options.slowMs ?? 4000;
  }

  /** Bundles or type-checks one exercise of a submission, lower `priority` first. Never rejects. */
  prepare(job: Omit<PrepareJob, 'id'>, priority: number = job.kind === 'bundle' ? PRIORITY.bundle : PRIORITY.typecheck): Promise<PrepareOutcome> {
    return new Promise((resolve) => {
      // Stable: after every job of the same or a more urgent priority.
      let at = this.queue.length;
      while (at > 0 && this.queue[at - 1]!.priority > priority) at--;
      this.queue.splice(at, 0, { job, priority, resolve });
      void this.pump();
    });
  }

  /** Starts the first worker now, before any job (its start-up then overlaps other work). */
  warm(): void {
    void (this.bin ??= builtFile('prepare-worker.cjs').then((f) => f ?? workerFromSource)).then((bin) => {
      if (this.workers.length === 0 && !this.closed) this.spawn(bin);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.workers.splice(0)) w.child.kill('SIGKILL');
  }

  private async pump(): Promise<void> {
    const bin = await (this.bin ??= builtFile('prepare-worker.cjs').then((f) => f ?? workerFromSource));
    while (this.queue.length > 0 && !this.closed) {
      let worker = this.workers.find((w) => !w.busy);
      // Another worker when there is none, when every one is held by a slow job, or for a backlog.
      const stuck = this.workers.every((w) => w.slow);
      if (!worker && this.workers.length < this.size && (this.workers.length === 0 || stuck || this.queue.length >= BACKLOG)) worker = this.spawn(bin);
      if (!worker) return;
      const next = this.queue.shift()!;
      worker.busy = true;
      void this.run(worker, next).then((outcome) => {
        next.resolve(outcome);
        worker.busy = false;
        worker.slow = false;
        void this.pump();
      });
    }
  }

  private spawn(bin: string): Worker {
    const child = fork(bin, [], {
      execArgv: [`--max-old-space-size=${this.memoryMB}`, '--stack-size=4000'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 16_384) stderr += d.toString('utf8');
    });
    child.on('error', () => {});
    const ready = new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code, signal) =>
        reject(new Error(`the prepare worker exited while starting (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-2).join(' / ')}`)),
      );
    });
    ready.catch(() => {});
    const worker: Worker = { child, stderr: () => stderr, ready, meter: new TreeCpu(child.pid), busy: false, slow: false };
    this.workers.push(worker);
    return worker;
  }

  private retire(worker: Worker): void {
    const i = this.workers.indexOf(worker);
    if (i >= 0) this.workers.splice(i, 1);
    worker.child.kill('SIGKILL');
  }

  private async run(worker: Worker, queued: Queued): Promise<PrepareOutcome> {
    try {
      await worker.ready;
    } catch (err) {
      this.retire(worker);
      return { kind: 'infrastructure', note: `the prepare worker could not start: ${(err as Error).message}`, ms: 0 };
    }
    const id = this.nextId++;
    const job: PrepareJob = { ...queued.job, id };
    const cpuAtStart = worker.meter.fresh() ?? 0;
    const wallAtStart = Date.now();
    const budget = this.cpuMs;
    const doing = queued.job.kind === 'bundle' ? 'bundling' : 'type checking';
    return new Promise<PrepareOutcome>((resolve) => {
      let settled = false;
      type Found = PrepareOutcome extends infer O ? (O extends unknown ? Omit<O, 'ms'> : never) : never;
      const finish = (o: Found, retire = false): void => {
        if (settled) return;
        settled = true;
        clearInterval(watch);
        worker.child.off('message', onMessage);
        worker.child.off('exit', onExit);
        if (retire) this.retire(worker);
        resolve({ ...o, ms: Date.now() - wallAtStart } as PrepareOutcome);
      };
      const onMessage = (m: PrepareReply): void => {
        if (m.id !== id) return;
        if (m.ok) finish({ kind: 'done', diagnostics: m.diagnostics ?? [], code: m.code, errors: m.errors });
        else finish({ kind: 'infrastructure', note: `the ${queued.job.kind === 'bundle' ? 'bundler' : 'type checker'} failed: ${m.error}` }, true);
      };
      const onExit = (code: number | null, signal: string | null): void => {
        const stderr = worker.stderr();
        if (/heap out of memory|Allocation failed|Reached heap limit/i.test(stderr) || signal === 'SIGABRT' || code === 134) {
          finish({ kind: 'limit', note: `${doing} this code exceeded ${this.memoryMB} MB of memory` }, true);
        } else {
          finish(
            {
              kind: 'infrastructure',
              note: `the ${queued.job.kind === 'bundle' ? 'bundler' : 'type checker'} stopped unexpectedly (${signal ?? `exit ${code}`})`,
            },
            true,
          );
        }
      };
      // CPU time decides (a busy machine must not fail anyone); ten budgets of wall time back it up.
      // Finding the worker's process tree scans all of /proc: a cheap reading of the known
      // members most of the time, a fresh scan every 2 s and before any verdict.
      let ticks = 0;
      const watch = setInterval(
        () => {
          let used = ((++ticks % 8 === 0 ? worker.meter.fresh() : worker.meter.now()) ?? 0) - cpuAtStart;
          if (used > Math.min(budget, this.slowMs)) used = (worker.meter.fresh() ?? 0) - cpuAtStart;
          if (!worker.slow && used > this.slowMs) {
            worker.slow = true;
            void this.pump(); // a job waiting behind this one gets a worker of its own
          }
          if (used > budget || Date.now() - wallAtStart > budget * 10) {
            finish({ kind: 'limit', note: `${doing} this code exceeded ${formatSeconds(budget)} of CPU time` }, true);
          }
        },
        Math.min(250, budget / 4),
      );
      worker.child.on('message', onMessage);
      worker.child.once('exit', onExit);
      worker.child.send(job);
    });
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
