// The scheduler decides what happens next. Work comes from *sources*: a channel (the
// messages from one sender to one receiver, delivered in order) or a task (start a
// process, fire a timer, resume a behaviour). In deterministic mode a seeded PRNG picks
// the next source among all that are ready, and time is virtual: it moves only when
// nothing is ready and the next timer is due, or when the caller advances it. Same seed,
// same choices, same trace. In real-time mode the same loop runs on its own in the
// background, timers are real, and `now()` is wall-clock milliseconds since start.
import { createRandom, type Random } from './prng.ts';
import { Queue } from './queue.ts';
import { TimerHeap, type Timer } from './timers.ts';

export type Mode = 'deterministic' | 'realtime';

export interface Source {
  /** Position in the ready list, or -1 when not ready. */
  readyIndex: number;
  /** Do one unit of work. Returns true if the source still has work (stays ready). */
  fire(): boolean;
}

export interface RunOptions {
  /** Stop after this many events (default 1,000,000): a safety net against livelock. */
  readonly maxSteps?: number;
  /** Do not move virtual time beyond now + maxTime ms (default: no limit). */
  readonly maxTime?: number;
}

export interface RunReport {
  /** True when nothing was left to do: no message in flight, no timer pending. */
  readonly idle: boolean;
  readonly steps: number;
  readonly now: number;
  readonly stoppedBy: 'idle' | 'max-steps' | 'max-time' | 'condition';
  /**
   * Pids of processes that, when the run ended, were waiting for a promise the runtime does not
   * control (a real setTimeout, I/O, a promise handed over through a variable): what they do
   * next depends on real time, not on the seed. Absent when there are none.
   */
  readonly awaitingOutside?: readonly number[];
  /** Pids of processes whose code ran between runs (resumed by such a promise) since the previous run. Absent when none. */
  readonly ranOutside?: readonly number[];
}

export class Task implements Source {
  readyIndex = -1;
  constructor(private readonly run: () => void) {}
  fire(): boolean {
    this.run();
    return false;
  }
}

const realSetImmediate = globalThis.setImmediate;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realNextTick: ((fn: () => void) => void) | undefined =
  typeof globalThis.process?.nextTick === 'function' ? globalThis.process.nextTick.bind(globalThis.process) : undefined;
/**
 * A settled promise and `then`, taken before any process code runs: `then` on it queues a
 * microtask as `queueMicrotask` does, at the same point of the queue, without the async
 * resource and bound function Node's `queueMicrotask` makes per call (a settle per step in
 * deterministic mode, a start of the loop per batch in real time).
 */
const settledPromise = Promise.resolve();
const promiseThen = Promise.prototype.then;

export class Scheduler {
  readonly random: Random;
  private readonly ready: Source[] = [];
  private readonly runQueue = new Queue<Source>();
  private readonly timers = new TimerHeap();
  private virtualNow = 0;
  private readonly startedAt = performance.now();
  private clock: ReturnType<typeof setTimeout> | undefined;
  private clockDue = Infinity;
  private kicked = false;
  private idleWaiters: (() => void)[] = [];
  /** Set when a step let asynchronous process code run: wait for it before the next pick. */
  settleNeeded = false;
  private pidCounter = 0;
  private idCounter = 0;
  private running = false;
  steps = 0;
  /** Kernels on this scheduler, asked at the end of a run which processes wait for something outside the runtime. */
  private readonly observers: (() => number[])[] = [];
  private readonly outside = new Set<number>();

  /**
   * `ids`: this scheduler's share of pids and ids when kernels in several threads, each with
   * its own scheduler, exchange them: it hands out index + k × count only, so processes,
   * monitors and aliases of different threads never share a number.
   */
  constructor(
    readonly mode: Mode,
    seed: number,
    private readonly ids: { index: number; count: number } = { index: 0, count: 1 },
  ) {
    this.random = createRandom(seed).fork('scheduler');
  }

  now(): number {
    return this.mode === 'deterministic' ? this.virtualNow : Math.floor(performance.now() - this.startedAt);
  }

  nextPid(): number {
    return ++this.pidCounter * this.ids.count + this.ids.index;
  }

  /** Ids for messages, monitors, aliases and timers: unique and reproducible. */
  nextId(): number {
    return ++this.idCounter * this.ids.count + this.ids.index;
  }

  /** A kernel on this scheduler: `awaiting` lists its processes that wait for something outside the runtime. */
  observe(awaiting: () => number[]): void {
    this.observers.push(awaiting);
  }

  /** True when process code runs now although no run is in progress (deterministic mode): real time resumed it. */
  outsideRun(): boolean {
    return !this.running && this.mode === 'deterministic';
  }

  /** Notes a process whose code ran outside a run, for the next report. False if it was already noted. */
  ranOutside(pid: number): boolean {
    if (this.outside.has(pid)) return false;
    this.outside.add(pid);
    return true;
  }

  makeReady(source: Source): void {
    if (source.readyIndex >= 0) return;
    if (this.mode === 'realtime') {
      // Real time needs no choice between ready sources: round-robin in arrival order.
      source.readyIndex = 0;
      this.runQueue.push(source);
      this.kick();
      return;
    }
    source.readyIndex = this.ready.length;
    this.ready.push(source);
  }

  task(run: () => void): void {
    this.makeReady(new Task(run));
  }

  get readyCount(): number {
    return this.ready.length + this.runQueue.length;
  }

  /** Live timers (not fired, not cancelled). */
  get pendingTimers(): number {
    return this.timers.size;
  }

  setTimer(delay: number, fire: () => void, id = 0): Timer {
    const due = this.now() + Math.max(0, delay);
    const timer = this.timers.add(due, fire, id);
    if (this.mode === 'realtime') this.armClock();
    return timer;
  }

  cancelTimer(timer: Timer): void {
    this.timers.cancel(timer); // real time: the one armed clock finds it cancelled and moves on
  }

  /**
   * Real time keeps its timers in the same heap and arms a single real timer for the
   * earliest one (a real setTimeout per timer would cost more than the messages it guards:
   * every ask sets one).
   */
  private armClock(): void {
    const next = this.timers.peek();
    if (next === undefined) return;
    if (this.clock !== undefined && this.clockDue <= next.due) return;
    if (this.clock !== undefined) realClearTimeout(this.clock);
    this.clockDue = next.due;
    this.clock = realSetTimeout(this.ring, Math.max(0, next.due - this.now()));
  }

  private readonly ring = (): void => {
    this.clock = undefined;
    this.clockDue = Infinity;
    const now = this.now();
    for (let timer = this.timers.popDue(now); timer; timer = this.timers.popDue(now)) this.task(timer.fire);
    this.armClock();
    if (this.runQueue.length === 0) this.checkIdleSoon();
  };

  /**
   * Real time: may a message for a process waiting in receive be handed over at once, without
   * the run queue? Mostly yes; every 16th goes the usual way, so that the loop's regular turn
   * of the event loop (I/O, real timers) still comes during a long exchange of such messages.
   */
  handOver(): boolean {
    if ((++this.handOvers & 15) === 0) return false;
    this.checkIdleSoon(); // no loop runs for it: whoever waits for idle must still hear of it
    return true;
  }

  private handOvers = 0;

  private checkIdleSoon(): void {
    if (this.idleWaiters.length > 0 && !this.idleCheckQueued) {
      this.idleCheckQueued = true;
      realSetImmediate(this.checkIdle);
    }
  }

  /** Real time: the source at the head of the run queue goes next. */
  private stepRealtime(): boolean {
    const source = this.runQueue.shift();
    if (source === undefined) return false;
    if (source.fire()) this.runQueue.push(source);
    else source.readyIndex = -1;
    this.steps++;
    return true;
  }

  /** Runs one ready source, chosen by the seeded PRNG. Returns false if none was ready. */
  step(): boolean {
    const ready = this.ready;
    const n = ready.length;
    if (n === 0) return false;
    const i = n === 1 ? 0 : Math.floor(this.random.next() * n);
    const source = ready[i]!;
    if (!source.fire()) this.unready(source);
    this.steps++;
    return true;
  }

  private unready(source: Source): void {
    const i = source.readyIndex;
    if (i < 0) return;
    const ready = this.ready;
    const last = ready.pop()!;
    if (last !== source) {
      ready[i] = last;
      last.readyIndex = i;
    }
    source.readyIndex = -1;
  }

  /** Moves timers that are due into the ready list (deterministic mode). */
  private promoteDueTimers(): void {
    for (let timer = this.timers.popDue(this.virtualNow); timer; timer = this.timers.popDue(this.virtualNow)) {
      this.task(timer.fire);
    }
  }

  /**
   * Deterministic mode: run until nothing is left to do, moving virtual time forward to
   * each next timer. Real-time mode: wait until the system has gone idle.
   */
  async runUntilIdle(options: RunOptions = {}): Promise<RunReport> {
    if (this.mode === 'realtime') return this.waitIdle();
    const limit = options.maxTime === undefined ? Infinity : this.virtualNow + options.maxTime;
    return this.run(options.maxSteps ?? 1_000_000, limit, undefined, false);
  }

  /** Deterministic mode: run everything due within the next `ms` of virtual time, then move the clock to now + ms. */
  async advance(ms: number, options: Omit<RunOptions, 'maxTime'> = {}): Promise<RunReport> {
    if (this.mode === 'realtime') throw new Error('advance() needs a deterministic system: time is real in real-time mode');
    return this.run(options.maxSteps ?? 1_000_000, this.virtualNow + ms, undefined, true);
  }

  /** Deterministic mode: run until `condition()` holds (checked after every event), or idle. */
  async runUntil(condition: () => boolean, options: RunOptions = {}): Promise<RunReport> {
    if (this.mode === 'realtime') throw new Error('runUntil() needs a deterministic system');
    const limit = options.maxTime === undefined ? Infinity : this.virtualNow + options.maxTime;
    return this.run(options.maxSteps ?? 1_000_000, limit, condition, false);
  }

  private run(maxSteps: number, until: number, condition: (() => boolean) | undefined, moveClock: boolean): Promise<RunReport> {
    if (this.running) return Promise.reject(new Error('the system is already running: await the previous run before starting another'));
    this.running = true;
    let steps = 0;
    const report = (stoppedBy: RunReport['stoppedBy']): RunReport => {
      const r: { -readonly [K in keyof RunReport]: RunReport[K] } = {
        idle: this.ready.length === 0 && this.timers.size === 0,
        steps,
        now: this.virtualNow,
        stoppedBy,
      };
      if (stoppedBy === 'idle' || stoppedBy === 'max-time') {
        const awaiting = this.observers.flatMap((awaitingOf) => awaitingOf());
        if (awaiting.length > 0) r.awaitingOutside = awaiting;
      }
      if (this.outside.size > 0) {
        r.ranOutside = [...this.outside];
        this.outside.clear();
      }
      return r;
    };
    return new Promise<RunReport>((resolve, reject) => {
      const done = (stoppedBy: RunReport['stoppedBy']): void => {
        this.running = false;
        resolve(report(stoppedBy));
      };
      // Steps run synchronously until one lets process code run; the loop then continues once
      // that code has run to its next wait (`settled`). `checked`: the condition after a settle.
      const loop = (checked: boolean): void => {
        try {
          if (checked && condition?.()) return done('condition');
          for (;;) {
            this.promoteDueTimers();
            if (this.ready.length === 0) {
              const next = this.timers.peek();
              if (next === undefined) {
                if (moveClock && until !== Infinity) this.virtualNow = until;
                return done('idle');
              }
              if (next.due > until) {
                if (moveClock) this.virtualNow = until;
                return done('max-time');
              }
              this.virtualNow = next.due;
              continue;
            }
            if (steps >= maxSteps) return done('max-steps');
            this.step();
            steps++;
            if (this.settleNeeded) return this.settled(resume);
            if (condition?.()) return done('condition');
          }
        } catch (err) {
          this.running = false;
          reject(err);
        }
      };
      const resume = (): void => loop(true);
      if (this.settleNeeded) this.settled(resume);
      else loop(true);
    });
  }

  /**
   * Lets asynchronous process code that a step resumed run to its next wait, then calls
   * `next`: what runs in between is exactly what the step started, so the order stays a pure
   * function of the seed. Node runs every microtask before the next `process.nextTick`
   * callback queued from a microtask (the microtask queue is drained to empty first), so a
   * tick queued from a microtask fires once all process code the step resumed has reached its
   * next wait: the same point a macrotask boundary would reach, without a turn of the event
   * loop per step. Every few milliseconds it takes a real macrotask, so that I/O and real
   * timers of the host still get their turn during a long run.
   */
  private settled(next: () => void): void {
    this.settleNeeded = false;
    this.afterSettle = next;
    if (realNextTick === undefined || (++this.settles % 256 === 0 && this.yieldDue())) realSetImmediate(this.settledTick);
    else promiseThen.call(settledPromise, this.settledMicrotask);
  }

  /** What a settle calls once process code has run (one run at a time: no closure per settle). */
  private afterSettle: () => void = () => {};
  private readonly settledMicrotask = (): void => realNextTick!(this.settledTick);
  private readonly settledTick = (): void => {
    if (this.settleNeeded) this.settled(this.afterSettle);
    else this.afterSettle();
  };

  private settles = 0;
  private lastYield = performance.now();

  /** True (and the clock restarted) when the run has not let the event loop turn for a while. */
  private yieldDue(): boolean {
    const now = performance.now();
    if (now - this.lastYield < 10) return false;
    this.lastYield = now;
    return true;
  }

  // ---- real-time mode -------------------------------------------------------------------

  /**
   * Starts the loop soon: as a microtask (process code that an async loop resumed sends, and
   * the loop runs its message without waiting for a turn of the event loop), and as a real
   * macrotask every few milliseconds so that I/O and real timers get their turn.
   */
  private kick(): void {
    if (this.kicked) return;
    this.kicked = true;
    if (++this.kicks % 64 === 0 && this.yieldDue()) realSetImmediate(this.loop);
    else promiseThen.call(settledPromise, this.loop);
  }

  private kicks = 0;
  private idleCheckQueued = false;

  /**
   * Real time: run what is ready now, in this turn (bounded like the loop). For work that
   * arrived in a batch from another thread: handled while it is still in cache, before the
   * next batch is read. What is left, the loop already scheduled by its arrival runs.
   */
  runNow(): void {
    if (this.mode === 'realtime') this.runSome();
  }

  /** A bounded batch of steps, so that I/O and resumed async process code get their turn. */
  private runSome(): void {
    for (let i = 0; i < 20_000 && this.stepRealtime(); i++);
  }

  private readonly loop = (): void => {
    this.kicked = false;
    this.runSome();
    if (this.runQueue.length > 0) this.kick();
    else this.checkIdleSoon();
  };

  private readonly checkIdle = (): void => {
    this.idleCheckQueued = false;
    if (this.runQueue.length === 0 && this.timers.size === 0 && !this.kicked) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  private waitIdle(): Promise<RunReport> {
    return new Promise((resolve) => {
      const start = this.steps;
      this.idleWaiters.push(() => resolve({ idle: true, steps: this.steps - start, now: this.now(), stoppedBy: 'idle' }));
      if (!this.kicked) this.checkIdleSoon();
    });
  }
}
