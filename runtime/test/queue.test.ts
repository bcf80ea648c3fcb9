// The queue under mailboxes and channels: a ring buffer must behave exactly like an array
// used as a FIFO with removal from the middle (selective receive), through growth, wrap
// and shrinking.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Queue } from '../queue.ts';

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
