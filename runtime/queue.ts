// Two FIFO queues. Queue (mailboxes, the real-time run queue): O(1) push/shift and removal
// from the middle (selective receive), a ring buffer whose capacity is a power of two, so
// that wrapping is a mask. Fifo (channels): push and shift only, and floods that never
// recopy. Most mailboxes and channels hold a message or two at a time; a small ring stays in
// cache and allocates nothing while it does.

/** The items of every empty queue that has never held one: a queue makes its own on first push. */
const NONE: readonly never[] = Object.freeze([]);

export class Queue<T> {
  private items: (T | undefined)[] = NONE as never[];
  private mask = -1;
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count > this.mask) this.grow();
    this.items[(this.head + this.count) & this.mask] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const head = this.head;
    const item = this.items[head];
    this.items[head] = undefined;
    this.head = (head + 1) & this.mask;
    if (--this.count === 0 && this.mask > 1023) this.clear(); // give back a burst's memory
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** Index of the first item satisfying `test`, or -1. */
  findIndex(test: (item: T) => boolean): number {
    for (let i = 0; i < this.count; i++) {
      if (test(this.items[(this.head + i) & this.mask] as T)) return i;
    }
    return -1;
  }

  /** Removes and returns the item at `index` (0 is the head); later items keep their order. */
  removeAt(index: number): T {
    if (index === 0) return this.shift() as T;
    const { items, mask } = this;
    const at = (i: number) => (this.head + i) & mask;
    const item = items[at(index)] as T;
    for (let i = index; i < this.count - 1; i++) items[at(i)] = items[at(i + 1)];
    items[at(this.count - 1)] = undefined;
    this.count--;
    return item;
  }

  /** Puts `items` at the front, in their order (the first of them becomes the head). */
  unshiftAll(items: readonly T[]): void {
    const rest = [...this];
    this.clear();
    for (const item of items) this.push(item);
    for (const item of rest) this.push(item);
  }

  clear(): void {
    this.items = NONE as never[];
    this.mask = -1;
    this.head = 0;
    this.count = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.items[(this.head + i) & this.mask] as T;
  }

  private grow(): void {
    this.items = doubled(this.items, this.head, this.count, this.mask);
    this.mask = this.items.length - 1;
    this.head = 0;
  }
}

/** A ring's items in order in a ring twice its size (at least 4 slots). */
function doubled<T>(old: (T | undefined)[], head: number, count: number, mask: number): (T | undefined)[] {
  const items: (T | undefined)[] = new Array(Math.max(2, old.length) * 2);
  for (let i = 0; i < count; i++) items[i] = old[(head + i) & mask];
  return items;
}

/**
 * The largest ring of a Fifo: 8,192 slots, 64 KB. Measured in a flood of 200,000 messages
 * with two copies of the runtime in one process: rings of 16,384 (128 KB, the size from
 * which V8 puts an array in its large-object space, which a scavenge does not copy) are
 * 18-21% slower on Node 24, whose scavenger copies young arrays cheaply while each fresh
 * large object costs its own pages, and within 5% either way on Node 20.
 */
const RING_MAX = 8192;

/** A full ring waiting behind the one being read (exported only so that a host can freeze its prototype). */
export class Ring<T> {
  readonly items: (T | undefined)[] = new Array(RING_MAX);
  count = 0;
  next: Ring<T> | undefined = undefined;
}

/**
 * A FIFO with push and shift only (a channel's messages). It is a ring buffer, as a Queue is,
 * until the ring reaches RING_MAX slots; a flood beyond that fills further rings of that size
 * chained after it, so nothing already queued is copied again (a Queue recopies everything at
 * each doubling: with 400,000 messages waiting that was 15% of the time), and each ring is
 * let go once it has been read.
 */
export class Fifo<T> {
  /** The ring being read, and written while no ring waits behind it. */
  private items: (T | undefined)[] = NONE as never[];
  private mask = -1;
  private head = 0;
  private count = 0;
  /** Rings behind it, written in a flood: the first and the last, and how many items they hold. */
  private behind: Ring<T> | undefined = undefined;
  private last: Ring<T> | undefined = undefined;
  private waiting = 0;

  get length(): number {
    return this.count + this.waiting;
  }

  // push and shift are kept small, their rare cases apart, so that they inline where a
  // channel is read and written (with the rare cases inline the real-time ring ran 5–10% slower).
  push(item: T): void {
    if (this.count <= this.mask && this.behind === undefined) {
      this.items[(this.head + this.count) & this.mask] = item;
      this.count++;
    } else this.pushMore(item);
  }

  shift(): T | undefined {
    if (this.count === 0 && !this.readNextRing()) return undefined;
    const head = this.head;
    const item = this.items[head];
    this.items[head] = undefined;
    this.head = (head + 1) & this.mask;
    if (--this.count === 0 && this.mask > 1023 && this.behind === undefined) this.release();
    return item;
  }

  /** A push into a full ring: double it up to RING_MAX, then fill rings behind it. */
  private pushMore(item: T): void {
    if (this.behind === undefined) {
      if (this.mask + 1 < RING_MAX) {
        this.grow();
        this.items[this.count++] = item;
        return;
      }
      this.behind = this.last = new Ring<T>();
    } else if (this.last!.count === RING_MAX) {
      this.last = this.last!.next = new Ring<T>();
    }
    const ring = this.last!;
    ring.items[ring.count++] = item;
    this.waiting++;
  }

  /** The ring read empty: go on with the first ring behind it (full, or the last). False if there is none. */
  private readNextRing(): boolean {
    const next = this.behind;
    if (next === undefined) return false;
    this.items = next.items;
    this.mask = RING_MAX - 1;
    this.head = 0;
    this.count = next.count;
    this.waiting -= next.count;
    this.behind = next.next;
    if (this.behind === undefined) this.last = undefined;
    return true;
  }

  /** Gives back a burst's memory once it has drained. */
  private release(): void {
    this.items = NONE as never[];
    this.mask = -1;
    this.head = 0;
  }

  private grow(): void {
    this.items = doubled(this.items, this.head, this.count, this.mask);
    this.mask = this.items.length - 1;
    this.head = 0;
  }
}
