// Shared shapes of the benchmark: workloads, the implementations that run them, and what a
// run reports back. Every runner does its own setup (spawning, wiring) outside the timed
// section and reports the elapsed time of the message traffic only, plus the result the
// workload checks (a hop count, a final count...), so a broken run cannot report a number.

export type WorkloadId = 'ping-pong' | 'thread-ring' | 'counting' | 'fan-out';

export interface Params {
  'ping-pong': { readonly roundTrips: number };
  'thread-ring': { readonly actors: number; readonly hops: number };
  counting: { readonly messages: number };
  'fan-out': { readonly workers: number; readonly rounds: number };
}

/** What one run of a workload reports. */
export interface Outcome {
  /** The workload's checked result (round trips made, hops made, final count, replies received). */
  readonly result: number;
  /** Extra result the workload checks (e.g. which ring member held the token last). */
  readonly detail?: number;
  /** Wall-clock milliseconds of the timed section (message traffic only, no setup). */
  readonly ms: number;
  /**
   * CPU milliseconds (user + system, all of the process's threads, GC helpers included) over
   * the same section: less sensitive than `ms` to other work on a busy machine.
   */
  readonly cpuMs?: number;
  /** Deterministic mode: trace events recorded, and how many fell off the front (trace limit). */
  readonly traceEvents?: number;
  readonly traceTruncated?: number;
}

export type Runner<K extends WorkloadId> = (params: Params[K]) => Promise<Outcome>;
export type Runners = { readonly [K in WorkloadId]?: Runner<K> };

export interface Implementation {
  /** Stable key for JSON output and for goals, e.g. 'runtime-rt'. */
  readonly id: string;
  /** Column / row label in the printed table. */
  readonly label: string;
  readonly runners: Runners;
  /**
   * Bounds on the size multiplier chosen by calibration (the workload's size × scale).
   * The runtime rows use [1, 1], so real-time and deterministic mode run the very same size.
   */
  readonly scale: { readonly min: number; readonly max: number };
}

export interface Workload<K extends WorkloadId = WorkloadId> {
  readonly id: K;
  /** What the workload-specific rate counts: 'round trips', 'hops', 'msgs'. */
  readonly unit: string;
  /** Size of a timed run (before the implementation's scale). */
  readonly size: Params[K];
  /** Size of the smoke test. */
  readonly tiny: Params[K];
  scaled(params: Params[K], factor: number): Params[K];
  /** Messages sent in one run of this size (the messages/s column). */
  messages(params: Params[K]): number;
  /** Units of the workload-specific rate (round trips, hops, msgs). */
  units(params: Params[K]): number;
  /** Throws if the outcome is not the correct result for these params. */
  check(params: Params[K], outcome: Outcome): void;
}

/** CPU time since `start` (a `process.cpuUsage()` reading), in ms. */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

export class CheckError extends Error {
  override readonly name = 'CheckError';
}
