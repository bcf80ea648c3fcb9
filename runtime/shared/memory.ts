// Shared memory on the deterministic scheduler: tasks, the log of what they did, and the
// task that runs now. A *task* is a process of the runtime that runs code on shared mutable
// objects (a thread, in the lock-based world). Tasks interleave only where they wait: at every
// lock operation (`lock`, `readLock`, `writeLock`, `wait`), at `task.yield()`, and at any other
// wait of the runtime. The seeded scheduler picks who goes next, so a race or a deadlock found
// under a seed happens again, step for step, under that seed.
//
// A task that must wait (a lock held by another, a condition not yet signalled) waits for a
// wake-up message from the task that releases it (`lock-granted`, `signalled`): the handover
// shows in the message chart, and a task nobody wakes is simply a process waiting for ever, so
// a deadlocked system goes idle and the test that waits for its answer sees no reply.
import type { Context } from '../context.ts';
import type { Ref } from '../ref.ts';

/** The context of the process that runs a task (any process's `self`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskContext = Context<any, any> | Context<never, never>;

/** What a task did to shared memory, in order (`seq`), at virtual time `t`. */
export interface SharedEvent {
  readonly seq: number;
  readonly t: number;
  /** The task's name. */
  readonly task: string;
  readonly op: SharedOp;
  /** The lock, condition, counter or shared object ("acc-1"), or the task itself for start/end/yield. */
  readonly target: string;
  /** A field of a shared object (read/write). */
  readonly field?: string;
  /** The value read or written; a counter's value after the operation. */
  readonly value?: number | string | boolean | null;
  /** For a read-write lock: which side. */
  readonly mode?: 'read' | 'write';
  /** For a wait: the task(s) holding what it waits for, when it started waiting. */
  readonly heldBy?: readonly string[];
}

export type SharedOp = 'start' | 'end' | 'yield' | 'wait-lock' | 'lock' | 'unlock' | 'wait' | 'woken' | 'signal' | 'broadcast' | 'read' | 'write' | 'atomic';

/** What a task waits for now. */
export interface Waiting {
  readonly kind: 'lock' | 'condition';
  readonly target: string;
  readonly mode?: 'read' | 'write';
  /** Seq of the event when it started waiting. */
  readonly since: number;
}

/** A task's state, for reports: what it holds and what it waits for. */
export interface TaskState {
  readonly task: string;
  readonly holds: readonly string[];
  readonly waitsFor?: Waiting & { readonly heldBy: readonly string[] };
  readonly ended: boolean;
}

/** Everything a report needs, as plain data (it crosses a kernel boundary). */
export interface MemorySnapshot {
  readonly tasks: readonly TaskState[];
  readonly events: readonly SharedEvent[];
  /** Events left out at the front (the log keeps the most recent `limit`). */
  readonly dropped: number;
}

/** Misuse of a lock (unlocking what you do not hold, waiting without the mutex): the task ends with this error. */
export class LockError extends Error {
  override name = 'LockError';
}

/** Something a task can hold (a mutex, a side of a read-write lock). */
export interface Holdable {
  readonly name: string;
  /** Names of the tasks holding it now. */
  holders(): string[];
}

/** The handle a task's code passes to every lock operation. */
export type Task = SharedTask;

let running: Task | undefined;

/** The task whose code runs now (the last one to resume), if any. */
export function runningTask(): Task | undefined {
  return running;
}

const DEFAULT_LIMIT = 20_000;

/** One shared memory: the tasks that use it and the log of what they did. */
export class SharedMemory {
  readonly #events: SharedEvent[] = [];
  #seq = 0;
  #dropped = 0;
  readonly #tasks = new Set<Task>();
  readonly #limit: number;

  constructor(options: { readonly limit?: number } = {}) {
    this.#limit = options.limit ?? DEFAULT_LIMIT;
  }

  /**
   * Makes the calling process a task of this memory, named `name` (for reports). Call it
   * first thing in the process's code; the process is then the running task.
   */
  task(ctx: TaskContext, name: string): Task {
    const t = new SharedTask(this, ctx, name);
    this.#tasks.add(t);
    running = t;
    this.record(t, { op: 'start', target: name });
    return t;
  }

  /** Runs `work` as a task of this memory in the calling process, and marks the task ended when it settles. */
  async run<R>(ctx: TaskContext, name: string, work: (t: Task) => Promise<R> | R): Promise<R> {
    const t = this.task(ctx, name);
    try {
      return await work(t);
    } finally {
      t.end();
    }
  }

  /** @internal Appends an event (by a task, at its process's virtual time). */
  record(t: Task | undefined, e: Omit<SharedEvent, 'seq' | 't' | 'task'>): SharedEvent {
    const event: SharedEvent = { seq: this.#seq++, t: t ? t.now() : 0, task: t?.name ?? '(no task)', ...e };
    this.#events.push(event);
    if (this.#events.length > this.#limit) {
      const cut = this.#events.length - this.#limit;
      this.#events.splice(0, cut);
      this.#dropped += cut;
    }
    return event;
  }

  #tokens = 0;
  /** @internal */
  nextToken(): number {
    return ++this.#tokens;
  }

  /** The seq the next event will get. */
  get seq(): number {
    return this.#seq;
  }

  events(): SharedEvent[] {
    return [...this.#events];
  }

  /** Every task's state and the log, as plain data. */
  snapshot(): MemorySnapshot {
    const tasks: TaskState[] = [];
    for (const t of this.#tasks) tasks.push(t.state());
    return { tasks, events: this.events(), dropped: this.#dropped };
  }

  /** Forgets tasks that ended holding nothing (so a long run stays small). */
  sweep(): void {
    for (const t of this.#tasks) if (t.ended && t.held.size === 0) this.#tasks.delete(t);
  }
}

/** A task: the handle its code passes to every lock operation (the type is also exported as `Task`). */
export class SharedTask {
  /** @internal What it holds now. */
  readonly held = new Set<Holdable>();
  /** @internal What it waits for now. */
  waiting: (Waiting & { readonly of: Holdable | undefined }) | undefined;
  ended = false;
  readonly #ctx: Context<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  constructor(
    readonly memory: SharedMemory,
    ctx: TaskContext,
    readonly name: string,
  ) {
    this.#ctx = ctx as Context<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  /** Virtual time of the task's system. */
  now(): number {
    return this.#ctx.now();
  }

  /** A number in [0, 1) from the system's seeded generator. */
  random(): number {
    return this.#ctx.random();
  }

  /** An interleaving point: other tasks may run before this one goes on (the seed decides). */
  async yield(): Promise<void> {
    await this.#ctx.sleep(0);
    running = this;
  }

  /** @internal Waits until another task wakes it with `token`. */
  async sleepUntil(token: number): Promise<void> {
    await this.#ctx.receive((m: unknown) => typeof m === 'object' && m !== null && (m as { token?: unknown }).token === token);
    running = this;
  }

  /** @internal Wakes `other`, waiting on `token`, with a message from this task. */
  wake(other: Task, token: number, message: { type: 'lock-granted' | 'signalled'; lock: string }): void {
    this.#ctx.send(other.ref, { ...message, token });
  }

  /** @internal */
  get ref(): Ref {
    return this.#ctx.ref;
  }

  /** @internal A fresh wake-up token (numbered per memory: the same seed gives the same messages). */
  token(): number {
    return this.memory.nextToken();
  }

  /** @internal */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.memory.record(this, { op: 'end', target: this.name });
  }

  state(): TaskState {
    const w = this.waiting;
    return {
      task: this.name,
      holds: [...this.held].map((h) => h.name),
      ...(w ? { waitsFor: { kind: w.kind, target: w.target, ...(w.mode ? { mode: w.mode } : {}), since: w.since, heldBy: w.of ? w.of.holders() : [] } } : {}),
      ended: this.ended,
    };
  }
}
