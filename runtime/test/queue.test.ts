// The queues under mailboxes and channels. A Queue (mailboxes) is a ring buffer that must
// behave exactly like an array used as a FIFO with removal from the middle (selective
// receive), through growth, wrap and shrinking; a Fifo (channels) a chain of rings that must
// keep the order through floods far larger than one ring.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo, Queue } from '../queue.ts';

type Op = { op: 'push'; n: number } | { op: 'shift' } | { op: 'removeAt'; at: number } | { op: 'clear' };

describe('Queue', () => {
  it('behaves like an array FIFO under any mix of push, shift, removeAt and clear', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ op: fc.constant('push' as const), n: fc.integer() }) },
      { weight: 4, arbitrary: fc.constant({ op: 'shift' as const }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('removeAt' as const), at: fc.nat(40) }) },
      { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const q = new Queue<number>();
        const model: number[] = [];
        for (const o of ops) {
          if (o.op === 'push') {
            q.push(o.n);
            model.push(o.n);
          } else if (o.op === 'shift') {
            expect(q.shift()).toBe(model.shift());
          } else if (o.op === 'removeAt') {
            if (model.length === 0) continue;
            const at = o.at % model.length;
            expect(q.removeAt(at)).toBe(model.splice(at, 1)[0]);
          } else {
            q.clear();
            model.length = 0;
          }
          expect(q.length).toBe(model.length);
          expect(q.peek()).toBe(model[0]);
          expect([...q]).toEqual(model);
          const odd = model.findIndex((n) => n % 2 !== 0);
          expect(q.findIndex((n) => n % 2 !== 0)).toBe(odd);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives back the memory of a burst once it has drained', () => {
    const q = new Queue<number>();
    for (let i = 0; i < 100_000; i++) q.push(i);
    for (let i = 0; i < 100_000; i++) expect(q.shift()).toBe(i);
    expect((q as unknown as { items: unknown[] }).items.length).toBeLessThanOrEqual(4);
    q.push(7);
    expect(q.shift()).toBe(7);
  });
});

describe('Fifo', () => {
  it('behaves like an array FIFO under any mix of bursts, through rings chained in a flood', () => {
    const batch = fc.record({ push: fc.oneof(fc.nat(5), fc.nat(40_000)), shift: fc.oneof(fc.nat(5), fc.nat(40_000)) });
    fc.assert(
      fc.property(fc.array(batch, { maxLength: 12 }), (batches) => {
        const q = new Fifo<number>();
        const model: number[] = [];
        let next = 0;
        let head = 0;
        for (const b of batches) {
          for (let i = 0; i < b.push; i++) {
            q.push(next);
            model.push(next++);
          }
          for (let i = 0; i < b.shift; i++) {
            const expected = head < model.length ? model[head++] : undefined;
            const got = q.shift();
            if (got !== expected) expect(got).toBe(expected); // one expect per mismatch, not per item
          }
          expect(q.length).toBe(model.length - head);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("keeps a short queue in one small ring, and lets a flood's rings go once drained", () => {
    const q = new Fifo<number>();
    const inside = q as unknown as { items: unknown[]; behind?: { next?: unknown } };
    const ringsBehind = () => {
      let n = 0;
      for (let r = inside.behind; r; r = r.next as typeof r) n++;
      return n;
    };
    for (let i = 0; i < 1000; i++) {
      q.push(i);
      q.push(i + 1);
      expect(q.shift()).toBe(i);
      expect(q.shift()).toBe(i + 1);
    }
    expect(inside.items.length).toBeLessThanOrEqual(4);
    expect(ringsBehind()).toBe(0);
    for (let i = 0; i < 100_000; i++) q.push(i);
    expect(ringsBehind()).toBeGreaterThan(3);
    for (let i = 0; i < 100_000; i++) if (q.shift() !== i) expect.unreachable(`item ${i} out of order`);
    expect(q.shift()).toBeUndefined();
    expect(ringsBehind()).toBe(0);
    expect(inside.items.length).toBe(0);
    q.push(7);
    expect(q.shift()).toBe(7);
  });
});
