// Simulated kernels: several runtime kernels in one thread, sharing nothing but a seeded
// network. One scheduler drives them all, so the whole cluster is deterministic: the same
// seed gives the same interleaving, the same faults and the same trace.
import { createKernel, type Kernel } from '#runtime/kernel';
import { Scheduler, type RunOptions, type RunReport } from '#runtime/scheduler';
import { makeTrace, systemOf, type System } from '#runtime/system';
import type { Trace, TraceOptions } from '#runtime/trace';
import { Network, type NetworkOptions } from './network.ts';

export interface ClusterOptions {
  readonly seed?: number;
  /** Number of kernels (default 2). */
  readonly kernels?: number;
  readonly network?: NetworkOptions;
  readonly trace?: boolean | TraceOptions;
}

export interface Cluster {
  readonly seed: number;
  readonly trace: Trace | undefined;
  /** The outside view of each kernel; processes spawned through kernels[i] live on kernel i. */
  readonly kernels: readonly System[];
  readonly network: Network;
  runUntilIdle(options?: RunOptions): Promise<RunReport>;
  advance(ms: number, options?: Omit<RunOptions, 'maxTime'>): Promise<RunReport>;
  runUntil(condition: () => boolean, options?: RunOptions): Promise<RunReport>;
  now(): number;
  /** Messages between the two groups of kernels are dropped until heal(). */
  partition(a: readonly number[], b: readonly number[]): void;
  heal(): void;
  /** Every process on the kernel ends ('noconnection' as seen from elsewhere); messages to it are lost. */
  crash(kernel: number): void;
  /** Brings a crashed kernel back, empty: start its processes again. */
  restart(kernel: number): void;
  isUp(kernel: number): boolean;
}

export function createCluster(options: ClusterOptions = {}): Cluster {
  const seed = options.seed ?? 1;
  const count = options.kernels ?? 2;
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new RangeError(`kernels must be 1..64, got ${count}`);
  const scheduler = new Scheduler('deterministic', seed);
  const trace = makeTrace(scheduler, options.trace ?? true);
  const kernels: Kernel[] = [];
  for (let i = 0; i < count; i++) kernels.push(createKernel(i, scheduler, trace));
  const network = new Network(scheduler, kernels, scheduler.random.fork('network'), trace, options.network);
  for (const k of kernels) k.attach(network);
  const systems = kernels.map((k) => systemOf(k, seed));
  const kernel = (i: number): Kernel => {
    const k = kernels[i];
    if (k === undefined) throw new RangeError(`no kernel ${i} (the cluster has ${count})`);
    return k;
  };

  return {
    seed,
    trace,
    kernels: systems,
    network,
    runUntilIdle: (opts) => scheduler.runUntilIdle(opts),
    advance: (ms, opts) => scheduler.advance(ms, opts),
    runUntil: (condition, opts) => scheduler.runUntil(condition, opts),
    now: () => scheduler.now(),
    partition: (a, b) => network.partition(a, b),
    heal: () => network.heal(),
    crash: (i) => {
      const k = kernel(i);
      if (!k.up) return;
      trace?.record({ kind: 'fault', what: `kernel ${i} crashed` });
      k.halt('noconnection');
    },
    restart: (i) => {
      const k = kernel(i);
      if (k.up) return;
      k.resume();
      trace?.record({ kind: 'fault', what: `kernel ${i} restarted` });
    },
    isUp: (i) => kernel(i).up,
  };
}
