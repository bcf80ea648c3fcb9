// A system: one kernel, its scheduler and its trace, with the calls a program (or a test)
// makes from outside any process. `createSystem({ seed })` is deterministic: nothing
// happens until you run it (`runUntilIdle`, `advance`, `step`), and the same seed gives
// the same run. `createSystem({ mode: 'realtime' })` runs by itself on real time.
import type { AskOptions, Body, SpawnOptions, SystemMessage } from './context.ts';
import type { ExitReason } from './exit.ts';
import { createKernel, type DeadLetter, type Kernel, type ProcessInfo } from './kernel.ts';
import type { SendOptions } from './message.ts';
import type { Ref } from './ref.ts';
import type { AskReply, ReplyRef } from './reply.ts';
import { Scheduler, type Mode, type RunOptions, type RunReport } from './scheduler.ts';
import { Trace, type TraceOptions } from './trace.ts';

export interface SystemOptions {
  /** Seed for every choice the scheduler makes (default 1). */
  readonly seed?: number;
  /** 'deterministic' (default): seeded scheduling, virtual time. 'realtime': runs by itself. */
  readonly mode?: Mode;
  /** Record a trace (default: on in deterministic mode, off in real-time mode). */
  readonly trace?: boolean | TraceOptions;
}

export interface System {
  readonly mode: Mode;
  readonly seed: number;
  /** The trace, when tracing is on. */
  readonly trace: Trace | undefined;

  spawn<M, S extends SystemMessage = never>(body: Body<M, S>, options?: SpawnOptions): Ref<M>;
  /** Sends from outside any process (the sender shows as 'outside' in traces). */
  send<M>(to: Ref<M> | string, message: M, options?: SendOptions): void;
  /**
   * Request/reply from outside: the reply resolves the promise once the system runs. Its type
   * comes from the protocol, as for `self.ask` (or name it: `ask<R>(…)`).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ask<R = never, T = any, const M extends T = T>(to: Ref<T> | string, make: (replyTo: ReplyRef) => M, options?: AskOptions): Promise<AskReply<R, T, M>>;
  /** exit/2 from outside: sends an exit signal ('kill' cannot be trapped). */
  exit(to: Ref, reason: ExitReason): void;

  register(name: string, ref: Ref): void;
  unregister(name: string): void;
  whereis<M = unknown>(name: string): Ref<M> | undefined;
  isAlive(ref: Ref): boolean;
  info(ref: Ref): ProcessInfo | undefined;
  /** Messages that found no receiver (most recent 1000). */
  readonly deadLetters: readonly DeadLetter[];

  now(): number;
  random(): number;

  /** One scheduling decision. Returns false when nothing was ready. */
  step(): Promise<boolean>;
  runUntilIdle(options?: RunOptions): Promise<RunReport>;
  advance(ms: number, options?: Omit<RunOptions, 'maxTime'>): Promise<RunReport>;
  runUntil(condition: () => boolean, options?: RunOptions): Promise<RunReport>;
  /** Live timers: 0 in an idle system that does no polling. */
  readonly pendingTimers: number;

  /** The kernel behind it, for kernel hosts (the harness, clusters): see kernel.ts. */
  readonly kernel: Kernel;
}

export function createSystem(options: SystemOptions = {}): System {
  const mode = options.mode ?? 'deterministic';
  const seed = options.seed ?? 1;
  const scheduler = new Scheduler(mode, seed);
  const trace = makeTrace(scheduler, options.trace ?? mode === 'deterministic');
  return systemOf(createKernel(0, scheduler, trace), seed);
}

export function makeTrace(scheduler: Scheduler, option: boolean | TraceOptions): Trace | undefined {
  return option === false ? undefined : new Trace(() => scheduler.now(), option === true ? {} : option);
}

/** The outside view of one kernel. Kernels sharing a scheduler run together: running one runs all. */
export function systemOf(kernel: Kernel, seed: number): System {
  const { scheduler, trace } = kernel;
  const mode = scheduler.mode;
  return {
    mode,
    seed,
    trace,
    kernel,
    spawn: (body, opts) => kernel.spawn(undefined, body, opts),
    send: (to, message, opts) => kernel.send(undefined, to as Ref, message, opts),
    ask: (to: Ref | string, make: (replyTo: ReplyRef) => unknown, opts?: AskOptions) =>
      new Promise<never>((resolve, reject) => {
        kernel.spawn(
          undefined,
          async (self) => {
            try {
              resolve((await self.ask(to, make, opts)) as never);
            } catch (err) {
              reject(err);
            }
          },
          { name: 'ask' },
        );
      }),
    exit: (to, reason) => kernel.signal(undefined, to, reason),
    register: (name, ref) => {
      const proc = kernel.local(ref);
      if (!proc || proc.exited) throw new Error(`cannot register "${name}": the process is not alive`);
      kernel.register(proc, name);
    },
    unregister: (name) => kernel.unregister(name),
    whereis: (name) => kernel.whereis(name) as never,
    isAlive: (ref) => kernel.isAlive(ref),
    info: (ref) => kernel.info(ref),
    get deadLetters() {
      return kernel.deadLetters;
    },
    now: () => scheduler.now(),
    random: () => kernel.userRandom.next(),
    step: async () => {
      // A run checks its condition once before the first event too: false then, true after it.
      let checks = 0;
      const r = await scheduler.runUntil(() => checks++ > 0, { maxSteps: 1 });
      return r.steps > 0;
    },
    runUntilIdle: (opts) => scheduler.runUntilIdle(opts),
    advance: (ms, opts) => scheduler.advance(ms, opts),
    runUntil: (condition, opts) => scheduler.runUntil(condition, opts),
    get pendingTimers() {
      return scheduler.pendingTimers;
    },
  };
}
