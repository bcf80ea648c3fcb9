// What a process sees of the world: its context, passed explicitly (no hidden globals).
// Both styles use it: `async (self) => { ... await self.receive() ... }` and
// `behavior((self, msg) => ...)`.
import type { Behavior } from './behavior.ts';
import type { ExitReason, MonitorRef } from './exit.ts';
import type { SendOptions } from './message.ts';
import type { Matched, Pattern } from './pattern.ts';
import type { Ref } from './ref.ts';

/** A process body: an async loop (Erlang style) or a behaviour (handler per message). */
export type Body<M> = ((self: Context<M>) => Promise<unknown> | unknown) | Behavior<M>;

export interface SpawnOptions {
  /** A label for traces and charts (not a registered name). */
  readonly name?: string;
  /** Link the new process to the spawner before it starts (spawn_link). */
  readonly link?: boolean;
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

export interface Context<M> {
  /** This process's reference: give it to others so they can send to you. */
  readonly ref: Ref<M>;
  /** The label given at spawn, if any. */
  readonly name: string | undefined;

  /** Waits for the first message in the mailbox that matches (any message when no pattern). */
  receive(): Promise<M>;
  receive<const P extends Pattern<M> | readonly Pattern<M>[]>(pattern: P): Promise<Matched<M, P>>;
  receive(pattern: undefined, options: ReceiveOptions): Promise<M | undefined>;
  receive<const P extends Pattern<M> | readonly Pattern<M>[]>(pattern: P, options: ReceiveOptions): Promise<Matched<M, P> | undefined>;

  /** Sends a copy of `message` (never blocks, never fails for a dead receiver: it becomes a dead letter). */
  send<T>(to: Ref<T> | string, message: T, options?: SendOptions): void;
  /** Request/reply: sends `make(replyTo)` and waits for one reply on `replyTo`. */
  ask<R, T = any>(to: Ref<T> | string, make: (replyTo: Ref<R>) => T, options?: AskOptions): Promise<R>;

  spawn<C>(body: Body<C>, options?: SpawnOptions): Ref<C>;
  spawnLink<C>(body: Body<C>, options?: Omit<SpawnOptions, 'link'>): Ref<C>;

  /** Bidirectional, idempotent. Linking to a process that is gone delivers an exit signal 'noproc'. */
  link(to: Ref): void;
  unlink(to: Ref): void;
  /** One-way, stackable. Monitoring a process that is gone delivers DOWN with 'noproc' at once. */
  monitor(to: Ref): MonitorRef;
  /** Removes the monitor; a DOWN already on its way is discarded. */
  demonitor(monitor: MonitorRef): void;
  /** When on, exit signals (except 'kill') arrive as { type: 'EXIT', from, reason } messages. */
  trapExit(on: boolean): void;

  /** Ends this process with `reason` (default 'normal'). Code after it does not run. */
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
  cancelTimer(timer: TimerRef): void;
}
