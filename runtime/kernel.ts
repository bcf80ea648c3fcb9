// A kernel: a table of processes sharing nothing but messages, with their mailboxes,
// links, monitors and registry, driven by a scheduler. The life of a message:
//   send (copy at the send site) → channel (FIFO per sender-receiver pair) → the scheduler
//   picks the channel → deliver (to a waiting receive, a behaviour, or the mailbox).
// Exit signals and DOWN messages travel the same channels, so they keep their order with
// the messages of the same sender (as in Erlang).
import { isBehavior, isStop, type Behavior } from './behavior.ts';
import type { AskOptions, Body, Context, ReceiveOptions, SpawnOptions, TimerRef } from './context.ts';
import { AskTargetExitedError, AskTimeoutError, MessageError, NoSuchNameError, ProcessEndedError, RegistryError } from './errors.ts';
import { errorReason, type DownMessage, type ExitMessage, type ExitReason, type MonitorRef } from './exit.ts';
import { seal, type SendOptions } from './message.ts';
import { toMatcher } from './pattern.ts';
import { Queue } from './queue.ts';
import type { Random } from './prng.ts';
import { formatRef, isRef, makeRef, type Ref } from './ref.ts';
import type { Scheduler, Source } from './scheduler.ts';
import type { Timer } from './timers.ts';
import type { DropCause, Trace } from './trace.ts';

/** What travels in a channel. */
export interface Envelope {
  readonly id: number;
  readonly from: number;
  /** The sender's kernel (processes on other kernels are addressed by kernel and pid). */
  readonly fromKernel: number;
  readonly to: number;
  /** msg/exit/down travel to processes; link/unlink/monitor/demonitor set up links and monitors with a process on a kernel in another thread. */
  readonly kind: 'msg' | 'exit' | 'down' | 'link' | 'unlink' | 'monitor' | 'demonitor';
  readonly msg: unknown;
  /** Reply alias (kind 'msg'), monitor id (kind 'down'). */
  readonly tag?: number;
  /** Exit signals: 'link' when caused by a linked process ending; 'kill' when untrappable. */
  readonly via?: 'link' | 'exit' | 'kill';
  /** Set at delivery when the envelope belongs to a pending ask (its reply or its DOWN). */
  ask?: number;
  /** The message holds buffers sent with `transfer`: hand them over, not copy, at a thread boundary. */
  moved?: boolean;
}

interface Wait {
  readonly matches: (env: Envelope) => boolean;
  readonly take: (env: Envelope) => void;
  timer?: Timer;
}

/** Inbound channels a process keeps before the idle ones are swept. */
const SWEEP_AT = 64;

/** The messages from one sender to one receiver, in order. */
class Channel implements Source {
  readyIndex = -1;
  /** Used since the last sweep of its receiver's channels. */
  used = true;
  readonly queue = new Queue<Envelope>();
  constructor(private readonly kernel: Kernel, readonly to: Proc) {}
  fire(): boolean {
    const env = this.queue.shift()!;
    this.kernel.deliver(this.to, env);
    return this.queue.length > 0;
  }
}

export class Proc {
  readonly mailbox = new Queue<Envelope>();
  readonly waits: Wait[] = [];
  readonly inbound = new Map<number, Channel>();
  /** The channel used last, and its sender: most processes hear from one peer at a time. */
  lastFrom = -1;
  lastChannel: Channel | undefined;
  /** Inbound channels beyond which empty ones are swept away. */
  sweepAt = SWEEP_AT;
  /** Linked processes: pid → ref (pids are unique across kernels: one scheduler, or disjoint shares of them). */
  readonly links = new Map<number, Ref>();
  /** Monitors held by this process: monitor id → target (and the ask it serves, if any). */
  readonly watching = new Map<number, { target: Ref; ask?: number }>();
  /** Monitors on this process: monitor id → watcher. */
  readonly watchers = new Map<number, Ref>();
  readonly aliases = new Set<number>();
  readonly timers = new Set<Timer>();
  readonly names = new Set<string>();
  trapExit = false;
  exited = false;
  reason: ExitReason | undefined;
  started = false;
  /** Behaviour processes: the current behaviour, and whether a handler is still running. */
  behavior: Behavior<unknown> | undefined;
  busy = false;
  resumeQueued = false;
  /** Woken when the process's code has started (supervisors start children one after another). */
  readonly startWaiters: (() => void)[] = [];
  /** A harness-owned process that hands every delivery to the test side instead of running code. */
  sink: ((env: Envelope) => void) | undefined;
  readonly ctx: ProcessContext;

  constructor(readonly kernel: Kernel, readonly pid: number, readonly ref: Ref, readonly name: string | undefined) {
    this.ctx = new ProcessContext(this);
  }
}

const ENDED = new ProcessEndedError('this process has ended; its remaining code does not run');

export interface DeadLetter {
  readonly t: number;
  readonly from: number;
  readonly to: number;
  readonly msg: unknown;
  readonly cause: DropCause;
}

export interface ProcessInfo {
  readonly pid: number;
  readonly name: string | undefined;
  readonly alive: boolean;
  readonly reason: ExitReason | undefined;
  readonly mailbox: number;
  readonly links: number[];
  readonly monitors: number;
  readonly trapExit: boolean;
  readonly registered: string[];
  readonly timers: number;
}

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

/** Ended processes whose name and reason `info` still reports (the most recent ones). */
const TOMBSTONES = 10_000;

interface Tombstone {
  readonly name: string | undefined;
  readonly reason: ExitReason;
  readonly trapExit: boolean;
}

export class Kernel {
  /** Live processes. An ended one leaves, so that a system that spawns without end stays bounded. */
  readonly procs = new Map<number, Proc>();
  /** What `info` says of ended processes: insertion order is the order they ended, oldest first. */
  private readonly tombstones = new Map<number, Tombstone>();
  readonly registry = new Map<string, number>();
  readonly deadLetters: DeadLetter[] = [];
  /** The process whose code is running (for timers and globals created without a context). */
  current: Proc | undefined;
  router: Router | undefined;
  private readonly outside: Proc;
  /** False while a simulated kernel is crashed. */
  up = true;
  /** The generator behind `self.random()`: separate from scheduling, so using it does not change the schedule. */
  readonly userRandom: Random;

  constructor(readonly id: number, readonly scheduler: Scheduler, readonly trace: Trace | undefined) {
    this.userRandom = scheduler.random.fork(`user:${id}`);
    this.outside = new Proc(this, 0, makeRef(id, 0), 'outside');
    this.outside.started = true;
  }

  // ---- spawning ----------------------------------------------------------------------

  spawn<M>(parent: Proc | undefined, body: Body<M>, options: SpawnOptions = {}): Ref<M> {
    if (typeof body !== 'function' && !isBehavior(body)) {
      throw new TypeError('spawn needs an async function (self) => { ... } or a behavior(...)');
    }
    const pid = this.scheduler.nextPid();
    const proc = new Proc(this, pid, makeRef(this.id, pid), options.name);
    this.procs.set(pid, proc);
    if (options.name !== undefined) this.trace?.label(pid, options.name);
    this.trace?.record({ kind: 'spawn', pid, parent: parent?.pid ?? 0, name: options.name });
    if (options.link && parent) {
      parent.links.set(pid, proc.ref);
      proc.links.set(parent.pid, parent.ref);
    }
    this.scheduler.task(() => this.start(proc, body as Body<unknown>));
    return proc.ref as Ref<M>;
  }

  /** Resolves once the process's code has started (its synchronous part has run), as OTP's start_link. */
  whenStarted(ref: Ref): Promise<void> {
    const proc = this.local(ref);
    if (proc === undefined || proc.started || proc.exited) return Promise.resolve();
    return new Promise((resolve) => proc.startWaiters.push(() => this.resumeWith(resolve, undefined)));
  }

  private start(proc: Proc, body: Body<unknown>): void {
    if (proc.exited) return;
    proc.started = true;
    this.current = proc;
    try {
      this.run(proc, body);
    } finally {
      for (const wake of proc.startWaiters.splice(0)) wake();
    }
  }

  private run(proc: Proc, body: Body<unknown>): void {
    if (typeof body === 'function') {
      this.scheduler.settleNeeded = true;
      let result: unknown;
      try {
        result = body(proc.ctx);
      } catch (err) {
        this.ended(proc, err);
        return;
      }
      Promise.resolve(result).then(
        () => this.exit(proc, 'normal'),
        (err) => this.ended(proc, err),
      );
      return;
    }
    proc.behavior = body;
    this.become(proc, body);
  }

  /** Ends a process because code running on its behalf threw `err` (let it crash). */
  crash(proc: Proc, err: unknown): void {
    this.ended(proc, err);
  }

  /** A process's code threw or rejected: it ends with an error reason (unless it had already ended). */
  private ended(proc: Proc, err: unknown): void {
    if (err === ENDED || err instanceof ProcessEndedError) return;
    this.exit(proc, errorReason(err));
  }

  // ---- behaviours ----------------------------------------------------------------------

  /** Installs a behaviour, running its setup if it has one, then handles waiting messages. */
  private become(proc: Proc, next: Behavior<unknown>): void {
    let current = next;
    for (let guard = 0; current.setup; guard++) {
      if (guard > 1000) throw new Error('setup() keeps returning setup behaviours');
      let made: unknown;
      try {
        made = current.setup(proc.ctx);
      } catch (err) {
        this.ended(proc, err);
        return;
      }
      if (isThenable(made)) {
        proc.busy = true;
        this.scheduler.settleNeeded = true;
        made.then(
          (b) => {
            proc.busy = false;
            if (proc.exited) return;
            if (!isBehavior(b)) {
              this.exit(proc, errorReason(new TypeError('setup() must return a behavior')));
              return;
            }
            this.become(proc, b);
          },
          (err) => this.ended(proc, err),
        );
        return;
      }
      if (!isBehavior(made)) {
        this.exit(proc, errorReason(new TypeError('setup() must return a behavior(...)')));
        return;
      }
      current = made;
    }
    proc.behavior = current;
    this.resumeLater(proc);
  }

  private handle(proc: Proc, env: Envelope): void {
    const behavior = proc.behavior!;
    this.current = proc;
    let next: unknown;
    try {
      next = behavior.receive!(proc.ctx, env.msg);
    } catch (err) {
      this.ended(proc, err);
      return;
    }
    if (isThenable(next)) {
      proc.busy = true;
      this.scheduler.settleNeeded = true;
      next.then(
        (n) => {
          proc.busy = false;
          if (!proc.exited) this.afterHandler(proc, n);
        },
        (err) => this.ended(proc, err),
      );
      return;
    }
    if (next !== undefined) this.afterHandler(proc, next);
  }

  private afterHandler(proc: Proc, next: unknown): void {
    if (next === undefined || next === null) {
      this.resumeLater(proc);
    } else if (isStop(next)) {
      this.exit(proc, next.reason);
    } else if (isBehavior(next)) {
      if (next.setup) this.become(proc, next);
      else {
        proc.behavior = next;
        this.resumeLater(proc);
      }
    } else {
      this.exit(proc, errorReason(new TypeError(
        'a behavior handler must return a behavior, stop(...), or nothing',
      )));
    }
  }

  /** A behaviour became free with messages waiting: handle the next one as a separate event. */
  private resumeLater(proc: Proc): void {
    if (proc.resumeQueued || proc.busy || proc.exited) return;
    if (proc.mailbox.findIndex(isUserEnvelope) < 0) return;
    proc.resumeQueued = true;
    this.scheduler.task(() => {
      proc.resumeQueued = false;
      if (proc.exited || proc.busy || !proc.behavior?.receive) return;
      const i = proc.mailbox.findIndex(isUserEnvelope);
      if (i < 0) return;
      const env = proc.mailbox.removeAt(i);
      this.trace?.received(proc.pid, env.id);
      this.handle(proc, env);
      this.resumeLater(proc);
    });
  }

  // ---- sending and delivery ----------------------------------------------------------------

  send(from: Proc | undefined, to: Ref | string, message: unknown, options?: SendOptions): void {
    const sender = from ?? this.outside;
    if (sender.exited) throw ENDED;
    const target = this.resolve(to); // an unknown name fails before anything is copied or moved
    // Across a thread the encoding is the snapshot, so no copy is needed (unless the trace records the message).
    if (target.kernel !== this.id && this.trace === undefined && options?.transfer === undefined &&
      this.router?.sendFar?.(this, sender.pid, target, message)) return;
    const msg = seal(message, options?.transfer);
    this.transmit(sender.pid, target, 'msg', msg, target.alias, undefined, this.id, options?.transfer !== undefined && options.transfer.length > 0);
  }

  resolve(to: Ref | string): Ref {
    if (typeof to === 'string') {
      const pid = this.registry.get(to);
      if (pid === undefined) throw new NoSuchNameError(to);
      return this.procs.get(pid)!.ref;
    }
    if (!isRef(to)) {
      throw new TypeError(`cannot send to ${describe(to)}: expected a Ref (from spawn, self.ref or a message) or a registered name`);
    }
    return to;
  }

  /** Puts an envelope on its way: into the channel from `from` to the target. */
  transmit(from: number, target: Ref, kind: Envelope['kind'], msg: unknown, tag?: number, via?: Envelope['via'], fromKernel = this.id, moved = false): void {
    const env: Envelope = { id: this.scheduler.nextId(), from, fromKernel, to: target.pid, kind, msg, tag, via, moved };
    if (kind === 'msg') this.trace?.sent(from, target.pid, env.id, msg);
    else if (kind === 'exit') this.trace?.record({ kind: 'signal', from, to: target.pid, reason: msg as ExitReason });
    if (target.kernel !== this.id) {
      if (!this.router) throw new Error(`no route to kernel ${target.kernel}`);
      this.router.transmit(this, env, target);
      return;
    }
    this.enqueue(env);
  }

  /** Accepts an envelope for a local process (from this kernel or from the network). */
  enqueue(env: Envelope): void {
    if (!this.up) {
      this.drop(env, 'kernel-down');
      return;
    }
    const proc = this.procs.get(env.to);
    if (proc === undefined || proc.exited) {
      this.undeliverable(env);
      return;
    }
    let channel = proc.lastFrom === env.from ? proc.lastChannel! : proc.inbound.get(env.from);
    if (channel === undefined) {
      if (proc.inbound.size >= proc.sweepAt) this.sweepChannels(proc);
      channel = new Channel(this, proc);
      proc.inbound.set(env.from, channel);
    }
    proc.lastFrom = env.from;
    proc.lastChannel = channel;
    channel.used = true;
    channel.queue.push(env);
    this.scheduler.makeReady(channel);
  }

  /**
   * A long-lived server hears from many short-lived senders: forget the channels that are
   * empty (an empty channel holds no order to keep) and unused since the last sweep (so that
   * steady senders keep theirs). Amortised: the next sweep waits until the table has doubled.
   */
  private sweepChannels(proc: Proc): void {
    for (const [from, channel] of proc.inbound) {
      if (channel.used) channel.used = false;
      else if (channel.queue.length === 0 && channel.readyIndex < 0) proc.inbound.delete(from);
    }
    if (!proc.inbound.has(proc.lastFrom)) {
      proc.lastFrom = -1;
      proc.lastChannel = undefined;
    }
    proc.sweepAt = Math.max(SWEEP_AT, proc.inbound.size * 2);
  }

  drop(env: Envelope, cause: DropCause): void {
    if (env.kind !== 'msg' && env.kind !== 'exit') return; // control and DOWN envelopes for nobody
    this.trace?.record({ kind: 'drop', from: env.from, to: env.to, id: env.id, cause, msg: env.msg });
    if (env.kind !== 'msg') return;
    this.deadLetters.push({ t: this.scheduler.now(), from: env.from, to: env.to, msg: env.msg, cause });
    if (this.deadLetters.length > 1000) this.deadLetters.shift();
  }

  /** An envelope for a process that is gone. A reply to an ask counts as a late reply. */
  private undeliverable(env: Envelope): void {
    if (env.kind === 'link' || env.kind === 'monitor') this.refuseControl(env);
    else this.drop(env, env.kind === 'msg' && env.tag !== undefined ? 'late-reply' : 'dead');
  }

  deliver(proc: Proc, env: Envelope): void {
    if (proc.exited) {
      this.undeliverable(env);
      return;
    }
    if (env.kind === 'msg') { // the common case first
      if (env.tag !== undefined) {
        if (!proc.aliases.has(env.tag)) {
          this.drop(env, 'late-reply');
          return;
        }
        env.ask = env.tag;
      }
      this.offer(proc, env);
      return;
    }
    switch (env.kind) {
      case 'exit':
        this.exitSignal(proc, env);
        return;
      case 'link':
      case 'unlink':
      case 'monitor':
      case 'demonitor':
        this.remoteControl(proc, env);
        return;
      case 'down': {
        const held = proc.watching.get(env.tag!);
        if (held === undefined) return; // demonitored: discard
        proc.watching.delete(env.tag!);
        // A 'down' envelope carries the exit reason; the DOWN message is made here.
        const down: DownMessage = Object.freeze({
          type: 'DOWN',
          monitor: Object.freeze({ monitor: env.tag! }),
          ref: held.target,
          reason: env.msg as ExitReason,
        });
        this.offer(proc, { ...env, msg: down, ask: held.ask });
        return;
      }
    }
  }

  private offer(proc: Proc, env: Envelope): void {
    if (proc.sink) {
      this.trace?.delivered(env.from, proc.pid, env.id, 0);
      proc.sink(env);
      return;
    }
    const waits = proc.waits;
    for (let i = 0; i < waits.length; i++) {
      const wait = waits[i]!;
      let matched: boolean;
      try {
        matched = wait.matches(env);
      } catch (err) {
        // A receive pattern that throws is the receiving process's bug: it crashes, nobody else.
        waits.splice(i, 1);
        proc.mailbox.push(env);
        this.ended(proc, err);
        return;
      }
      if (matched) {
        waits.splice(i, 1);
        if (wait.timer) this.cancelTimer(proc, wait.timer);
        this.trace?.delivered(env.from, proc.pid, env.id, 0);
        this.current = proc;
        wait.take(env);
        return;
      }
    }
    if (proc.behavior?.receive && !proc.busy && env.ask === undefined && proc.started && !proc.resumeQueued) {
      this.trace?.delivered(env.from, proc.pid, env.id, 0);
      this.handle(proc, env);
      return;
    }
    proc.mailbox.push(env);
    this.trace?.delivered(env.from, proc.pid, env.id, proc.mailbox.length);
  }

  // ---- receiving ----------------------------------------------------------------------------

  receive(proc: Proc, pattern: unknown, options: ReceiveOptions | undefined): Promise<unknown> {
    if (proc.exited) return Promise.reject(ENDED);
    const match = toMatcher(pattern);
    const i = proc.mailbox.findIndex((env) => env.ask === undefined && match(userMessage(env)));
    if (i >= 0) {
      const env = proc.mailbox.removeAt(i);
      this.trace?.received(proc.pid, env.id);
      return Promise.resolve(userMessage(env));
    }
    const after = options?.after ?? Infinity;
    if (after <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const wait: Wait = {
        matches: (env) => env.ask === undefined && match(userMessage(env)),
        take: (env) => this.resumeWith(resolve, userMessage(env)),
      };
      if (after !== Infinity) {
        wait.timer = this.startTimer(proc, after, () => {
          removeWait(proc, wait);
          this.resumeWith(resolve, undefined);
        });
      }
      proc.waits.push(wait);
    });
  }

  /** Resumes async process code; the scheduler lets it run before picking the next event. */
  private resumeWith<T>(resolve: (value: T) => void, value: T): void {
    this.scheduler.settleNeeded = true;
    resolve(value);
  }

  sleep(proc: Proc, ms: number): Promise<void> {
    if (proc.exited) return Promise.reject(ENDED);
    return new Promise((resolve) => {
      this.startTimer(proc, ms, () => this.resumeWith(resolve, undefined));
    });
  }

  ask(proc: Proc, to: Ref | string, make: (replyTo: Ref) => unknown, options: AskOptions | undefined): Promise<unknown> {
    if (proc.exited) return Promise.reject(ENDED);
    const timeout = options?.timeout ?? 5000;
    const target = this.resolve(to);
    const askId = this.scheduler.nextId();
    const replyTo = makeRef(this.id, proc.pid, askId);
    const request = make(replyTo);
    proc.aliases.add(askId);
    const monitor = this.monitor(proc, target, askId);
    try {
      this.send(proc, target, request);
    } catch (err) {
      proc.aliases.delete(askId);
      this.demonitor(proc, monitor);
      return Promise.reject(err);
    }
    const label = this.label(target);
    return new Promise((resolve, reject) => {
      const finish = () => {
        proc.aliases.delete(askId);
        this.demonitor(proc, monitor);
      };
      const wait: Wait = {
        matches: (env) => env.ask === askId,
        take: (env) => {
          finish();
          if (env.kind === 'down') this.resumeWith(reject, new AskTargetExitedError(label, (env.msg as DownMessage).reason));
          else this.resumeWith(resolve, env.msg);
        },
      };
      wait.timer = this.startTimer(proc, timeout, () => {
        removeWait(proc, wait);
        finish();
        this.resumeWith(reject, new AskTimeoutError(label, timeout));
      });
      proc.waits.push(wait);
    });
  }

  // ---- timers ---------------------------------------------------------------------------------

  startTimer(proc: Proc, ms: number, fire: () => void): Timer {
    const id = this.scheduler.nextId();
    const timer: Timer = this.scheduler.setTimer(ms, () => {
      proc.timers.delete(timer);
      if (proc.exited) return; // a timer never outlives its process
      this.trace?.record({ kind: 'timer', pid: proc.pid, op: 'fire', timer: id, due: timer.due });
      this.current = proc;
      fire();
    }, id);
    proc.timers.add(timer);
    this.trace?.record({ kind: 'timer', pid: proc.pid, op: 'set', timer: id, due: timer.due });
    return timer;
  }

  cancelTimer(proc: Proc, timer: Timer): void {
    if (!proc.timers.delete(timer)) return;
    this.scheduler.cancelTimer(timer);
    this.trace?.record({ kind: 'timer', pid: proc.pid, op: 'cancel', timer: timer.id, due: timer.due });
  }

  sendAfter(proc: Proc, ms: number, message: unknown): TimerRef {
    const msg = seal(message);
    const timer = this.startTimer(proc, ms, () => this.transmit(proc.pid, proc.ref, 'msg', msg));
    const ref = Object.freeze({ timer: timer.id });
    timerRefs.set(ref, timer);
    return ref;
  }

  // ---- links, monitors, exits -------------------------------------------------------------------

  /** True when `to` lives in another thread: links and monitors are set up by messages. */
  private isFar(to: Ref): boolean {
    return to.kernel !== this.id && this.router !== undefined && this.router.proc === undefined;
  }

  link(proc: Proc, to: Ref): void {
    if (to.pid === proc.pid) return;
    proc.links.set(to.pid, to);
    if (this.isFar(to)) {
      this.transmit(proc.pid, to, 'link', null);
      return;
    }
    const target = this.lookup(to);
    if (target === undefined || target.exited) {
      // As in Erlang: linking to a process that is gone delivers an exit signal 'noproc'.
      this.transmit(to.pid, proc.ref, 'exit', 'noproc', undefined, 'link', to.kernel);
      return;
    }
    target.links.set(proc.pid, proc.ref);
  }

  unlink(proc: Proc, to: Ref): void {
    proc.links.delete(to.pid);
    if (this.isFar(to)) this.transmit(proc.pid, to, 'unlink', null);
    else this.lookup(to)?.links.delete(proc.pid);
  }

  monitor(proc: Proc, to: Ref, ask?: number): MonitorRef {
    const id = this.scheduler.nextId();
    proc.watching.set(id, { target: to, ask });
    if (this.isFar(to)) {
      this.transmit(proc.pid, to, 'monitor', null, id);
    } else {
      const target = this.lookup(to);
      if (target === undefined || target.exited) this.transmit(to.pid, proc.ref, 'down', 'noproc', id, undefined, to.kernel);
      else target.watchers.set(id, proc.ref);
    }
    return Object.freeze({ monitor: id });
  }

  demonitor(proc: Proc, monitor: MonitorRef): void {
    const held = proc.watching.get(monitor.monitor);
    if (held === undefined) return;
    proc.watching.delete(monitor.monitor);
    if (this.isFar(held.target)) this.transmit(proc.pid, held.target, 'demonitor', null, monitor.monitor);
    else this.lookup(held.target)?.watchers.delete(monitor.monitor);
  }

  /** A link or monitor request from a process in another thread. */
  private remoteControl(proc: Proc, env: Envelope): void {
    const from = makeRef(env.fromKernel, env.from);
    switch (env.kind) {
      case 'link':
        proc.links.set(env.from, from);
        return;
      case 'unlink':
        proc.links.delete(env.from);
        return;
      case 'monitor':
        proc.watchers.set(env.tag!, from);
        return;
      case 'demonitor':
        proc.watchers.delete(env.tag!);
        return;
    }
  }

  /** A request for a process that is gone: answer as Erlang does (noproc). */
  private refuseControl(env: Envelope): void {
    const from = makeRef(env.fromKernel, env.from);
    if (env.kind === 'link') this.transmit(env.to, from, 'exit', 'noproc', undefined, 'link');
    else if (env.kind === 'monitor') this.transmit(env.to, from, 'down', 'noproc', env.tag);
  }

  /**
   * Another thread's kernel is gone: everything linked to or monitoring its processes
   * learns it with reason 'noconnection', as when an Erlang node goes down.
   */
  peerDown(kernel: number): void {
    for (const proc of this.procs.values()) {
      if (proc.exited) continue;
      for (const [id, held] of proc.watching) {
        if (held.target.kernel === kernel) this.enqueue({ id: this.scheduler.nextId(), from: held.target.pid, fromKernel: kernel, to: proc.pid, kind: 'down', msg: 'noconnection', tag: id });
      }
      for (const linked of proc.links.values()) {
        if (linked.kernel === kernel) this.enqueue({ id: this.scheduler.nextId(), from: linked.pid, fromKernel: kernel, to: proc.pid, kind: 'exit', msg: 'noconnection', via: 'link' });
      }
    }
  }

  /** exit/2: send an exit signal to another process. */
  signal(from: Proc | undefined, to: Ref, reason: ExitReason): void {
    const sender = from ?? this.outside;
    this.transmit(sender.pid, to, 'exit', seal(reason), undefined, reason === 'kill' ? 'kill' : 'exit');
  }

  private exitSignal(proc: Proc, env: Envelope): void {
    const reason = env.msg as ExitReason;
    if (env.via === 'link') {
      if (!proc.links.has(env.from)) return; // unlinked meanwhile: the signal is void
      proc.links.delete(env.from);
    }
    if (env.via === 'kill') {
      this.exit(proc, 'killed');
    } else if (proc.trapExit) {
      const message: ExitMessage = Object.freeze({ type: 'EXIT', from: makeRef(env.fromKernel, env.from), reason });
      this.offer(proc, { ...env, kind: 'msg', msg: message });
    } else if (reason === 'normal') {
      if (env.from === proc.pid) this.exit(proc, 'normal'); // exit(self(), normal) ends the caller
    } else {
      this.exit(proc, reason);
    }
  }

  /** Ends a process: its timers are cancelled, names released, links and monitors notified. */
  exit(proc: Proc, reason: ExitReason): void {
    if (proc.exited || proc === this.outside) return;
    reason = sendable(reason);
    proc.exited = true;
    proc.reason = reason;
    for (const wake of proc.startWaiters.splice(0)) wake(); // ended before it started: nobody waits for ever
    proc.behavior = undefined;
    for (const timer of proc.timers) this.scheduler.cancelTimer(timer);
    proc.timers.clear();
    proc.waits.length = 0;
    proc.mailbox.clear();
    proc.aliases.clear();
    for (const name of proc.names) this.registry.delete(name);
    proc.names.clear();
    this.trace?.record({ kind: 'exit', pid: proc.pid, reason });
    for (const [id, held] of proc.watching) this.lookup(held.target)?.watchers.delete(id);
    proc.watching.clear();
    for (const linked of proc.links.values()) {
      this.transmit(proc.pid, linked, 'exit', reason, undefined, 'link');
    }
    proc.links.clear();
    for (const [id, watcher] of proc.watchers) this.transmit(proc.pid, watcher, 'down', reason, id);
    proc.watchers.clear();
    proc.inbound.clear();
    proc.lastChannel = undefined;
    this.procs.delete(proc.pid);
    this.tombstones.set(proc.pid, { name: proc.name, reason, trapExit: proc.trapExit });
    if (this.tombstones.size > TOMBSTONES) this.tombstones.delete(this.tombstones.keys().next().value!);
  }

  /** A kernel crash: every process on it ends with `reason` (for simulated kernels). */
  crashAll(reason: ExitReason): void {
    for (const proc of this.procs.values()) this.exit(proc, reason);
  }

  // ---- registry ---------------------------------------------------------------------------------

  register(proc: Proc, name: string): void {
    if (typeof name !== 'string' || name === '') throw new RegistryError('a registered name must be a non-empty string');
    if (proc.exited) throw ENDED;
    const holder = this.registry.get(name);
    if (holder !== undefined && holder !== proc.pid) {
      throw new RegistryError(`the name "${name}" is already registered by ${this.label(this.procs.get(holder)!.ref)}`);
    }
    if (proc.names.size > 0 && !proc.names.has(name)) {
      throw new RegistryError(`this process is already registered as "${[...proc.names][0]}" (one name per process)`);
    }
    this.registry.set(name, proc.pid);
    proc.names.add(name);
    if (!this.trace?.names.has(proc.pid)) this.trace?.label(proc.pid, name);
  }

  unregister(name: string): void {
    const pid = this.registry.get(name);
    if (pid === undefined) return;
    this.registry.delete(name);
    this.procs.get(pid)?.names.delete(name);
  }

  whereis(name: string): Ref | undefined {
    const pid = this.registry.get(name);
    return pid === undefined ? undefined : this.procs.get(pid)!.ref;
  }

  // ---- lookups ------------------------------------------------------------------------------------

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

  label(ref: Ref): string {
    return this.trace?.names.get(ref.pid) ?? (this.procs.get(ref.pid) ?? this.tombstones.get(ref.pid))?.name ?? formatRef(ref);
  }

  info(ref: Ref): ProcessInfo | undefined {
    const p = this.local(ref);
    if (p === undefined) {
      const ended = ref.kernel === this.id ? this.tombstones.get(ref.pid) : undefined;
      return ended && {
        pid: ref.pid, name: ended.name, alive: false, reason: ended.reason, mailbox: 0,
        links: [], monitors: 0, trapExit: ended.trapExit, registered: [], timers: 0,
      };
    }
    return {
      pid: p.pid,
      name: p.name,
      alive: !p.exited,
      reason: p.reason,
      mailbox: p.mailbox.length,
      links: [...p.links.keys()],
      monitors: p.watchers.size,
      trapExit: p.trapExit,
      registered: [...p.names],
      timers: p.timers.size,
    };
  }

  /** Processes that have not ended (the system's own 'outside' sender excluded). */
  alive(): Proc[] {
    return [...this.procs.values()];
  }
}

/**
 * An exit reason as linked and monitoring processes get it: a frozen copy, as a message is
 * (on any kernel, in any thread). A reason that could not be sent becomes an error saying so.
 */
function sendable(reason: ExitReason): ExitReason {
  if (typeof reason === 'string') return reason;
  try {
    return seal(reason);
  } catch (err) {
    if (!(err instanceof MessageError)) throw err;
    return errorReason(new MessageError(`the process ended with a reason that cannot be sent to the processes linked to or monitoring it: ${err.message}`));
  }
}

const timerRefs = new WeakMap<TimerRef, Timer>();

function isUserEnvelope(env: Envelope): boolean {
  return env.ask === undefined;
}

function userMessage(env: Envelope): unknown {
  return env.msg;
}

function removeWait(proc: Proc, wait: Wait): void {
  const i = proc.waits.indexOf(wait);
  if (i >= 0) proc.waits.splice(i, 1);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object that is not a Ref' : `a ${typeof value}`;
}

/** The context handed to process code; every call acts as this process. */
export class ProcessContext implements Context<unknown> {
  constructor(private readonly proc: Proc) {}

  get ref(): Ref {
    return this.proc.ref;
  }

  get name(): string | undefined {
    return this.proc.name;
  }

  receive(pattern?: unknown, options?: ReceiveOptions): Promise<never> {
    return this.proc.kernel.receive(this.proc, pattern, options) as Promise<never>;
  }

  send(to: Ref | string, message: unknown, options?: SendOptions): void {
    this.proc.kernel.send(this.proc, to, message, options);
  }

  ask<R>(to: Ref | string, make: (replyTo: Ref<R>) => unknown, options?: AskOptions): Promise<R> {
    return this.proc.kernel.ask(this.proc, to, make as (r: Ref) => unknown, options) as Promise<R>;
  }

  spawn<C>(body: Body<C>, options?: SpawnOptions): Ref<C> {
    this.alive();
    return this.proc.kernel.spawn(this.proc, body, options);
  }

  spawnLink<C>(body: Body<C>, options?: Omit<SpawnOptions, 'link'>): Ref<C> {
    this.alive();
    return this.proc.kernel.spawn(this.proc, body, { ...options, link: true });
  }

  link(to: Ref): void {
    this.alive();
    this.proc.kernel.link(this.proc, to);
  }

  unlink(to: Ref): void {
    this.alive();
    this.proc.kernel.unlink(this.proc, to);
  }

  monitor(to: Ref): MonitorRef {
    this.alive();
    return this.proc.kernel.monitor(this.proc, to);
  }

  demonitor(monitor: MonitorRef): void {
    this.proc.kernel.demonitor(this.proc, monitor);
  }

  trapExit(on: boolean): void {
    this.alive();
    this.proc.trapExit = on;
  }

  exit(toOrReason?: Ref | ExitReason, reason?: ExitReason): never {
    if (arguments.length >= 2 && isRef(toOrReason)) {
      this.alive();
      this.proc.kernel.signal(this.proc, toOrReason, reason!);
      return undefined as never;
    }
    this.proc.kernel.exit(this.proc, (toOrReason as ExitReason | undefined) ?? 'normal');
    throw ENDED;
  }

  register(name: string): void {
    this.proc.kernel.register(this.proc, name);
  }

  unregister(name: string): void {
    this.proc.kernel.unregister(name);
  }

  whereis<T>(name: string): Ref<T> | undefined {
    return this.proc.kernel.whereis(name) as Ref<T> | undefined;
  }

  isAlive(ref: Ref): boolean {
    return this.proc.kernel.isAlive(ref);
  }

  now(): number {
    return this.proc.kernel.scheduler.now();
  }

  random(): number {
    return this.proc.kernel.userRandom.next();
  }

  sleep(ms: number): Promise<void> {
    return this.proc.kernel.sleep(this.proc, ms);
  }

  setTimer(ms: number, message: unknown): TimerRef {
    this.alive();
    return this.proc.kernel.sendAfter(this.proc, ms, message);
  }

  cancelTimer(ref: TimerRef): void {
    const timer = timerRefs.get(ref);
    if (timer) this.proc.kernel.cancelTimer(this.proc, timer);
  }

  private alive(): void {
    if (this.proc.exited) throw ENDED;
  }
}

// Supervisors report restarts to the trace through this hook (a Symbol.for key, so that a
// supervisor from another copy of the runtime module finds it too).
Object.defineProperty(ProcessContext.prototype, Symbol.for('mp.runtime.started'), {
  value(this: ProcessContext, ref: Ref): Promise<void> {
    return (this as unknown as { proc: Proc }).proc.kernel.whenStarted(ref);
  },
});

Object.defineProperty(ProcessContext.prototype, Symbol.for('mp.runtime.restart'), {
  value(this: ProcessContext, child: string, old: Ref | undefined, now: Ref) {
    const proc = (this as unknown as { proc: Proc }).proc;
    proc.kernel.trace?.record({ kind: 'restart', supervisor: proc.pid, child, old: old?.pid ?? 0, new: now.pid });
  },
});
