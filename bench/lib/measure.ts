// Timing: warm up, pick a size, then take the median of several checked runs.
import type { Implementation, Outcome, Params, Workload, WorkloadId } from './types.ts';

export interface MeasureOptions {
  /** Timed runs after warm-up (the median is reported). At least 3. */
  readonly runs: number;
  /** Calibration aims for timed runs of about this many ms (within the implementation's scale bounds). */
  readonly targetMs: number;
  /** Force this scale (smoke tests: 1, no calibration). */
  readonly fixedScale?: number;
  /** Multiplies the workload's size before calibration (quick mode: 1/8). */
  readonly sizeFactor?: number;
  /** Warm-up runs before the timed ones (default 1). */
  readonly warmups?: number;
}

export interface Measurement {
  readonly workload: WorkloadId;
  readonly impl: string;
  readonly label: string;
  readonly params: Params[WorkloadId];
  readonly scale: number;
  readonly messages: number;
  readonly units: number;
  readonly unit: string;
  /** Elapsed ms of each timed run, in run order. */
  readonly runsMs: readonly number[];
  readonly medianMs: number;
  /** Fastest timed run (least disturbed by other load on the machine). */
  readonly minMs: number;
  /** (slowest − fastest) / median of the timed runs: how noisy this row is. */
  readonly spread: number;
  readonly messagesPerSec: number;
  readonly unitsPerSec: number;
  /** Median CPU ms of the timed runs, and messages per CPU second (see Outcome.cpuMs). */
  readonly medianCpuMs?: number;
  readonly messagesPerCpuSec?: number;
  /** Deterministic mode: trace events of the last run, and how many fell off the trace's front. */
  readonly traceEvents?: number;
  readonly traceTruncated?: number;
}

export interface Failure {
  readonly workload: WorkloadId;
  readonly impl: string;
  readonly label: string;
  readonly error: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Runs one workload once on one implementation and checks the result (throws if wrong). */
export async function runChecked<K extends WorkloadId>(workload: Workload<K>, impl: Implementation, params: Params[K]): Promise<Outcome> {
  const runner = impl.runners[workload.id] as ((p: Params[K]) => Promise<Outcome>) | undefined;
  if (!runner) throw new Error(`${impl.label} has no ${workload.id} runner`);
  const outcome = await runner(params);
  workload.check(params, outcome);
  if (!(outcome.ms > 0) || !Number.isFinite(outcome.ms)) {
    throw new Error(`${impl.label} ${workload.id}: the run reported an impossible time (${outcome.ms} ms)`);
  }
  return outcome;
}

/** Power-of-two scale that brings a run of `ms` near `targetMs`, within the implementation's bounds. */
export function chooseScale(ms: number, targetMs: number, bounds: Implementation['scale']): number {
  const ideal = 2 ** Math.round(Math.log2(targetMs / Math.max(ms, 0.01)));
  return Math.min(bounds.max, Math.max(bounds.min, ideal));
}

/** Warm-up and calibration (untimed): the size the timed runs use. */
export async function prepare<K extends WorkloadId>(
  workload: Workload<K>,
  impl: Implementation,
  options: MeasureOptions,
): Promise<{ params: Params[K]; scale: number }> {
  const factor = options.sizeFactor ?? 1;
  const base = factor === 1 ? workload.size : workload.scaled(workload.size, factor);
  let scale = options.fixedScale ?? 1;
  let params = scale === 1 ? base : workload.scaled(base, scale);
  const warm = await runChecked(workload, impl, params);
  if (options.fixedScale === undefined) {
    scale = chooseScale(warm.ms, options.targetMs, impl.scale);
    if (scale !== 1) {
      params = workload.scaled(base, scale);
      await runChecked(workload, impl, params); // warm up at the chosen size too
    }
  }
  for (let i = 1; i < (options.warmups ?? 1); i++) await runChecked(workload, impl, params);
  return { params, scale };
}

/**
 * One timed run, after a full GC when the process allows it and a turn of the event loop:
 * what the last run left behind (finalizers of its garbage, its real timers) runs then, not
 * inside this run's time, as it would between the tests of a test file.
 */
export async function timedRun<K extends WorkloadId>(workload: Workload<K>, impl: Implementation, params: Params[K]): Promise<Outcome> {
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 0));
  return runChecked(workload, impl, params);
}

/** The measurement of timed runs of one size. */
export function summarise<K extends WorkloadId>(
  workload: Workload<K>,
  impl: Implementation,
  params: Params[K],
  scale: number,
  outcomes: readonly Outcome[],
): Measurement {
  const runsMs = outcomes.map((o) => o.ms);
  const cpuMs = outcomes.flatMap((o) => (o.cpuMs === undefined ? [] : [o.cpuMs]));
  const last = outcomes.at(-1);
  const medianMs = median(runsMs);
  const minMs = Math.min(...runsMs);
  const medianCpuMs = cpuMs.length === runsMs.length ? median(cpuMs) : undefined;
  const messages = workload.messages(params);
  const units = workload.units(params);
  return {
    workload: workload.id,
    impl: impl.id,
    label: impl.label,
    params,
    scale,
    messages,
    units,
    unit: workload.unit,
    runsMs,
    medianMs,
    minMs,
    spread: (Math.max(...runsMs) - minMs) / medianMs,
    messagesPerSec: (messages / medianMs) * 1000,
    unitsPerSec: (units / medianMs) * 1000,
    medianCpuMs,
    messagesPerCpuSec: medianCpuMs === undefined ? undefined : (messages / Math.max(medianCpuMs, 0.001)) * 1000,
    traceEvents: last?.traceEvents,
    traceTruncated: last?.traceTruncated,
  };
}

/** Warm-up, calibration, then `runs` timed runs of one implementation in a row (see the runtime suite for interleaved runs). */
export async function measure<K extends WorkloadId>(workload: Workload<K>, impl: Implementation, options: MeasureOptions): Promise<Measurement> {
  const { params, scale } = await prepare(workload, impl, options);
  const outcomes: Outcome[] = [];
  for (let i = 0; i < Math.max(3, options.runs); i++) outcomes.push(await timedRun(workload, impl, params));
  return summarise(workload, impl, params, scale, outcomes);
}
