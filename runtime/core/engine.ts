// The engine of one kernel: a table of processes sharing nothing but messages, driven by a
// scheduler. This file holds the state and the lookups; each part of a process's life is a
// module of its own, working on this state:
//   execution.ts  running process code: async loops, behaviours, start-up, crashes
//   delivery.ts   send → channel (FIFO per sender-receiver pair) → deliver → mailbox
//   waits.ts      receive, select, ask, sleep
//   signals.ts    links, monitors, exit signals, the end of a process
//   process-timers.ts  timers owned by processes (send_after, start_timer, keyed timers)
//   registry.ts   registered names
// Kernel hosts see it through the Kernel interface (../kernel.ts); process code through its
// context (../context.ts), which never hands out a reference to anything here.
import type { AnyBody, Body, SpawnOptions, SystemMessage } from '../context.ts';
import type { ExitReason } from '../exit.ts';
import type { Kernel, Router } from '../kernel.ts';
import type { SendOptions } from '../message.ts';
import type { Random } from '../prng.ts';
import { formatRef, makeRef, type Ref } from '../ref.ts';
import type { Scheduler } from '../scheduler.ts';
import type { Timer } from '../timers.ts';
import type { DropCause, Trace } from '../trace.ts';
import { deliver, drop, enqueue, send } from './delivery.ts';
import type { DeadLetter, Envelope, ProcessInfo } from './envelope.ts';
import { crash, spawn } from './execution.ts';
import { Proc } from './proc.ts';
import { register, unregister, whereis } from './registry.ts';
import { crashAll, peerDown, signal } from './signals.ts';
import { cancelTimer, startTimer } from './process-timers.ts';

/** Ended processes whose name and reason `info` still reports (the most recent ones). */
export const TOMBSTONES = 10_000;

export interface Tombstone {
  readonly name: string | undefined;
  readonly reason: ExitReason;
  readonly trapExit: boolean;
}

export class Engine implements Kernel {
  /** Live processes. An ended one leaves, so that a system that spawns without end stays bounded. */
  readonly procs = new Map<number, Proc>();
  /** What `info` says of ended processes: insertion order is the order they ended, oldest first. */
  readonly tombstones = new Map<number, Tombstone>();
  readonly registry = new Map<string, number>();
  readonly deadLetters: DeadLetter[] = [];
  /** The process whose code is running (for timers and globals created without a context). */
  current: Proc | undefined;
  router: Router | undefined;
  /** The sender of messages and signals from outside any process (pid 0). */
  readonly outside: Proc;
  /** False while the kernel is halted (a simulated kernel crash). */
  up = true;
  /** The generator behind `self.random()`: separate from scheduling, so using it does not change the schedule. */
  readonly userRandom: Random;
  /** What every channel of this kernel calls to deliver its next envelope. */
  readonly deliverer = (to: Proc, env: Envelope): void => deliver(this, to, env);

  constructor(
    readonly id: number,
    readonly scheduler: Scheduler,
    readonly trace: Trace | undefined,
  ) {
    this.userRandom = scheduler.random.fork(`user:${id}`);
    const outside = makeRef(id, 0);
    this.outside = new Proc(this, 0, outside, 'outside', outside);
    this.outside.started = true;
    scheduler.observe(() => this.awaitingOutside());
  }

  // ---- the Kernel interface (what kernel hosts use) ------------------------------------

  spawn<M, S extends SystemMessage = never>(parent: Proc | undefined, body: Body<M, S>, options?: SpawnOptions): Ref<M> {
    return spawn(this, parent, body as AnyBody, options) as Ref<M>;
  }

  spawnSink(name: string, deliver: (env: Envelope) => void): Proc {
    const pid = this.scheduler.nextPid();
    const proc = new Proc(this, pid, makeRef(this.id, pid), name, this.outside.ref);
    this.procs.set(pid, proc);
    this.trace?.label(pid, name);
    this.trace?.record({ kind: 'spawn', pid, parent: 0, name });
    proc.started = true;
    proc.sink = deliver;
    return proc;
  }

  send(from: Proc | undefined, to: Ref | string, message: unknown, options?: SendOptions): void {
    send(this, from, to, message, options);
  }

  signal(from: Proc | undefined, to: Ref, reason: ExitReason): void {
    signal(this, from, to, reason);
  }

  register(proc: Proc, name: string): void {
    register(this, proc, name);
  }

  unregister(name: string): void {
    unregister(this, name);
  }

  whereis(name: string): Ref | undefined {
    return whereis(this, name);
  }

  startTimer(proc: Proc, ms: number, fire: () => void): Timer {
    return startTimer(this, proc, ms, fire);
  }

  cancelTimer(proc: Proc, timer: Timer): void {
    cancelTimer(this, proc, timer);
  }

  crash(proc: Proc, err: unknown): void {
    crash(this, proc, err);
  }

  attach(router: Router): void {
    this.router = router;
  }

  enqueue(env: Envelope): void {
    enqueue(this, env);
  }

  drop(env: Envelope, cause: DropCause): void {
    drop(this, env, cause);
  }

  peerDown(kernel: number): void {
    peerDown(this, kernel);
  }

  halt(reason: ExitReason): void {
    if (!this.up) return;
    crashAll(this, reason);
    this.up = false;
  }

  resume(): void {
    this.up = true;
  }

  // ---- lookups ------------------------------------------------------------------------------

  isAlive(ref: Ref): boolean {
    if (ref.kernel !== this.id) return this.router?.isAlive(ref) ?? false;
    const proc = this.procs.get(ref.pid);
    return proc !== undefined && !proc.exited;
  }

  local(ref: Ref): Proc | undefined {
    return ref.kernel === this.id ? this.procs.get(ref.pid) : undefined;
  }

  /** A process on this kernel or, in a simulated cluster, on another kernel of the same world. */
  lookup(ref: Ref): Proc | undefined {
    return ref.kernel === this.id ? this.procs.get(ref.pid) : this.router?.proc?.(ref);
  }

  /** True when `to` lives in another thread: links and monitors are set up by messages. */
  isFar(to: Ref): boolean {
    return to.kernel !== this.id && this.router !== undefined && this.router.proc === undefined;
  }

  label(ref: Ref): string {
    return this.trace?.names.get(ref.pid) ?? (this.procs.get(ref.pid) ?? this.tombstones.get(ref.pid))?.name ?? formatRef(ref);
  }

  /** How a process ended, if it did (recently): for start_link and info. */
  reasonOf(ref: Ref): ExitReason | undefined {
    const proc = this.local(ref);
    if (proc !== undefined) return proc.reason;
    return ref.kernel === this.id ? this.tombstones.get(ref.pid)?.reason : undefined;
  }

  info(ref: Ref): ProcessInfo | undefined {
    const p = this.local(ref);
    if (p === undefined) {
      const ended = ref.kernel === this.id ? this.tombstones.get(ref.pid) : undefined;
      return (
        ended && {
          pid: ref.pid,
          name: ended.name,
          alive: false,
          reason: ended.reason,
          mailbox: 0,
          links: [],
          monitors: 0,
          trapExit: ended.trapExit,
          registered: [],
          timers: 0,
        }
      );
    }
    return {
      pid: p.pid,
      name: p.name,
      alive: !p.exited,
      reason: p.reason,
      mailbox: p.mailbox.length,
      links: [...(p.linkTable?.keys() ?? [])],
      monitors: p.watcherTable?.size ?? 0,
      trapExit: p.trapExit,
      registered: [...(p.nameTable ?? [])],
      timers: p.timerTable?.size ?? 0,
    };
  }

  /** Processes that have not ended (the kernel's own 'outside' sender excluded). */
  alive(): Proc[] {
    return [...this.procs.values()];
  }

  /**
   * Processes whose code waits for something the runtime does not control (a real
   * setTimeout, I/O, a promise shared through a variable): an async loop, or a behaviour in an
   * async handler, that waits for no message, no timer and no other process.
   */
  awaitingOutside(): number[] {
    const found: number[] = [];
    for (const p of this.procs.values()) {
      if (p.exited || p.sink !== undefined || !p.started || p.waits.length > 0 || (p.timerTable?.size ?? 0) > 0) continue;
      if (p.code === 'loop' || (p.code === 'behavior' && p.busy)) found.push(p.pid);
    }
    return found;
  }
}
