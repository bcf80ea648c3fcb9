// A mutual-exclusion lock for tasks (see memory.ts). `lock` is an interleaving point even when
// the lock is free; waiters get the lock in the order they asked (FIFO), handed over by
// `unlock`. Not re-entrant: a task that locks a mutex it holds waits for itself, and the
// deadlock report says so.
import { LockError, type Holdable, type Task } from './memory.ts';

export class Mutex implements Holdable {
  #holder: Task | undefined;
  readonly #queue: { task: Task; token: number }[] = [];

  constructor(readonly name: string) {}

  holders(): string[] {
    return this.#holder ? [this.#holder.name] : [];
  }

  /** True while some task holds it. */
  get locked(): boolean {
    return this.#holder !== undefined;
  }

  /** Waits until this task holds the lock. Other tasks may run first, even when it is free. */
  async lock(t: Task): Promise<void> {
    await t.yield();
    const m = t.memory;
    if (this.#holder === undefined) {
      this.#holder = t;
      t.held.add(this);
      m.record(t, { op: 'lock', target: this.name });
      return;
    }
    const token = t.token();
    const e = m.record(t, { op: 'wait-lock', target: this.name, heldBy: this.holders() });
    t.waiting = { kind: 'lock', target: this.name, since: e.seq, of: this };
    this.#queue.push({ task: t, token });
    await t.sleepUntil(token);
    t.waiting = undefined;
    // unlock handed it over: #holder is t already
    m.record(t, { op: 'lock', target: this.name });
  }

  /** Takes the lock if it is free, at once (no interleaving point); false if another task holds it. */
  tryLock(t: Task): boolean {
    if (this.#holder !== undefined) return false;
    this.#holder = t;
    t.held.add(this);
    t.memory.record(t, { op: 'lock', target: this.name });
    return true;
  }

  /** Releases the lock; the longest waiter (if any) gets it next. Only the holder may unlock. */
  unlock(t: Task): void {
    if (this.#holder !== t) {
      throw new LockError(
        `${t.name} unlocked ${this.name}, which ${this.#holder ? `${this.#holder.name} holds` : 'nobody holds'}: only the task that locked a mutex may unlock it`,
      );
    }
    t.held.delete(this);
    t.memory.record(t, { op: 'unlock', target: this.name });
    const next = this.#queue.shift();
    this.#holder = next?.task;
    if (next) {
      next.task.held.add(this);
      t.wake(next.task, next.token, { type: 'lock-granted', lock: this.name });
    }
  }

  /** Locks, runs `work`, and unlocks however `work` ends. */
  async withLock<R>(t: Task, work: () => Promise<R> | R): Promise<R> {
    await this.lock(t);
    try {
      return await work();
    } finally {
      this.unlock(t);
    }
  }
}
