// Timers ordered by (due time, creation order): a binary min-heap with lazy cancellation.
// Timers that fall due together all become ready at once; the scheduler then picks among
// them (and any messages) with its seeded generator, like every other choice.

export interface Timer {
  due: number;
  seq: number;
  cancelled: boolean;
  fire: () => void;
  /** The id a process timer goes by in the trace and in its TimerRef (0: a system timer). */
  readonly id: number;
}

export class TimerHeap {
  private heap: Timer[] = [];
  private live = 0;
  private seq = 0;

  get size(): number {
    return this.live;
  }

  add(due: number, fire: () => void, id: number): Timer {
    const timer: Timer = { due, seq: this.seq++, cancelled: false, fire, id };
    this.heap.push(timer);
    this.up(this.heap.length - 1);
    this.live++;
    return timer;
  }

  cancel(timer: Timer): void {
    if (!timer.cancelled) {
      timer.cancelled = true;
      this.live--;
    }
  }

  /** The earliest live timer, without removing it. */
  peek(): Timer | undefined {
    this.dropCancelled();
    return this.heap[0];
  }

  /** Removes and returns the earliest live timer due at or before `now`. */
  popDue(now: number): Timer | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (top === undefined || top.due > now) return undefined;
    this.pop();
    this.live--;
    top.cancelled = true; // fired timers can no longer be cancelled
    return top;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  private less(a: Timer, b: Timer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
