// The interface between the runtime and what hosts kernels: simulated clusters, the
// worker-thread bridge, the harness's kernel host. A kernel host creates kernels here, routes
// envelopes between them, and drives processes from outside; it never writes the engine's
// fields. Process code sees none of this: it gets its context (context.ts).
import type { Body, SpawnOptions, SystemMessage } from './context.ts';
import { Engine } from './core/engine.ts';
import type { DeadLetter, Envelope, ProcessInfo } from './core/envelope.ts';
import type { Proc } from './core/proc.ts';
import type { ExitReason } from './exit.ts';
import type { SendOptions } from './message.ts';
import type { Random } from './prng.ts';
import type { Ref } from './ref.ts';
import type { Scheduler } from './scheduler.ts';
import type { Timer } from './timers.ts';
import type { DropCause, Trace } from './trace.ts';

export type { DeadLetter, Envelope, ProcessInfo, Proc };

/** Routes envelopes to processes on other kernels (simulated network, worker bridge). */
export interface Router {
  transmit(from: Kernel, env: Envelope, target: Ref): void;
  /**
   * Sends a user message to another kernel, encoding it at once: the encoding is the snapshot
   * that the copy at send would be (later changes by the sender must not show), and a message
   * that cannot be sent throws as the copy would. Returns false if it does not take the
   * message; the kernel then copies it and calls `transmit`.
   */
  sendFar?(from: Kernel, sender: number, target: Ref, message: unknown): boolean;
  isAlive(target: Ref): boolean;
  /** Simulated clusters share one thread: links and monitors across kernels use the peer's record. */
  proc?(target: Ref): Proc | undefined;
}

/** One kernel, as a kernel host uses it. */
export interface Kernel {
  readonly id: number;
  readonly scheduler: Scheduler;
  readonly trace: Trace | undefined;
  /** The generator behind `self.random()` (and a kernel's virtual Math.random). */
  readonly userRandom: Random;
  /** The most recent 1000 messages that found no receiver. */
  readonly deadLetters: readonly DeadLetter[];
  /** Live processes by pid (read-only: hosts look, the engine changes). */
  readonly procs: ReadonlyMap<number, Proc>;
  /** The process whose code is running now (for timers created without a context). */
  readonly current: Proc | undefined;
  /** False while halted. */
  readonly up: boolean;

  // ---- processes, driven from outside ----
  /** Spawns a process; `parent` undefined: from outside (its parent is the kernel's 'outside', pid 0). */
  spawn<M, S extends SystemMessage = never>(parent: Proc | undefined, body: Body<M, S>, options?: SpawnOptions): Ref<M>;
  /** A process that runs no code: every envelope delivered to it goes to `deliver` (the test's own process). */
  spawnSink(name: string, deliver: (env: Envelope) => void): Proc;
  /** Sends as `from` (undefined: from outside). */
  send(from: Proc | undefined, to: Ref | string, message: unknown, options?: SendOptions): void;
  /** exit/2 as `from` (undefined: from outside). */
  signal(from: Proc | undefined, to: Ref, reason: ExitReason): void;
  register(proc: Proc, name: string): void;
  unregister(name: string): void;
  whereis(name: string): Ref | undefined;
  isAlive(ref: Ref): boolean;
  info(ref: Ref): ProcessInfo | undefined;
  /** Processes that have not ended. */
  alive(): Proc[];
  /** The local process of a ref, if it is alive. */
  local(ref: Ref): Proc | undefined;

  // ---- code a host runs on behalf of a process (virtual timers and globals) ----
  /** A timer owned by `proc`: it never fires after `proc` has ended. */
  startTimer(proc: Proc, ms: number, fire: () => void): Timer;
  cancelTimer(proc: Proc, timer: Timer): void;
  /** Ends `proc` because code running on its behalf threw `err` (let it crash). */
  crash(proc: Proc, err: unknown): void;

  // ---- routing between kernels ----
  /** Sets the router that carries envelopes for other kernels. */
  attach(router: Router): void;
  /** Accepts an envelope for a process of this kernel (from the network or another thread). */
  enqueue(env: Envelope): void;
  /** Records an envelope lost on its way (trace, dead letters). */
  drop(env: Envelope, cause: DropCause): void;
  /** A kernel in another thread is gone: links and monitors to its processes see 'noconnection'. */
  peerDown(kernel: number): void;
  /** A kernel crash: every process ends with `reason`, and envelopes for it are lost until `resume`. */
  halt(reason: ExitReason): void;
  /** Brings a halted kernel back, empty. */
  resume(): void;
}

/** A kernel `id` driven by `scheduler` (kernels sharing a scheduler run together), recording into `trace`. */
export function createKernel(id: number, scheduler: Scheduler, trace: Trace | undefined): Kernel {
  return new Engine(id, scheduler, trace);
}
