// The flat-record encoding used across worker threads: what goes in comes out exactly
// (structured clone is the reference), in order, frozen; what it cannot carry it refuses
// without a trace in the streams; and its tables stay bounded whatever it is sent.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRef, makeRef, SEALED } from '../../runtime/ref.ts';
import { LIMITS, RecordDecoder, RecordEncoder } from '../worker/records.ts';

/** Encodes `messages` (all must be records) in one batch and decodes them as the receiver would. */
function roundTrip(messages: readonly unknown[], enc = new RecordEncoder(), dec = new RecordDecoder()): unknown[] {
  const shapes = messages.map((m) => enc.encode(m));
  expect(shapes.every((s) => s >= 0)).toBe(true);
  // The streams cross a thread by structured clone, as the bridge posts them.
  const { nums, strs, shapes: fresh } = structuredClone(enc.take());
  dec.begin(nums, strs, fresh);
  return shapes.map((s) => dec.decode(s));
}

const value = fc.oneof(
  fc.double(), // NaN, -0 and the infinities included
  fc.integer(),
  fc.string(),
  fc.constantFrom('put', 'get', 'ok', 'hit'), // enum-like strings, which become part of the shape
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.tuple(fc.nat(8), fc.nat(1000), fc.option(fc.nat(50), { nil: undefined })).map(([k, p, a]) => makeRef(k, p, a)),
);
const record = fc.dictionary(fc.constantFrom('type', 'key', 'value', 'n', 'replyTo', 'from', '0', '12', 'x y'), value, { maxKeys: 6, noNullPrototype: true });

describe('flat records across a thread', () => {
  it('arrive exactly as structured clone would carry them, keys in order, over many batches', () => {
    fc.assert(
      fc.property(fc.array(fc.array(record, { maxLength: 20 }), { maxLength: 6 }), (batches) => {
        const enc = new RecordEncoder(),
          dec = new RecordDecoder(); // one sender and receiver: shapes are learnt once
        for (const batch of batches) {
          const got = roundTrip(batch, enc, dec);
          got.forEach((g, i) => {
            expect(g).toStrictEqual(structuredClone(batch[i]));
            expect(Object.keys(g as object)).toEqual(Object.keys(batch[i]!));
            expect(Object.isFrozen(g)).toBe(true);
          });
        }
      }),
    );
  });

  it('carries NaN, -0 and the infinities exactly, and refs as refs', () => {
    const to = makeRef(2, 41, 7);
    const [m] = roundTrip([{ type: 'reading', nan: NaN, negZero: -0, inf: -Infinity, replyTo: to }]) as Record<string, unknown>[];
    expect(Number.isNaN(m!.nan)).toBe(true);
    expect(Object.is(m!.negZero, -0)).toBe(true);
    expect(m!.inf).toBe(-Infinity);
    const ref = m!.replyTo as Record<PropertyKey, unknown>;
    expect(isRef(ref) && ref.kernel === 2 && ref.pid === 41 && ref.alias === 7).toBe(true);
    expect(ref[SEALED]).toBe(true); // shared on the next send, like any Ref
  });

  it('refuses what is not a flat record, leaving the streams as they were', () => {
    const enc = new RecordEncoder(),
      dec = new RecordDecoder();
    const before = { type: 'before', n: 1, s: 'a string too long to be taken for an enum value' };
    const after = { type: 'after', n: 11, s: 'another string too long to be an enum value' };
    const first = enc.encode(before);
    class Point {
      x = 1;
    }
    const long = 'a string long enough to be data, not part of a shape';
    const throwing = {
      type: 'x',
      n: 5,
      s: long,
      get bad(): number {
        throw new Error('getter');
      },
    };
    const refused: unknown[] = [
      { n: 2, s: long, nested: { a: 1 } }, // written in part before the nested object: undone
      { n: 3, list: [1, 2] },
      { n: 4, big: 1n },
      { n: 5, f: () => 1 },
      { n: 6, sym: Symbol('s') },
      { n: 7, bytes: new Uint8Array(2) },
      { n: 8, when: new Date(0) },
      JSON.parse('{"n": 9, "__proto__": {"polluted": true}}'),
      Object.assign(Object.create(null) as object, { n: 10 }),
      new Point(),
      makeRef(0, 1),
      [1, 2],
      'text',
      null,
    ];
    for (const m of refused) expect(enc.encode(m)).toBe(-1);
    expect(() => enc.encode(throwing)).toThrow('getter');
    const second = enc.encode(after);
    const { nums, strs, shapes } = enc.take();
    expect([...nums!]).toEqual([1, 11]);
    dec.begin(nums, strs, shapes);
    expect([dec.decode(first), dec.decode(second)]).toEqual([before, after]);
  });

  it('reads a message once before writing: a getter that sends meanwhile leaves both records whole', () => {
    const enc = new RecordEncoder(),
      dec = new RecordDecoder();
    let inner = -1,
      reads = 0;
    const outer = {
      a: 111,
      get b(): number {
        reads++;
        inner = enc.encode({ x: 999 }); // what a send from inside the getter does
        return 222;
      },
    };
    const shape = enc.encode(outer);
    const { nums, strs, shapes } = enc.take();
    dec.begin(nums, strs, shapes);
    // The inner send completed first, as it does within a kernel.
    expect([dec.decode(inner), dec.decode(shape)]).toEqual([{ x: 999 }, { a: 111, b: 222 }]);
    expect(reads).toBe(1);
  });

  it('hands back what it read of a message it refuses, each getter read once', () => {
    const enc = new RecordEncoder();
    let reads = 0;
    const list = [1, 2];
    const m = {
      get n(): number {
        return ++reads;
      },
      list,
    };
    expect(enc.encode(m)).toBe(-1);
    expect(enc.readBack()).toEqual({ n: 1, list });
    expect(reads).toBe(1);
    expect(enc.encode([1, 2])).toBe(-1);
    expect(enc.readBack()).toBeUndefined(); // not a plain object: nothing was read
  });

  it('learns each shape once: later batches carry only ids and data', () => {
    const enc = new RecordEncoder(),
      dec = new RecordDecoder();
    roundTrip([{ type: 'hit', n: 1 }], enc, dec);
    expect(enc.encode({ type: 'hit', n: 2 })).toBe(0);
    const second = enc.take();
    expect(second.shapes).toBeUndefined();
    expect(second.strs).toBeUndefined(); // 'hit' is part of the shape
    dec.begin(second.nums, second.strs, second.shapes);
    expect(dec.decode(0)).toEqual({ type: 'hit', n: 2 });
  });

  it('stays bounded when sent endless shapes and string values, and keeps carrying them correctly', () => {
    const enc = new RecordEncoder(),
      dec = new RecordDecoder();
    let refusals = 0;
    for (let i = 0; i < 40_000; i++) {
      // An object used as a dictionary (a new key each time) and a string field with endless values.
      const m = i % 2 === 0 ? { [`key${i}`]: i } : { type: 'put', key: `k${i}`, value: i };
      const shape = enc.encode(m);
      if (shape < 0) {
        refusals++;
        continue;
      }
      const { nums, strs, shapes } = enc.take();
      dec.begin(nums, strs, shapes);
      expect(dec.decode(shape)).toEqual(m);
    }
    // Past the limits the dictionaries are refused (they go as JSON instead); the puts never are.
    expect(refusals).toBeGreaterThan(0);
    expect(refusals).toBeLessThanOrEqual(20_000);
    expect(enc.size).toBeLessThanOrEqual(LIMITS.entries);
    expect(enc.encode({ type: 'put', key: 'another', value: 1 })).toBeGreaterThanOrEqual(0);
  });

  it('a very wide object is not a record, and uses up nothing', () => {
    const enc = new RecordEncoder();
    const wide = Object.fromEntries(Array.from({ length: 9000 }, (_, i) => [`k${i}`, i]));
    expect(enc.encode(wide)).toBe(-1);
    expect(enc.size).toBe(0);
    expect(enc.encode({ type: 'ping', n: 1 })).toBeGreaterThanOrEqual(0);
  });

  it('string fields with many values do not multiply shapes: a key-value workload stays records', () => {
    const enc = new RecordEncoder();
    let refused = 0;
    for (let k = 0; k < 64; k++) {
      for (let v = 0; v < 64; v++) if (enc.encode({ type: 'put', key: `k${k}`, value: `v${v}` }) < 0) refused++;
    }
    expect(refused).toBe(0);
    expect(enc.encode({ type: 'get', key: 'k1' })).toBeGreaterThanOrEqual(0);
    expect(enc.size).toBeLessThan(200);
  });
});
