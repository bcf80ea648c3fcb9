// A FIFO queue with O(1) push/shift and removal from the middle (selective receive).

export class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Index of the first item satisfying `test`, or -1. */
  findIndex(test: (item: T) => boolean): number {
    for (let i = this.head; i < this.items.length; i++) {
      if (test(this.items[i] as T)) return i - this.head;
    }
    return -1;
  }

  removeAt(index: number): T {
    if (index === 0) return this.shift() as T;
    const [item] = this.items.splice(this.head + index, 1);
    return item as T;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T;
  }
}
