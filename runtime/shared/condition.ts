// A condition variable bound to a mutex (see memory.ts), as in a monitor: `wait` releases the
// mutex, sleeps until a `signal` or `broadcast`, then takes the mutex again before it returns.
// By the time it has the mutex back, other tasks may have run and changed what it waited for
// (a broadcast wakes every waiter; another task may get the mutex first). And a waiter may
// wake with no signal at all (a *spurious wake-up*, which POSIX and Java allow too): here the
// seeded scheduler decides, for each wait, whether it does. So always wait in a loop:
// `while (!ready) await cond.wait(t)`.
import { LockError, type Task } from './memory.ts';
import type { Mutex } from './mutex.ts';

/** The chance that a wait wakes up without a signal (decided by the seeded scheduler). */
const SPURIOUS = 0.5;

export class Condition {
  readonly #waiters: { task: Task; token: number }[] = [];

  constructor(
    readonly name: string,
    readonly mutex: Mutex,
  ) {}

  /** Tasks waiting now. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Releases the mutex (which this task must hold), waits for a signal, and takes the mutex again. */
  async wait(t: Task): Promise<void> {
    if (!t.held.has(this.mutex))
      throw new LockError(
        `${t.name} waited on ${this.name} without holding its mutex ${this.mutex.name}: lock it first, and check the condition while you hold it`,
      );
    const token = t.token();
    const e = t.memory.record(t, { op: 'wait', target: this.name });
    this.#waiters.push({ task: t, token });
    this.mutex.unlock(t);
    t.waiting = { kind: 'condition', target: this.name, since: e.seq, of: undefined };
    let spurious = false;
    if (t.random() < SPURIOUS) {
      await t.yield();
      const i = this.#waiters.findIndex((w) => w.token === token);
      if (i >= 0) {
        this.#waiters.splice(i, 1); // nobody signalled it: it wakes anyway
        spurious = true;
      }
    }
    if (!spurious) await t.sleepUntil(token);
    t.waiting = undefined;
    t.memory.record(t, { op: 'woken', target: this.name, ...(spurious ? { field: 'spurious' } : {}) });
    await this.mutex.lock(t);
  }

  /** Wakes the longest waiter, if any. */
  signal(t: Task): void {
    t.memory.record(t, { op: 'signal', target: this.name });
    const w = this.#waiters.shift();
    if (w) t.wake(w.task, w.token, { type: 'signalled', lock: this.name });
  }

  /** Wakes every waiter. */
  broadcast(t: Task): void {
    t.memory.record(t, { op: 'broadcast', target: this.name });
    for (const w of this.#waiters.splice(0)) t.wake(w.task, w.token, { type: 'signalled', lock: this.name });
  }
}
