// A FIFO queue with O(1) push/shift and removal from the middle (selective receive): a
// ring buffer whose capacity is a power of two, so that wrapping is a mask. Most mailboxes
// and channels hold a message or two at a time; a small ring stays in cache and allocates
// nothing while it does.

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
    const old = this.items;
    const n = Math.max(2, old.length);
    const items: (T | undefined)[] = new Array(n * 2);
    for (let i = 0; i < this.count; i++) items[i] = old[(this.head + i) & this.mask];
    this.items = items;
    this.mask = n * 2 - 1;
    this.head = 0;
  }
}
