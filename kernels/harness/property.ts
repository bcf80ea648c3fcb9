// How exercise tests are written. A test states one property of the student's system and
// checks it through the harness, under each of the manifest's fixed seeds:
//
//   const t = exerciseTests(import.meta.url);
//   t.property('ring.hops', 'the token makes exactly N×M hops', async (ctx) => {
//     const s = await ctx.open();
//     await s.start('startRing', { size: 5, laps: 3, reportTo: s.self });
//     const done = await s.receive<Done>({ type: 'done' });
//     ctx.check(done?.hops === 15, `the token made ${done?.hops} hops; expected 15`);
//   });
//
// A test passes only if every seed passes. A failure says which property broke, what was
// observed, the failing seed, a one-line replay command and the last messages before the
// check. The same file runs in the student pack (`npm test`: the student's own files,
// in-process) and in the grader (many submissions, each in a sandboxed process kernel).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, it, type TestContext } from 'vitest';
import { createRandom, type Random } from '../../runtime/prng.ts';
import type { ChartEntry } from '../../runtime/trace.ts';
import { loadManifest, type Manifest } from './manifest.ts';
import type { NetworkOptions } from '../simulated/network.ts';
import { prepareBundle } from './bundle-file.ts';
import { HarnessError, Session, type Protocol } from './session.ts';
import { replayCommand } from './replay.ts';
import { InProcessTransport, KernelFailure, ProcessTransport, ThreadTransport, type Transport } from './transport.ts';

/** What a grading run tells the tests (a JSON file named by MP_RUN). */
export interface RunPlan {
  readonly exercise: string;
  readonly submissions: readonly PlannedSubmission[];
  /**
   * Where student code runs: a sandboxed process (grading; MP_KERNEL=process locally), a worker
   * thread of the test process (local runs: a busy loop is stopped, not hung on), or the test's
   * own thread (MP_KERNEL=in-process: for a debugger; nothing can stop a busy loop there).
   */
  readonly kernel: 'process' | 'thread' | 'in-process';
  readonly prefer?: 'auto' | 'fallback';
  /** The pre-built kernel program, built once by the grader for all its jobs. */
  readonly kernelScript?: string;
  /** The node binary kernels run (staged once by the grader where their uids can reach it). */
  readonly node?: string;
  /**
   * How many test files this run executes in one worker (vitest `isolate: false`): a
   * submission's kernel then serves all of them, and stops after the last one.
   */
  readonly files?: number;
  /** Run under these seeds instead of the manifest's (selftest --explore; SEED still wins). */
  readonly seeds?: readonly number[];
}

export interface PlannedSubmission {
  readonly id: string;
  /** The bundled submission, or why there is none (it does not compile, a file is missing). */
  readonly bundle?: string;
  readonly error?: string;
  /** The uid of this submission's kernels (leased by the grader; else one is leased per kernel). */
  readonly uid?: number;
}

/** What a test leaves for the grader's reporter (vitest task meta). */
export interface PropertyOutcome {
  readonly submission: string;
  readonly exercise: string;
  readonly test: string;
  readonly name: string;
  readonly seeds: { readonly run: number[]; readonly failed: number[] };
  readonly failure?: {
    readonly property: string;
    readonly observed: string;
    readonly seed: number;
    readonly replay: string;
    readonly chart: ChartEntry[];
  };
  /** The test could not run at all (the submission does not compile, the kernel died…). */
  readonly error?: string;
  /** The isolation the student's code ran under. */
  readonly sandbox?: { readonly level: string; readonly description: string };
  /** The kernel stopped answering or died during this test. */
  readonly kernelFailure?: boolean;
  /**
   * The machinery failed (a kernel could not even start): not the submission's doing, so the
   * grader withholds the mark instead of scoring the test. The words say what failed.
   */
  readonly infrastructure?: string;
}

declare module 'vitest' {
  interface TaskMeta {
    mp?: PropertyOutcome;
  }
}

export interface PropertyContext {
  readonly seed: number;
  /** A generator seeded from the seed, for workloads (never Math.random). */
  readonly random: Random;
  /** Boots a fresh system of the student's code with this seed. */
  open(options?: { kernels?: number; network?: NetworkOptions }): Promise<Session>;
  /** Fails the property with what was observed (plain words: the student reads this). */
  fail(observed: string): never;
  /** Fails unless `condition` holds. */
  check(condition: unknown, observed: string | (() => string)): asserts condition;
}

export interface PropertyOptions {
  /** How many chart lines to show with a failure (default 12). */
  readonly chartLines?: number;
}

export class PropertyFailure extends Error {
  override name = 'PropertyFailure';
}

export interface ExerciseTests {
  readonly manifest: Manifest;
  property(id: string, name: string, body: (t: PropertyContext) => Promise<void>, options?: PropertyOptions): void;
}

/** The tests of the exercise whose folder holds `testFileUrl`. */
export function exerciseTests(testFileUrl: string, protocol: Protocol = {}): ExerciseTests {
  const exerciseDir = findExerciseDir(dirname(fileURLToPath(testFileUrl)));
  // A student's own test file (*.mine.test.ts): any test id, never counted (see the pack's reporter).
  const own = /\.mine\.test\.[cm]?ts$/.test(fileURLToPath(testFileUrl));
  const manifest = loadManifest(exerciseDir);
  const plan = currentPlan(manifest, exerciseDir);
  const only = process.env.SEED !== undefined && process.env.SEED !== '' ? [Number(process.env.SEED)] : undefined;
  if (only && !Number.isInteger(only[0])) throw new Error(`SEED must be an integer, got "${process.env.SEED}"`);
  const seeds = only ?? plan.seeds ?? manifest.seeds;

  // Kernels live as long as this test file, or as the run's last file when the files share a
  // worker: then stop them (and let their parent reap them).
  const transports = plan.files !== undefined && plan.files > 1 ? shared.transports : new Map<string, Transport>();
  afterAll(async () => {
    if (transports === shared.transports && ++shared.filesDone < plan.files!) return;
    for (const transport of transports.values()) await transport.close();
    transports.clear();
  });

  const transportFor = (sub: PlannedSubmission, bundle: string): Transport => {
    let transport = transports.get(sub.id);
    if (!transport) {
      transport =
        plan.kernel === 'process'
          ? new ProcessTransport({
              readOnly: [dirname(bundle)],
              budgetMs: manifest.budgets.commandMs,
              uid: sub.uid,
              prefer: plan.prefer,
              script: plan.kernelScript,
              node: plan.node,
              echo: plan.bundleFor !== undefined, // a local run: the student sees what their code prints
            })
          : plan.kernel === 'thread'
            ? new ThreadTransport({ budgetMs: manifest.budgets.commandMs })
            : new InProcessTransport();
      transports.set(sub.id, transport);
    }
    return transport;
  };

  return {
    manifest,
    property(testId, name, body, options = {}) {
      if (!own && !testIdKnown(manifest, testId)) {
        throw new Error(`${testId} is not in exercises/${manifest.id}/manifest.json: add it to a rubric group`);
      }
      // TEST_ID=<id> (the replay command) runs one test; the others are reported as skipped.
      // (Not TEST: vitest sets that one in every run.)
      const only = process.env.TEST_ID;
      for (const sub of plan.submissions) {
        const title = plan.submissions.length > 1 || plan.kernel === 'process' ? `${sub.id} › ${name}` : name;
        (only && only !== testId ? it.skip : it)(title, { timeout: manifest.budgets.testMs }, async (ctx: TestContext) => {
          const outcome = await runProperty(sub, testId, name, body, options);
          ctx.task.meta.mp = outcome;
          if (outcome.infrastructure) throw withoutStack(new HarnessError(outcome.infrastructure));
          if (outcome.error) throw withoutStack(new HarnessError(outcome.error));
          if (outcome.failure) throw withoutStack(new PropertyFailure(formatFailure(manifest.id, name, outcome, seeds.length)));
        });
      }

      async function runProperty(
        sub: PlannedSubmission,
        test: string,
        title: string,
        fn: (t: PropertyContext) => Promise<void>,
        opts: PropertyOptions,
      ): Promise<PropertyOutcome> {
        const base = { submission: sub.id, exercise: manifest.id, test, name: title };
        let bundle = sub.bundle;
        try {
          bundle ??= await plan.bundleFor?.(sub);
        } catch (err) {
          return { ...base, seeds: { run: [], failed: [] }, error: observedText(err) };
        }
        if (!bundle) return { ...base, seeds: { run: [], failed: [] }, error: sub.error ?? 'no code to test' };
        const run: number[] = [];
        const failed: number[] = [];
        let failure: PropertyOutcome['failure'];
        let kernelFailure = false;
        let infrastructure: string | undefined;
        for (const seed of seeds) {
          run.push(seed);
          let session: Session | undefined;
          const context: PropertyContext = {
            seed,
            random: createRandom(seed).fork(test),
            open: async (o = {}) => {
              session = await Session.open({
                transport: transportFor(sub, bundle),
                bundle,
                seed,
                kernels: o.kernels ?? manifest.kernels,
                network: o.network,
                protocol,
              });
              return session;
            },
            fail: (observed) => {
              throw new PropertyFailure(observed);
            },
            check: (condition, observed) => {
              if (!condition) throw new PropertyFailure(typeof observed === 'function' ? observed() : observed);
            },
          };
          try {
            await fn(context);
          } catch (err) {
            if (err instanceof KernelFailure && err.cause_ === 'infrastructure') {
              infrastructure = err.message;
              break;
            }
            failed.push(seed);
            if (failure === undefined) {
              let chart: ChartEntry[] = [];
              if (session && !(err instanceof KernelFailure)) chart = await session.chart(opts.chartLines ?? 12).catch(() => []);
              // The replay is for the student's own machine: it names the local mode only when that
              // was chosen (a grading run's kernels are the grader's business).
              const mode = plan.bundleFor && plan.kernel !== 'thread' ? plan.kernel : undefined;
              failure = { property: title, observed: observedText(err), seed, replay: replayCommand(manifest.id, seed, test, mode), chart };
            }
            // A kernel that hangs or dies will do so again: do not spend the budget on every seed.
            if (err instanceof KernelFailure) {
              kernelFailure = true;
              break;
            }
          } finally {
            session?.close();
          }
        }
        const { level, description } = transportFor(sub, bundle).sandbox;
        if (infrastructure !== undefined) return { ...base, seeds: { run, failed: [] }, kernelFailure: true, infrastructure, sandbox: { level, description } };
        return { ...base, seeds: { run, failed }, failure, kernelFailure, sandbox: { level, description } };
      }
    },
  };
}

/** The failure says everything; a code frame of the harness would only distract. */
function withoutStack<E extends Error>(err: E): E {
  err.stack = `${err.name}: ${err.message}`;
  return err;
}

function testIdKnown(m: Manifest, id: string): boolean {
  return m.groups.some((g) => id in g.tests);
}

function observedText(err: unknown): string {
  if (err instanceof PropertyFailure || err instanceof HarnessError || err instanceof KernelFailure) return err.message;
  if (err instanceof Error) {
    // An assertion or an unexpected error: its message without a stack trace.
    return (
      err.message
        .split('\n')
        .filter((l) => !/^\s+at /.test(l))
        .join('\n')
        .trim() || err.name
    );
  }
  return String(err);
}

/**
 * How the seeds went: "failed on 2 of 3 seeds", or, when the kernel failed, that the rest of
 * the `planned` seeds were not run (a replay plans one: nothing was left out).
 */
function seedsSummary(o: PropertyOutcome, planned: number): string {
  if (o.kernelFailure && o.seeds.run.length === 1)
    return planned > 1 ? 'the kernel failed at this seed, so the other seeds were not run' : 'the kernel failed at this seed';
  return `failed on ${o.seeds.failed.length} of ${o.seeds.run.length} seeds`;
}

function formatFailure(exercise: string, name: string, o: PropertyOutcome, planned: number): string {
  const f = o.failure!;
  const lines = [
    `${exercise} › ${name}`,
    ...f.observed.split('\n').map((l) => `  ${l}`),
    `  seed ${f.seed} (${seedsSummary(o, planned)}) · replay: ${f.replay}`,
  ];
  if (f.chart.length > 0) {
    lines.push('  last messages before the failure:');
    for (const c of f.chart) lines.push(`    ${c.text}`);
  }
  return lines.join('\n');
}

function findExerciseDir(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'manifest.json'))) return dir;
  }
  throw new Error(`no manifest.json above ${from}: exercise tests live in exercises/<id>/tests/`);
}

/** Kernels shared by the test files of one grading run (they run in one worker, one after another). */
const shared = { transports: new Map<string, Transport>(), filesDone: 0 };

/** A run plan as the tests use it: a grading plan, or a local run that bundles on first use. */
type Plan = Omit<RunPlan, 'exercise'> & {
  readonly bundleFor?: (sub: PlannedSubmission) => Promise<string | undefined>;
};

/**
 * A grading run (MP_RUN names a plan file written by the grader), or a local run: the
 * student's own files under MP_SUBMISSION, or under the folder that holds `exercises/`.
 */
function currentPlan(manifest: Manifest, exerciseDir: string): Plan {
  const planFile = process.env.MP_RUN;
  if (planFile) {
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as RunPlan;
    if (plan.exercise !== manifest.id) return { kernel: plan.kernel, submissions: [] };
    return plan;
  }
  const root = resolve(process.env.MP_SUBMISSION ?? join(exerciseDir, '..', '..'));
  const entry = join(root, manifest.entry);
  const local: PlannedSubmission = { id: 'local' };
  let bundled: Promise<string | undefined> | undefined;
  return {
    kernel: process.env.MP_KERNEL === 'process' ? 'process' : process.env.MP_KERNEL === 'in-process' ? 'in-process' : 'thread',
    submissions: [local],
    // The student pack's runs (MP_LOCAL_SEEDS=1, set by its vitest config) add the manifest's
    // local seeds: cheap there, and they catch what shows under one seed in a few.
    seeds: process.env.MP_LOCAL_SEEDS === '1' ? [...manifest.seeds, ...manifest.localSeeds] : undefined,
    bundleFor: () => {
      bundled ??= (async () => {
        if (!existsSync(entry)) throw new HarnessError(`${manifest.entry} not found in ${root}: it is the file this exercise tests`);
        const out = mkdtempSync(join(tmpdir(), `mp-${manifest.id}-`));
        const prepared = await prepareBundle(entry, root, out, manifest.files);
        if (!prepared.ok) {
          const first = prepared.errors
            .slice(0, 3)
            .map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`)
            .join('\n');
          throw new HarnessError(`your code does not compile:\n${first}`);
        }
        return prepared.bundle;
      })();
      return bundled;
    },
  };
}
