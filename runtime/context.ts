// What a process sees of the world: its context, passed explicitly (no hidden globals).
// Both styles use it: `async (self) => { ... await self.receive() ... }` and
// `behavior((self, msg) => ...)`. The context keeps its process in a JavaScript-private
// field: nothing reachable from it (own or inherited, string or symbol keys, getters) leads
// to the engine, the scheduler or the trace.
import {
  cancelAllKeyed,
  cancelKeyed,
  cancelReceiveTimeout,
  cancelTimerRef,
  keyedActive,
  readTimer,
  sendAfter,
  setReceiveTimeout,
  startKeyed,
  startTimeout,
} from './core/process-timers.ts';
import { send } from './core/delivery.ts';
import { stash, unstashAll } from './core/stash.ts';
import { ranOutside, spawn, spawnMonitor, whenStarted } from './core/execution.ts';
import type { Proc } from './core/proc.ts';
import { register, unregister, whereis } from './core/registry.ts';
import { demonitor, exit, flushExit, link, monitor, signal, unlink } from './core/signals.ts';
import { ask, never, receive, receiveMatching, sleep as sleepFor } from './core/waits.ts';
import { ProcessEndedError, StartError } from './errors.ts';
import type { ExitReason, MonitorRef } from './exit.ts';
import type { SendOptions } from './message.ts';
import { toMatcher } from './pattern.ts';
import { isRef, type Ref } from './ref.ts';
import type { ReplyRef } from './reply.ts';
import type { AnyBody, AskOptions, Body, Context, ReceiveOptions, SpawnOptions, StartOptions, SystemMessage, TimerRef, Timers } from './process.ts';

// The process API's types live in process.ts; they are re-exported here, where they were first.
export type {
  AnyBody,
  AskOptions,
  Body,
  Clause,
  Context,
  ReceiveOptions,
  SpawnOptions,
  StartOptions,
  SystemMessage,
  TimeoutMessage,
  TimerRef,
  Timers,
} from './process.ts';

/** The context handed to process code; every call acts as this process. */
export class ProcessContext implements Context<unknown, SystemMessage> {
  readonly #proc: Proc;
  #timers: ProcessTimers | undefined;

  constructor(proc: Proc) {
    this.#proc = proc;
  }

  get ref(): Ref {
    return this.#proc.ref;
  }

  get name(): string | undefined {
    return this.#proc.name;
  }

  get parent(): Ref {
    return this.#proc.parent;
  }

  receive(pattern?: unknown, options?: ReceiveOptions): Promise<never> {
    const proc = this.#proc;
    if (proc.exited) return never();
    liveProc(proc);
    return receiveMatching(proc.kernel, proc, toMatcher(pattern), options?.after ?? Infinity) as Promise<never>;
  }

  select(clauses: readonly (readonly [unknown, (message: never) => unknown])[], options?: ReceiveOptions): Promise<never> {
    const proc = this.#proc;
    if (proc.exited) return never();
    liveProc(proc);
    if (!Array.isArray(clauses) || clauses.length === 0 || !clauses.every((c) => Array.isArray(c) && c.length === 2 && typeof c[1] === 'function')) {
      throw new TypeError('select takes a non-empty array of [pattern, handler] clauses');
    }
    const matchers = clauses.map((c) => toMatcher(c[0]));
    const pick = (msg: unknown): number => {
      for (let i = 0; i < matchers.length; i++) if (matchers[i]!(msg)) return i;
      return -1;
    };
    const handlers = clauses.map((c) => c[1] as (message: unknown) => unknown);
    return receive(proc.kernel, proc, pick, options?.after ?? Infinity, (msg, clause) => ({ msg, clause })).then((got) =>
      got === undefined ? undefined : handlers[got.clause]!(got.msg),
    ) as Promise<never>;
  }

  send(to: Ref | string, message: unknown, options?: SendOptions): void {
    const proc = liveProc(this.#proc);
    send(proc.kernel, proc, to, message, options);
  }

  ask(to: Ref | string, make: (replyTo: ReplyRef) => unknown, options?: AskOptions): Promise<never> {
    const proc = this.#proc;
    if (proc.exited) return never();
    liveProc(proc);
    return ask(proc.kernel, proc, to, make as (r: Ref) => unknown, options?.timeout ?? 5000) as Promise<never>;
  }

  spawn<C, CS extends SystemMessage>(body: Body<C, CS>, options?: SpawnOptions): Ref<C> {
    const proc = liveProc(this.#proc);
    return spawn(proc.kernel, proc, body as AnyBody, options) as Ref<C>;
  }

  spawnLink<C, CS extends SystemMessage>(body: Body<C, CS>, options?: Omit<SpawnOptions, 'link'>): Ref<C> {
    const proc = liveProc(this.#proc);
    return spawn(proc.kernel, proc, body as AnyBody, { ...options, link: true }) as Ref<C>;
  }

  spawnMonitor<C, CS extends SystemMessage>(body: Body<C, CS>, options?: Omit<SpawnOptions, 'link'>): { readonly ref: Ref<C>; readonly monitor: MonitorRef } {
    const proc = liveProc(this.#proc);
    return spawnMonitor(proc.kernel, proc, body as AnyBody, { name: options?.name }) as { ref: Ref<C>; monitor: MonitorRef };
  }

  async startLink<C, CS extends SystemMessage>(body: Body<C, CS>, options: StartOptions = {}): Promise<Ref<C>> {
    const proc = liveProc(this.#proc);
    const k = proc.kernel;
    const ref = spawn(k, proc, body as AnyBody, { name: options.name, link: true });
    await whenStarted(k, ref);
    if (proc.exited) return never();
    if (!k.isAlive(ref)) {
      // It ended during its start-up: the caller hears it once, as this error (OTP's {error, Reason}).
      unlink(k, proc, ref);
      flushExit(proc, ref);
      throw new StartError(options.name ?? k.label(ref), k.reasonOf(ref) ?? 'noproc');
    }
    if (options.restartOf !== undefined) {
      k.trace?.record({ kind: 'restart', supervisor: proc.pid, child: options.name ?? k.label(ref), old: options.restartOf.pid, new: ref.pid });
    }
    return ref as Ref<C>;
  }

  link(to: Ref): void {
    const proc = liveProc(this.#proc);
    link(proc.kernel, proc, checkedRef(to, 'link'));
  }

  unlink(to: Ref): void {
    const proc = liveProc(this.#proc);
    unlink(proc.kernel, proc, checkedRef(to, 'unlink'));
  }

  monitor(to: Ref): MonitorRef {
    const proc = liveProc(this.#proc);
    return monitor(proc.kernel, proc, checkedRef(to, 'monitor'));
  }

  demonitor(ref: MonitorRef, options?: { readonly flush?: boolean }): boolean {
    const proc = this.#proc;
    return demonitor(proc.kernel, proc, ref, options?.flush === true);
  }

  trapExit(on: boolean): void {
    liveProc(this.#proc).trapExit = on;
  }

  exit(toOrReason?: Ref | ExitReason, reason?: ExitReason): never {
    if (arguments.length >= 2 && isRef(toOrReason)) {
      const proc = liveProc(this.#proc);
      signal(proc.kernel, proc, toOrReason, reason!);
      return undefined as never;
    }
    const proc = this.#proc;
    exit(proc.kernel, proc, (toOrReason as ExitReason | undefined) ?? 'normal');
    throw new ProcessEndedError();
  }

  register(name: string): void {
    const proc = liveProc(this.#proc);
    register(proc.kernel, proc, name);
  }

  unregister(name: string): void {
    unregister(liveProc(this.#proc).kernel, name);
  }

  whereis<T>(name: string): Ref<T> | undefined {
    return whereis(this.#proc.kernel, name) as Ref<T> | undefined;
  }

  isAlive(ref: Ref): boolean {
    return this.#proc.kernel.isAlive(ref);
  }

  now(): number {
    return this.#proc.kernel.scheduler.now();
  }

  random(): number {
    return liveProc(this.#proc).kernel.userRandom.next();
  }

  sleep(ms: number): Promise<void> {
    const proc = this.#proc;
    if (proc.exited) return never();
    liveProc(proc);
    return sleepFor(proc.kernel, proc, ms);
  }

  setTimer(ms: number, message: unknown): TimerRef {
    const proc = liveProc(this.#proc);
    return sendAfter(proc.kernel, proc, ms, message);
  }

  startTimer(ms: number, message: unknown): TimerRef {
    const proc = liveProc(this.#proc);
    return startTimeout(proc.kernel, proc, ms, message);
  }

  cancelTimer(ref: TimerRef): number | false {
    const proc = this.#proc;
    return cancelTimerRef(proc.kernel, proc, ref);
  }

  readTimer(ref: TimerRef): number | false {
    const proc = this.#proc;
    return readTimer(proc.kernel, proc, ref);
  }

  get timers(): Timers<unknown> {
    return (this.#timers ??= new ProcessTimers(this.#proc));
  }

  setReceiveTimeout(ms: number, message: unknown): void {
    const proc = liveProc(this.#proc);
    setReceiveTimeout(proc.kernel, proc, checkedMs(ms, 'setReceiveTimeout'), message);
  }

  cancelReceiveTimeout(): void {
    const proc = this.#proc;
    cancelReceiveTimeout(proc.kernel, proc);
  }

  stash(): void {
    stash(liveProc(this.#proc));
  }

  unstashAll(): void {
    const proc = liveProc(this.#proc);
    unstashAll(proc.kernel, proc);
  }
}

/** The keyed timers of one process (`self.timers`). */
export class ProcessTimers implements Timers<unknown> {
  readonly #proc: Proc;

  constructor(proc: Proc) {
    this.#proc = proc;
  }

  start(key: string, ms: number, message: unknown): void {
    const proc = liveProc(this.#proc);
    startKeyed(proc.kernel, proc, checkedKey(key), checkedMs(ms, 'timers.start'), message, false);
  }

  startPeriodic(key: string, ms: number, message: unknown): void {
    const proc = liveProc(this.#proc);
    if (!(ms > 0)) throw new RangeError(`timers.startPeriodic needs an interval above 0 ms, got ${ms}`);
    startKeyed(proc.kernel, proc, checkedKey(key), ms, message, true);
  }

  cancel(key: string): void {
    const proc = this.#proc;
    cancelKeyed(proc.kernel, proc, checkedKey(key));
  }

  isActive(key: string): boolean {
    return keyedActive(this.#proc, checkedKey(key));
  }

  cancelAll(): void {
    const proc = this.#proc;
    cancelAllKeyed(proc.kernel, proc);
  }
}

/** For calls with an effect: a process that has ended can no longer act (its context's and its timers'). */
function liveProc(proc: Proc): Proc {
  if (proc.exited) throw new ProcessEndedError();
  if (proc.kernel.scheduler.outsideRun()) ranOutside(proc.kernel, proc);
  return proc;
}

function checkedRef(to: Ref, what: string): Ref {
  if (!isRef(to)) throw new TypeError(`${what} needs a Ref (from spawn, self.ref or a message), got ${to === null ? 'null' : typeof to}`);
  return to;
}

function checkedKey(key: string): string {
  if (typeof key !== 'string') throw new TypeError(`a timer key must be a string, got ${typeof key}`);
  return key;
}

function checkedMs(ms: number, what: string): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) throw new RangeError(`${what} needs a number of ms (0 or more), got ${String(ms)}`);
  return ms;
}
