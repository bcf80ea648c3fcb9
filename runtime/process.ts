// The process API as types: what a process is given (its `Context`), what it may be (a
// `Body`: an async loop or a `Behavior`), and the messages the runtime sends it. The context
// and the behaviour refer to each other, so both live here, below context.ts (the context's
// implementation) and behavior.ts (the behaviour constructors): nothing here imports either.
// Brands use Symbol.for so that behaviours made by one copy of the runtime are recognised by
// another (each kernel may load its own copy).
import type { DownMessage, ExitMessage, ExitReason, MonitorRef } from './exit.ts';
import type { SendOptions } from './message.ts';
import type { Matched, Pattern } from './pattern.ts';
import type { Ref } from './ref.ts';
import type { AskOptions, AskReply, ReplyRef } from './reply.ts';

export type { AskOptions } from './reply.ts';

export const BEHAVIOR = Symbol.for('mp.runtime.behavior');
export const STOP = Symbol.for('mp.runtime.stop');

export type Next<M, S extends SystemMessage = never> = Behavior<M, S> | Stop | void | undefined;

/** `S`: the system messages it handles (EXIT when it traps exits, DOWN when it monitors). */
export interface Behavior<M, S extends SystemMessage = never> {
  readonly [BEHAVIOR]: true;
  // Methods, not function-valued fields: a behaviour of some messages fits where one of any is expected.
  /** Runs once when the process starts (or when this behaviour is made by `setup`). */
  setup?(self: Context<M, S>): Behavior<M, S> | void | Promise<Behavior<M, S> | void>;
  receive?(self: Context<M, S>, message: M | S): Next<M, S> | Promise<Next<M, S>>;
  /** Runs before the process ends by itself (see BehaviorOptions.terminate). */
  terminate?(self: Context<M, S>, reason: ExitReason): void | Promise<void>;
}

export interface BehaviorOptions<M, S extends SystemMessage = never> {
  /**
   * Clean-up, as OTP's terminate/2 and Akka's PostStop: runs when the behaviour ends by itself —
   * it returns stop(reason), its handler throws, or (trapping exits) its parent sends it an exit
   * signal such as a supervisor's 'shutdown' — and can still send. Not run when the process is
   * killed, or ended by an exit signal it does not trap, or by self.exit.
   */
  readonly terminate?: (self: Context<M, S>, reason: ExitReason) => void | Promise<void>;
}

export interface Stop {
  readonly [STOP]: true;
  readonly reason: ExitReason;
}

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
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2>(
    clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>],
  ): Promise<Awaited<R1 | R2>>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2, const P3 extends Pattern<M | S>, R3>(
    clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>],
  ): Promise<Awaited<R1 | R2 | R3>>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2, const P3 extends Pattern<M | S>, R3, const P4 extends Pattern<M | S>, R4>(
    clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>, Clause<M | S, P4, R4>],
  ): Promise<Awaited<R1 | R2 | R3 | R4>>;
  select<
    const P1 extends Pattern<M | S>,
    R1,
    const P2 extends Pattern<M | S>,
    R2,
    const P3 extends Pattern<M | S>,
    R3,
    const P4 extends Pattern<M | S>,
    R4,
    const P5 extends Pattern<M | S>,
    R5,
  >(
    clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>, Clause<M | S, P4, R4>, Clause<M | S, P5, R5>],
  ): Promise<Awaited<R1 | R2 | R3 | R4 | R5>>;
  select<const P1 extends Pattern<M | S>, R1>(clauses: readonly [Clause<M | S, P1, R1>], options: ReceiveOptions): Promise<Awaited<R1> | undefined>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2>(
    clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>],
    options: ReceiveOptions,
  ): Promise<Awaited<R1 | R2> | undefined>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2, const P3 extends Pattern<M | S>, R3>(
    clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>],
    options: ReceiveOptions,
  ): Promise<Awaited<R1 | R2 | R3> | undefined>;
  select<const P1 extends Pattern<M | S>, R1, const P2 extends Pattern<M | S>, R2, const P3 extends Pattern<M | S>, R3, const P4 extends Pattern<M | S>, R4>(
    clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>, Clause<M | S, P4, R4>],
    options: ReceiveOptions,
  ): Promise<Awaited<R1 | R2 | R3 | R4> | undefined>;
  select<
    const P1 extends Pattern<M | S>,
    R1,
    const P2 extends Pattern<M | S>,
    R2,
    const P3 extends Pattern<M | S>,
    R3,
    const P4 extends Pattern<M | S>,
    R4,
    const P5 extends Pattern<M | S>,
    R5,
  >(
    clauses: readonly [Clause<M | S, P1, R1>, Clause<M | S, P2, R2>, Clause<M | S, P3, R3>, Clause<M | S, P4, R4>, Clause<M | S, P5, R5>],
    options: ReceiveOptions,
  ): Promise<Awaited<R1 | R2 | R3 | R4 | R5> | undefined>;
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
  spawnMonitor<C, CS extends SystemMessage = never>(
    body: Body<C, CS>,
    options?: Omit<SpawnOptions, 'link'>,
  ): { readonly ref: Ref<C>; readonly monitor: MonitorRef };
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
