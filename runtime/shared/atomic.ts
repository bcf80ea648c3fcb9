// An atomic counter (see memory.ts): each operation happens in one step, so no other task's
// update can come between its read and its write. Not an interleaving point.
import type { Task } from './memory.ts';

export class AtomicCounter {
  #value: number;

  constructor(
    readonly name: string,
    initial = 0,
  ) {
    this.#value = initial;
  }

  get(t: Task): number {
    t.memory.record(t, { op: 'atomic', target: this.name, field: 'get', value: this.#value });
    return this.#value;
  }

  /** Adds `n` and returns the new value. */
  add(t: Task, n: number): number {
    this.#value += n;
    t.memory.record(t, { op: 'atomic', target: this.name, field: 'add', value: this.#value });
    return this.#value;
  }

  incrementAndGet(t: Task): number {
    return this.add(t, 1);
  }

  decrementAndGet(t: Task): number {
    return this.add(t, -1);
  }

  /** Sets it to `next` if it holds `expected`; true if it did. */
  compareAndSet(t: Task, expected: number, next: number): boolean {
    const ok = this.#value === expected;
    if (ok) this.#value = next;
    t.memory.record(t, { op: 'atomic', target: this.name, field: ok ? 'cas' : 'cas-failed', value: this.#value });
    return ok;
  }
}
