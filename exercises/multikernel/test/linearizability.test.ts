// Unit tests of the multikernel exercise's linearizability checker (the tests judge student
// histories with it, so it must accept exactly the linearizable ones).
import { describe, expect, it } from 'vitest';
import {
  checkOperations,
  checkTable,
  pageModel,
  byPage,
  shrinkTable,
  type Model,
  type Operation,
  type TableInput,
  type TableOutput,
} from '../tests/linearizability.ts';

type Op = Operation<TableInput, TableOutput>;
const read = (call: number, ret: number, page: number, frame: number | null): Op => ({ call, ret, input: { kind: 'read', page }, output: { frame } });
const map = (call: number, ret: number, page: number, frame: number): Op => ({ call, ret, input: { kind: 'map', page, frame }, output: { done: true } });
const unmap = (call: number, ret: number, page: number): Op => ({ call, ret, input: { kind: 'unmap', page }, output: { done: true } });
/** An update whose outcome is unknown: it never returned. */
const lost = (call: number, op: Op): Op => ({ call, ret: Infinity, input: op.input });

describe('linearizability checker: a table of pages', () => {
  it('accepts the empty history and a sequential one', () => {
    expect(checkTable([]).ok).toBe(true);
    expect(checkTable([read(0, 1, 1, null), map(2, 3, 1, 7), read(4, 5, 1, 7), unmap(6, 7, 1), read(8, 9, 1, null)]).ok).toBe(true);
  });

  it('rejects a read that returns a value nobody wrote', () => {
    expect(checkTable([read(0, 1, 1, 5)]).ok).toBe(false);
  });

  it('rejects a stale read: the map had returned before the read was called', () => {
    const r = checkTable([map(0, 3, 1, 7), read(4, 5, 1, null)]);
    expect(r.ok).toBe(false);
    if (r.ok === false) {
      expect(r.operations).toHaveLength(2);
      expect(r.longest.length).toBeLessThan(2);
    }
  });

  it('accepts either value for a read that overlaps the update', () => {
    expect(checkTable([map(0, 10, 1, 7), read(2, 4, 1, null)]).ok).toBe(true);
    expect(checkTable([map(0, 10, 1, 7), read(2, 4, 1, 7)]).ok).toBe(true);
  });

  it('rejects new-then-old: two reads during one update, the later one sees the older value', () => {
    // The unmap overlaps both reads, but the first read already saw it (null) and the
    // second read, called after the first returned, still sees frame 7.
    const h = [map(0, 1, 1, 7), unmap(2, 20, 1), read(3, 5, 1, null), read(6, 8, 1, 7)];
    expect(checkTable(h).ok).toBe(false);
    // The other way round (old, then new) is fine.
    expect(checkTable([map(0, 1, 1, 7), unmap(2, 20, 1), read(3, 5, 1, 7), read(6, 8, 1, null)]).ok).toBe(true);
  });

  it('accepts overlapping writes in either order when reads say so', () => {
    const both = [map(0, 10, 1, 1), map(1, 11, 1, 2)];
    expect(checkTable([...both, read(12, 13, 1, 1)]).ok).toBe(true);
    expect(checkTable([...both, read(12, 13, 1, 2)]).ok).toBe(true);
    // ...but all later reads must agree on the winner.
    expect(checkTable([...both, read(12, 13, 1, 1), read(14, 15, 1, 2)]).ok).toBe(false);
  });

  it('lets an update of unknown outcome take effect later, or never', () => {
    expect(checkTable([lost(0, map(0, 0, 1, 9)), read(5, 6, 1, null), read(7, 8, 1, 9)]).ok).toBe(true);
    expect(checkTable([lost(0, map(0, 0, 1, 9)), read(5, 6, 1, null), read(7, 8, 1, null)]).ok).toBe(true);
    // Once seen, it stays.
    expect(checkTable([lost(0, map(0, 0, 1, 9)), read(5, 6, 1, 9), read(7, 8, 1, null)]).ok).toBe(false);
    // It cannot take effect before it was called.
    expect(checkTable([read(0, 1, 1, 9), lost(2, map(0, 0, 1, 9))]).ok).toBe(false);
  });

  it('checks pages independently and names the page that fails', () => {
    const h = [map(0, 1, 1, 7), map(0, 1, 2, 8), read(2, 3, 1, 7), read(2, 3, 2, null)];
    expect(byPage(h).map((p) => p.length)).toEqual([2, 2]);
    const r = checkTable(h);
    expect(r.ok).toBe(false);
    if (r.ok === false) expect(r.operations.every((o) => o.input.page === 2)).toBe(true);
  });

  it('handles a larger concurrent history quickly', () => {
    // 3 clients, 60 operations on one page, each write followed by reads that see it.
    const h: Op[] = [];
    let t = 0;
    for (let i = 0; i < 20; i++) {
      h.push(map(t, t + 5, 1, i));
      h.push(read(t + 1, t + 7, 1, i));
      h.push(read(t + 2, t + 4, 1, i === 0 ? null : i - 1));
      t += 6;
    }
    const started = performance.now();
    expect(checkTable(h).ok).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('stays fast when many reads overlap each other and the updates', () => {
    // 40 reads spread over a long unmap window, all overlapping one another: 2^40 orders.
    const h: Op[] = [map(0, 1, 1, 7), unmap(2, 1000, 1)];
    for (let i = 0; i < 40; i++) h.push(read(3 + i, 900 + i, 1, i < 20 ? 7 : null));
    const started = performance.now();
    expect(checkTable(h).ok).toBe(true);
    // One read that sees the old frame after another read, called later, saw null... still fine
    // (they overlap); but a read called after a null-read returned must not see frame 7.
    expect(checkTable([...h, read(1950, 1960, 1, 7)]).ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('works with any model: a counter that must never go down', () => {
    type C = { kind: 'inc' } | { kind: 'get' };
    const counter: Model<number, C, number> = {
      init: () => 0,
      step: (s, i, o) => (i.kind === 'inc' ? { ok: true, state: s + 1 } : { ok: o === undefined || o === s, state: s }),
      key: String,
    };
    const inc = (call: number, ret: number): Operation<C, number> => ({ call, ret, input: { kind: 'inc' } });
    const get = (call: number, ret: number, v: number): Operation<C, number> => ({ call, ret, input: { kind: 'get' }, output: v });
    expect(checkOperations(counter, [inc(0, 10), inc(1, 11), get(2, 3, 1), get(4, 5, 2)]).ok).toBe(true);
    expect(checkOperations(counter, [inc(0, 10), inc(1, 11), get(2, 3, 2), get(4, 5, 1)]).ok).toBe(false);
    expect(checkOperations(counter, [inc(0, 1), get(2, 3, 0)]).ok).toBe(false);
  });

  it('agrees with a brute-force search on 400 random small histories', () => {
    // Brute force: try every order of the operations.
    const brute = (h: Op[]): boolean => {
      const perm = (left: Op[], done: Op[], state: number | null): boolean => {
        if (left.length === 0) return true;
        return left.some((op, i) => {
          // Real time: nothing left may have returned before op was called.
          if (left.some((o) => o !== op && o.ret < op.call)) return false;
          const r = pageModel.step(state, op.input, op.output);
          return (
            r.ok &&
            perm(
              left.filter((_, j) => j !== i),
              [...done, op],
              r.state,
            )
          );
        });
      };
      return perm(h, [], null);
    };
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    let rejected = 0;
    for (let trial = 0; trial < 400; trial++) {
      const h: Op[] = [];
      for (let i = 0, n = 2 + rnd(6); i < n; i++) {
        const call = rnd(20),
          ret = call + 1 + rnd(8);
        const kind = rnd(3);
        if (kind === 0) h.push(map(call, ret, 1, rnd(3)));
        else if (kind === 1 && rnd(2) === 0) h.push(unmap(call, ret, 1));
        else h.push(read(call, ret, 1, rnd(4) === 0 ? null : rnd(3)));
      }
      const want = brute(h);
      if (!want) rejected++;
      expect(checkTable(h).ok, JSON.stringify(h)).toBe(want);
    }
    expect(rejected).toBeGreaterThan(50); // the sample has both kinds
  });

  it('shrinks a failing history to the few operations that show the violation', () => {
    const h: Op[] = [map(0, 1, 1, 7)];
    for (let i = 0; i < 10; i++) h.push(read(2 + i, 3 + i, 1, 7));
    h.push(unmap(20, 40, 1), read(21, 22, 1, 7), read(23, 24, 1, null), read(25, 26, 1, 7), read(50, 51, 1, null));
    expect(checkTable(h).ok).toBe(false);
    const core = shrinkTable(h);
    expect(checkTable(core).ok).toBe(false);
    // The unmap, a read that saw it, and a later read that did not (plus the map that wrote 7).
    expect(core.map((o) => o.call)).toEqual([0, 20, 23, 25]);
    // A linearizable history is returned as it is.
    expect(shrinkTable(h.slice(0, 11))).toHaveLength(11);
  });

  it('refuses an operation that returns before its call', () => {
    expect(() => checkOperations(pageModel, [read(5, 4, 1, null)])).toThrow(RangeError);
  });
});
