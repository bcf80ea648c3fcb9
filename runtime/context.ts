// What a process sees of the world: its context, passed explicitly (no hidden globals).
// Both styles use it: `async (self) => { ... await self.receive() ... }` and
// `behavior((self, msg) => ...)`. The context keeps its process in a JavaScript-private
// field: nothing reachable from it (own or inherited, string or symbol keys, getters) leads
// to the engine, the scheduler or the trace.
import type { Behavior } from './behavior.ts';
import { cancelAllKeyed, cancelKeyed, cancelReceiveTimeout, cancelTimerRef, keyedActive, readTimer, sendAfter, setReceiveTimeout, startKeyed, startTimeout } from './core/process-timers.ts';
import { send } from './core/delivery.ts';
import { stash, unstashAll } from './core/stash.ts';
import { ranOutside, spawn, spawnMonitor, whenStarted } from './core/execution.ts';
import type { Proc } from './core/proc.ts';
import { register, unregister, whereis } from './core/registry.ts';
import { demonitor, exit, flushExit, link, monitor, signal, unlink } from './core/signals.ts';
import { ask, never, receive, receiveMatching, sleep as sleepFor } from './core/waits.ts';
import { ProcessEndedError, StartError } from './errors.ts';
import type { DownMessage, ExitMessage, ExitReason, MonitorRef } from './exit.ts';
import type { SendOptions } from './message.ts';
import { toMatcher, type Matched, type Pattern } from './pattern.ts';
import { isRef, type Ref } from './ref.ts';
import type { AskReply, ReplyRef } from './reply.ts';

/**
 * A process body: an async loop (Erlang style) or a behaviour (handler per message). `S`: the
 * system messages it handles (see SystemMessage).
 */
export type Body<M, S extends SystemMessage = never> = ((self: Context<M, S>) => Promise<unknown> | unknown) | Behavior<M, S>;

/** Any body, whatever its message types (what the engine runs, and what a child spec starts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyBody = { run(self: Context<any, any>): Promise<unknown> | unknown }['run'] | Behavior<any, any>;

export interface SpawnOptions {
  /** A label for traces and charts (not a registered name). */
  readonly name?: string;
  /** Link the new process to the spawner before it starts (spawn_link). */
  readonly link?: boolean;
}

export interface StartOptions {
  /** A label for traces and charts (not a registered name). */
  readonly name?: string;
  /** The process this one replaces: the trace records a restart (old → new) once it has started. */
  readonly restartOf?: Ref;
}

export interface ReceiveOptions {
  /** Give up after this many ms (virtual ms in deterministic mode) and return undefined. 0 = only look. */
  readonly after?: number;
}

export interface AskOptions {
  /** Milliseconds to wait for the reply (default 5000). A reply after that is dropped. */
  readonly timeout?: number;
}

export interface TimerRef {
  readonly timer: number;
}

/** What `startTimer(ms, msg)` delivers (erlang:start_timer's {timeout, TimerRef, Msg}). */
export interface TimeoutMessage<T = unknown> {
  readonly type: 'timeout';
  readonly timer: TimerRef;
  readonly msg: T;
}

/**
 * Messages the runtime itself sends a process: EXIT (it traps exits), DOWN (it monitors),
 * timeout (it started a timer with startTimer). Name the ones a process handles as the second
 * type argument of its context, `Context<Msg, ExitMessage | DownMessage>`: `receive()` then
 * returns them too, and patterns can select them. Others cannot send them to its Ref.
 */
export type SystemMessage = ExitMessage | DownMessage | TimeoutMessage;

/** A clause of `select`: a pattern and what to do with the message it matches. */
export type Clause<M, P, R> = readonly [pattern: P, handler: (message: Matched<M, P>) => R];

/** Keyed timers (Akka's TimerScheduler). Each key has at most one timer. */
export interface Timers<M> {
  /** Sends `message` to this process after `ms`; a timer already started with this key is cancelled first. */
  start(key: string, ms: number, message: M): void;
  /** Sends `message` every `ms` until cancelled; replaces a timer started with this key. */
  startPeriodic(key: string, ms: number, message: M): void;
  /** Cancels it: its message is never received, even if it is already in the mailbox. */
  cancel(key: string): void;
  /** True while the timer of `key` is pending (a single timer that has fired is not). */
  isActive(key: string): boolean;
  cancelAll(): void;
}

export interface Context<M, S extends SystemMessage = never> {
  /** This process's reference: give it to others so they can send to you. */
  readonly ref: Ref<M>;
  /** The label given at spawn, if any. */
  readonly name: string | undefined;
  /** The process that spawned this one; `<k.0>` ('outside') for a process spawned from outside. */
  readonly parent: Ref;

  /** Waits for the first message in the mailbox that matches (any message when no pattern). */
  receive(): Promise<M | S>;
  receive<const P extends Pattern<M | S> | readonly Pattern<M | S>[]>(pattern: P): Promise<Matched<M | S, P>>;
  receive(pattern: undefined, options: ReceiveOptions): Promise<M | S | undefined>;
  receive<const P extends Pattern<M | S> | readonly Pattern<M | S>[]>(pattern: P, options: ReceiveOptions): Promise<Matched<M | S, P> | undefined>;

  /**
   * A receive with several clauses, as Erlang's: takes the first message (mailbox order) that
   * matches any clause's pattern, runs the handler of the first clause it matches (each pattern
   * is tried once per message), and resolves to what the handler returned. With `after`,
   * resolves to undefined if no message matches in time.
   */
  select<const P1 extends Pattern<M | S>, R1>(clauses: readonly [Clause<M | S, P1, R1>]): Promise<Awaited<R1>>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2>(clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>]): Promise<Awaited<R1 | R2>>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2, const P3 extends Pattern<M | S>, R3>(clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>]): Promise<Awaited<R1 | R2 | R3>>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2, const P3 extends Pattern<M | S>, R3, const P4 extends Pattern<M | S>, R4>(clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>, Clause<M | S, P4, R4>]): Promise<Awaited<R1 | R2 | R3 | R4>>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2, const P3 extends Pattern<M | S>, R3, const P4 extends Pattern<M | S>, R4, const P5 extends Pattern<M | S>, R5>(clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>, Clause<M | S, P4, R4>, Clause<M | S, P5, R5>]): Promise<Awaited<R1 | R2 | R3 | R4 | R5>>;
  select<const P1 extends Pattern<M | S>, R1>(clauses: readonly [Clause<M | S, P1, R1>], options: ReceiveOptions): Promise<Awaited<R1> | undefined>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2>(clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>], options: ReceiveOptions): Promise<Awaited<R1 | R2> | undefined>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2, const P3 extends Pattern<M | S>, R3>(clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>], options: ReceiveOptions): Promise<Awaited<R1 | R2 | R3> | undefined>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2, const P3 extends Pattern<M | S>, R3, const P4 extends Pattern<M | S>, R4>(clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>, Clause<M | S, P4, R4>], options: ReceiveOptions): Promise<Awaited<R1 | R2 | R3 | R4> | undefined>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2, const P3 extends Pattern<M | S>, R3, const P4 extends Pattern<M | S>, R4, const P5 extends Pattern<M | S>, R5>(clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>, Clause<M | S, P4, R4>, Clause<M | S, P5, R5>], options: ReceiveOptions): Promise<Awaited<R1 | R2 | R3 | R4 | R5> | undefined>;
  /** More than five clauses: handlers get the messages untyped. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  select(clauses: readonly (readonly [Pattern<M | S>, (message: any) => unknown])[], options?: ReceiveOptions): Promise<unknown>;

  /** Sends a copy of `message` (never blocks, never fails for a dead receiver: it becomes a dead letter). */
  send<T>(to: Ref<T> | string, message: T, options?: SendOptions): void;
  /**
   * Request/reply: sends `make(replyTo)` and waits for one reply on `replyTo`. The reply's type
   * comes from the protocol: `to` is a `Ref<T>`, the request is one of the messages T, and the
   * field in which it carries `replyTo` is a `Ref<R>`: the ask resolves to an R. Name it,
   * `ask<R>(…)` or `ask<R, T>(…)`, when the protocol cannot say (`to` a name or a bare `Ref`).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ask<R = never, T = any, const M extends T = T>(to: Ref<T> | string, make: (replyTo: ReplyRef) => M, options?: AskOptions): Promise<AskReply<R, T, M>>;

  spawn<C, CS extends SystemMessage = never>(body: Body<C, CS>, options?: SpawnOptions): Ref<C>;
  spawnLink<C, CS extends SystemMessage = never>(body: Body<C, CS>, options?: Omit<SpawnOptions, 'link'>): Ref<C>;
  /** spawn_monitor: spawns and monitors at once (a DOWN arrives even if it ends before running). */
  spawnMonitor<C, CS extends SystemMessage = never>(body: Body<C, CS>, options?: Omit<SpawnOptions, 'link'>): { readonly ref: Ref<C>; readonly monitor: MonitorRef };
  /**
   * proc_lib:start_link: spawns linked and resolves once its start-up code (the synchronous
   * part of its body, or its setup) has run. If it ends before, rejects with a StartError
   * carrying its reason, and its EXIT is discarded.
   */
  startLink<C, CS extends SystemMessage = never>(body: Body<C, CS>, options?: StartOptions): Promise<Ref<C>>;

  /** Bidirectional, idempotent. Linking to a process that is gone throws NoProcError (trapping: an EXIT 'noproc' arrives). */
  link(to: Ref): void;
  unlink(to: Ref): void;
  /** One-way, stackable. Monitoring a process that is gone delivers DOWN with 'noproc' at once. */
  monitor(to: Ref): MonitorRef;
  /** Removes the monitor; a DOWN on its way is discarded (with `flush`, one already in the mailbox too). True if it was active. */
  demonitor(monitor: MonitorRef, options?: { readonly flush?: boolean }): boolean;
  /** When on, exit signals (except 'kill') arrive as { type: 'EXIT', from, reason } messages. */
  trapExit(on: boolean): void;

  /**
   * Ends this process with `reason` (default 'normal') at once, and throws ProcessEndedError to
   * unwind its code. Code that catches it goes on running, but every call it makes throws again
   * (or, for receive, ask and sleep, never returns): it cannot send, spawn or receive.
   */
  exit(reason?: ExitReason): never;
  /** Sends an exit signal to another process ('kill' cannot be trapped). */
  exit(to: Ref, reason: ExitReason): void;

  register(name: string): void;
  unregister(name: string): void;
  whereis<T = unknown>(name: string): Ref<T> | undefined;
  isAlive(ref: Ref): boolean;

  /** Milliseconds on the system clock (virtual in deterministic mode). */
  now(): number;
  /** A float in [0, 1) from the system's seeded generator. */
  random(): number;
  /** Waits `ms` without blocking other processes. Messages stay in the mailbox. */
  sleep(ms: number): Promise<void>;
  /** Sends `message` to this process after `ms` (erlang:send_after). Cancelled if the process ends. */
  setTimer(ms: number, message: M): TimerRef;
  /** Sends { type: 'timeout', timer, msg: message } to this process after `ms` (erlang:start_timer). */
  startTimer<T>(ms: number, message: T): TimerRef;
  /** Cancels a pending timer; returns the ms that were left, or false if it had fired or was cancelled. */
  cancelTimer(timer: TimerRef): number | false;
  /** The ms left before a pending timer fires, or false. */
  readTimer(timer: TimerRef): number | false;
  /** Timers by key: starting a key again replaces its timer, and a cancelled timer's message never arrives. */
  readonly timers: Timers<M>;
  /** After `ms` without a message, `message` arrives (once per quiet spell; each message taken restarts the wait). */
  setReceiveTimeout(ms: number, message: M): void;
  cancelReceiveTimeout(): void;

  /** In a behaviour's handler: puts the message being handled aside (at most 1,000). */
  stash(): void;
  /** Puts every stashed message back at the front of the mailbox, in order: they are handled next. */
  unstashAll(): void;
}

/** The context handed to process code; every call acts as this process. */
export class ProcessContext implements Context<unknown, SystemMessage> {
  readonly #proc: Proc;
  #timers: ProcessTimers | undefined;

  constructor(proc: Proc) {
    this.#proc = proc;
  }

  /** For calls with an effect: a process that has ended can no longer act. */
  #live(): Proc {
    const proc = this.#proc;
    if (proc.exited) throw new ProcessEndedError();
    if (proc.kernel.scheduler.outsideRun()) ranOutside(proc.kernel, proc);
    return proc;
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
    this.#live();
    return receiveMatching(proc.kernel, proc, toMatcher(pattern), options?.after ?? Infinity) as Promise<never>;
  }

  select(clauses: readonly (readonly [unknown, (message: never) => unknown])[], options?: ReceiveOptions): Promise<never> {
    const proc = this.#proc;
    if (proc.exited) return never();
    this.#live();
    if (!Array.isArray(clauses) || clauses.length === 0 || !clauses.every((c) => Array.isArray(c) && c.length === 2 && typeof c[1] === 'function')) {
      throw new TypeError('select takes a non-empty array of [pattern, handler] clauses');
    }
    const matchers = clauses.map((c) => toMatcher(c[0]));
    const pick = (msg: unknown): number => {
      for (let i = 0; i < matchers.length; i++) if (matchers[i]!(msg)) return i;
      return -1;
    };
    const handlers = clauses.map((c) => c[1] as (message: unknown) => unknown);
    return receive(proc.kernel, proc, pick, options?.after ?? Infinity, (msg, clause) => ({ msg, clause }))
      .then((got) => (got === undefined ? undefined : handlers[got.clause]!(got.msg))) as Promise<never>;
  }

  send(to: Ref | string, message: unknown, options?: SendOptions): void {
    const proc = this.#live();
    send(proc.kernel, proc, to, message, options);
  }

  ask(to: Ref | string, make: (replyTo: ReplyRef) => unknown, options?: AskOptions): Promise<never> {
    const proc = this.#proc;
    if (proc.exited) return never();
    this.#live();
    return ask(proc.kernel, proc, to, make as (r: Ref) => unknown, options?.timeout ?? 5000) as Promise<never>;
  }

  spawn<C, CS extends SystemMessage>(body: Body<C, CS>, options?: SpawnOptions): Ref<C> {
    const proc = this.#live();
    return spawn(proc.kernel, proc, body as AnyBody, options) as Ref<C>;
  }

  spawnLink<C, CS extends SystemMessage>(body: Body<C, CS>, options?: Omit<SpawnOptions, 'link'>): Ref<C> {
    const proc = this.#live();
    return spawn(proc.kernel, proc, body as AnyBody, { ...options, link: true }) as Ref<C>;
  }

  spawnMonitor<C, CS extends SystemMessage>(body: Body<C, CS>, options?: Omit<SpawnOptions, 'link'>): { readonly ref: Ref<C>; readonly monitor: MonitorRef } {
    const proc = this.#live();
    return spawnMonitor(proc.kernel, proc, body as AnyBody, { name: options?.name }) as { ref: Ref<C>; monitor: MonitorRef };
  }

  async startLink<C, CS extends SystemMessage>(body: Body<C, CS>, options: StartOptions = {}): Promise<Ref<C>> {
    const proc = this.#live();
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
    const proc = this.#live();
    link(proc.kernel, proc, checkedRef(to, 'link'));
  }

  unlink(to: Ref): void {
    const proc = this.#live();
    unlink(proc.kernel, proc, checkedRef(to, 'unlink'));
  }

  monitor(to: Ref): MonitorRef {
    const proc = this.#live();
    return monitor(proc.kernel, proc, checkedRef(to, 'monitor'));
  }

  demonitor(ref: MonitorRef, options?: { readonly flush?: boolean }): boolean {
    const proc = this.#proc;
    return demonitor(proc.kernel, proc, ref, options?.flush === true);
  }

  trapExit(on: boolean): void {
    this.#live().trapExit = on;
  }

  exit(toOrReason?: Ref | ExitReason, reason?: ExitReason): never {
    if (arguments.length >= 2 && isRef(toOrReason)) {
      const proc = this.#live();
      signal(proc.kernel, proc, toOrReason, reason!);
      return undefined as never;
    }
    const proc = this.#proc;
    exit(proc.kernel, proc, (toOrReason as ExitReason | undefined) ?? 'normal');
    throw new ProcessEndedError();
  }

  register(name: string): void {
    const proc = this.#live();
    register(proc.kernel, proc, name);
  }

  unregister(name: string): void {
    unregister(this.#live().kernel, name);
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
    return this.#live().kernel.userRandom.next();
  }

  sleep(ms: number): Promise<void> {
    const proc = this.#proc;
    if (proc.exited) return never();
    this.#live();
    return sleepFor(proc.kernel, proc, ms);
  }

  setTimer(ms: number, message: unknown): TimerRef {
    const proc = this.#live();
    return sendAfter(proc.kernel, proc, ms, message);
  }

  startTimer(ms: number, message: unknown): TimerRef {
    const proc = this.#live();
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
    const proc = this.#live();
    setReceiveTimeout(proc.kernel, proc, checkedMs(ms, 'setReceiveTimeout'), message);
  }

  cancelReceiveTimeout(): void {
    const proc = this.#proc;
    cancelReceiveTimeout(proc.kernel, proc);
  }

  stash(): void {
    stash(this.#live());
  }

  unstashAll(): void {
    const proc = this.#live();
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
