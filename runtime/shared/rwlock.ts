// A read-write lock for tasks (see memory.ts): many readers at once, or one writer. Requests
// are served in arrival order (FIFO), so a waiting writer is not starved by a stream of
// readers: a reader that comes after a waiting writer waits behind it. `readLock` and
// `writeLock` are interleaving points, even when the lock is free.
import { LockError, type Holdable, type Task } from './memory.ts';

type Mode = 'read' | 'write';

export class RwLock implements Holdable {
  #writer: Task | undefined;
  readonly #readers = new Set<Task>();
  readonly #queue: { task: Task; mode: Mode; token: number }[] = [];

  constructor(readonly name: string) {}

  holders(): string[] {
    return this.#writer ? [this.#writer.name] : [...this.#readers].map((r) => r.name);
  }

  /** Waits until this task may read (no writer holds it or waits before it). */
  readLock(t: Task): Promise<void> {
    return this.#acquire(t, 'read');
  }

  /** Waits until this task holds it alone. */
  writeLock(t: Task): Promise<void> {
    return this.#acquire(t, 'write');
  }

  readUnlock(t: Task): void {
    if (!this.#readers.has(t)) throw new LockError(`${t.name} read-unlocked ${this.name} without holding it for reading`);
    this.#readers.delete(t);
    this.#released(t, 'read');
  }

  writeUnlock(t: Task): void {
    if (this.#writer !== t)
      throw new LockError(
        `${t.name} write-unlocked ${this.name}, which ${this.#writer ? `${this.#writer.name} holds for writing` : 'no task holds for writing'}`,
      );
    this.#writer = undefined;
    this.#released(t, 'write');
  }

  /** Read-locks, runs `work`, and read-unlocks however it ends. */
  async withReadLock<R>(t: Task, work: () => Promise<R> | R): Promise<R> {
    await this.readLock(t);
    try {
      return await work();
    } finally {
      this.readUnlock(t);
    }
  }

  /** Write-locks, runs `work`, and write-unlocks however it ends. */
  async withWriteLock<R>(t: Task, work: () => Promise<R> | R): Promise<R> {
    await this.writeLock(t);
    try {
      return await work();
    } finally {
      this.writeUnlock(t);
    }
  }

  #free(mode: Mode): boolean {
    return mode === 'read' ? this.#writer === undefined : this.#writer === undefined && this.#readers.size === 0;
  }

  #take(t: Task, mode: Mode): void {
    if (mode === 'read') this.#readers.add(t);
    else this.#writer = t;
    t.held.add(this);
  }

  async #acquire(t: Task, mode: Mode): Promise<void> {
    await t.yield();
    const m = t.memory;
    if (this.#queue.length === 0 && this.#free(mode)) {
      this.#take(t, mode);
      m.record(t, { op: 'lock', target: this.name, mode });
      return;
    }
    const token = t.token();
    const e = m.record(t, { op: 'wait-lock', target: this.name, mode, heldBy: this.holders() });
    t.waiting = { kind: 'lock', target: this.name, mode, since: e.seq, of: this };
    this.#queue.push({ task: t, mode, token });
    await t.sleepUntil(token);
    t.waiting = undefined;
    m.record(t, { op: 'lock', target: this.name, mode });
  }

  #released(t: Task, mode: Mode): void {
    if (!this.#readers.has(t) && this.#writer !== t) t.held.delete(this);
    t.memory.record(t, { op: 'unlock', target: this.name, mode });
    for (let head = this.#queue[0]; head !== undefined && this.#free(head.mode); head = this.#queue[0]) {
      this.#queue.shift();
      this.#take(head.task, head.mode);
      t.wake(head.task, head.token, { type: 'lock-granted', lock: this.name });
      if (head.mode === 'write') break;
    }
  }
}
