// When a message is shared rather than copied (deeply frozen plain data: a forwarded message),
// what a transfer detaches, what cannot cross (more kinds), and the helpers the thread
// boundary uses on arrival (freezeArrived, buffersIn) and the charts use (sentByteLength).
import { describe, expect, it } from 'vitest';
import { MessageError, createSystem, type Ref } from '../index.ts';
import { buffersIn, freezeArrived, seal, sentByteLength } from '../message.ts';

/** A forwards what it receives to B; returns what A and B got. */
async function forwarded(make: () => unknown): Promise<{ atA: unknown; atB: unknown }> {
  const system = createSystem({ seed: 3 });
  let atA: unknown;
  let atB: unknown;
  const b = system.spawn(async (self) => {
    atB = await self.receive();
  });
  const a: Ref<unknown> = system.spawn(async (self) => {
    atA = await self.receive();
    self.send(b, atA);
  });
  system.send(a, make());
  await system.runUntilIdle();
  return { atA, atB };
}

function thrownBy(fn: () => unknown): MessageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MessageError);
    return err as MessageError;
  }
  throw new Error('expected a MessageError, nothing was thrown');
}

describe('frozen data is shared, not copied', () => {
  it('a forwarded message reaches the next process as the very same frozen value', async () => {
    const { atA, atB } = await forwarded(() => ({
      type: 'job',
      items: [{ id: 1 }, { id: 2, tags: ['x'] }],
      meta: Object.assign(Object.create(null), { k: 'v' }),
    }));
    expect(atB).toBe(atA);
    expect(atB).toEqual({ type: 'job', items: [{ id: 1 }, { id: 2, tags: ['x'] }], meta: expect.anything() });
  });

  it('data the sender froze itself is shared when every part is frozen plain data', () => {
    const inner = Object.freeze([1, 'two', Object.freeze({ three: 3n })]);
    const message = Object.freeze({ inner, none: null });
    expect(seal(message)).toBe(message);
  });

  it('a frozen object with an unfrozen part is copied: the receiver never sees later changes to that part', () => {
    const inner = { n: 1 };
    const list = [inner];
    const message = Object.freeze({ list: Object.freeze(list), inner });
    const got = seal(message) as { list: readonly { n: number }[]; inner: { n: number } };
    expect(got).not.toBe(message);
    inner.n = 2;
    expect(got.inner.n).toBe(1);
    expect(got.list[0]!.n).toBe(1);
    expect(Object.isFrozen(got.inner)).toBe(true);
  });

  it('a frozen array holding an unfrozen object is copied too', () => {
    const item = { n: 1 };
    const message = Object.freeze([Object.freeze([item])]);
    const got = seal(message) as readonly (readonly { n: number }[])[];
    expect(got).not.toBe(message);
    item.n = 5;
    expect(got[0]![0]!.n).toBe(1);
  });

  it('freezing does not make a function, a symbol or a class instance sendable', () => {
    expect(thrownBy(() => seal(Object.freeze({ f: Object.freeze(() => 1) }))).message).toMatch(/cannot send a function \(at message\.f\)/);
    expect(thrownBy(() => seal(Object.freeze({ run: () => 1 }))).message).toMatch(/cannot send a function \(at message\.run\)/);
    expect(thrownBy(() => seal(Object.freeze([1, Symbol('s')]))).message).toMatch(/cannot send a symbol \(at message\[1\]\)/);
    expect(thrownBy(() => seal(Object.freeze([Object.freeze({ f() {} })]))).message).toMatch(/cannot send a function \(at message\[0\]\.f\)/);
    class Point {
      constructor(readonly x: number) {}
    }
    expect(thrownBy(() => seal(Object.freeze({ p: Object.freeze(new Point(1)) }))).message).toMatch(/cannot send an instance of Point \(at message\.p\)/);
    expect(thrownBy(() => seal(Object.freeze([Object.freeze(new Point(1))]))).message).toMatch(/instance of Point \(at message\[0\]\)/);
  });

  it('a null-prototype object with a function inside is refused, naming the key', () => {
    const bad = Object.assign(Object.create(null), { ok: 1, f: () => 2 });
    expect(thrownBy(() => seal({ bad })).message).toMatch(/cannot send a function/);
  });
});

describe('more of what cannot cross', () => {
  it('a whole message that is a function or a symbol', () => {
    expect(thrownBy(() => seal(() => 1)).message).toMatch(/^cannot send a function \(at message\)/);
    expect(thrownBy(() => seal(Symbol('x'))).message).toBe('cannot send a symbol (at message): use a string instead');
  });

  it('a Promise, an Error, a Set and a Date, each with its advice', () => {
    expect(thrownBy(() => seal({ p: Promise.resolve(1) })).message).toMatch(/cannot send a Promise \(at message\.p\): await it first/);
    expect(thrownBy(() => seal([new Error('x')])).message).toMatch(/cannot send an Error object \(at message\[0\]\): send \{ name, message \}/);
    expect(thrownBy(() => seal({ s: new Set([1]) })).message).toMatch(/cannot send a Set \(at message\.s\)/);
    expect(thrownBy(() => seal({ d: new Date(0) })).message).toMatch(/cannot send a Date \(at message\.d\)/);
  });

  it('an object with no constructor name is named as such', () => {
    const odd = Object.create(Object.create(null));
    expect(thrownBy(() => seal({ odd })).message).toMatch(/instance of unknown class \(at message\.odd\)/);
  });

  it('a view onto a SharedArrayBuffer: shared memory is the opposite of message passing', () => {
    const view = new Int32Array(new SharedArrayBuffer(8));
    expect(thrownBy(() => seal({ view })).message).toMatch(/cannot send a view onto a SharedArrayBuffer \(at message\.view\)/);
  });

  it('a structure nested deeper than the limit reads as cyclic or too deep', () => {
    let deep: unknown = { leaf: true };
    for (let i = 0; i < 300; i++) deep = { next: deep };
    expect(thrownBy(() => seal(deep)).message).toMatch(/cannot send a cyclic structure, or one nested deeper than 200 levels/);
  });
});

describe('transfer', () => {
  it('a buffer listed in transfer is detached even when the message does not hold it, as postMessage does', () => {
    const listed = new ArrayBuffer(16);
    expect(seal(42, [listed])).toBe(42);
    expect(listed.byteLength).toBe(0);
    const other = new ArrayBuffer(8);
    const got = seal({ n: 1 }, [other]) as { n: number };
    expect(got).toEqual({ n: 1 });
    expect(other.byteLength).toBe(0);
  });

  it('a moved buffer keeps the size it was sent with, for charts', () => {
    const buffer = new ArrayBuffer(1024);
    const got = seal({ data: buffer }, [buffer]) as { data: ArrayBuffer };
    expect(buffer.byteLength).toBe(0);
    expect(got.data.byteLength).toBe(1024);
    expect(sentByteLength(buffer)).toBe(1024);
    expect(sentByteLength(got.data)).toBe(1024);
    expect(sentByteLength(new ArrayBuffer(0))).toBe(0);
  });

  it('a moved buffer inside arrays and null-prototype objects arrives in place; untouched parts are kept', () => {
    const buffer = new ArrayBuffer(4);
    new Uint8Array(buffer).set([1, 2, 3, 4]);
    const holder = Object.assign(Object.create(null), { bytes: buffer, label: 'b' });
    const got = seal({ list: [holder, { plain: [1, 2] }], view: new Uint8Array(new ArrayBuffer(2)) }, [buffer]) as {
      list: [{ bytes: ArrayBuffer; label: string }, { plain: number[] }];
      view: Uint8Array;
    };
    expect(buffer.byteLength).toBe(0);
    expect([...new Uint8Array(got.list[0].bytes)]).toEqual([1, 2, 3, 4]);
    expect(got.list[0].label).toBe('b');
    expect(Object.getPrototypeOf(got.list[0])).toBe(null);
    expect(got.list[1]).toEqual({ plain: [1, 2] });
    expect(got.view.length).toBe(2);
    expect(Object.isFrozen(got.list)).toBe(true);
  });
});

describe('arrival from another thread', () => {
  it('freezeArrived freezes objects and arrays in place, deeply, and leaves binary data writable', () => {
    const bytes = new Uint8Array([1, 2]);
    const value = { a: [{ b: 1 }, [2]], bytes, buffer: new ArrayBuffer(2), already: Object.freeze({ c: { d: 1 } }) };
    const out = freezeArrived(value);
    expect(out).toBe(value);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a[0])).toBe(true);
    expect(Object.isFrozen(value.a[1])).toBe(true);
    bytes[0] = 9;
    expect(bytes[0]).toBe(9);
    expect(Object.isFrozen(value.already.c)).toBe(false); // an already frozen object is taken as it is
    expect(freezeArrived(7)).toBe(7);
    expect(freezeArrived(null)).toBe(null);
  });

  it('buffersIn lists each ArrayBuffer once, found directly or through views, and never a shared one', () => {
    const a = new ArrayBuffer(4);
    const b = new ArrayBuffer(8);
    const found = buffersIn({
      a,
      again: a,
      view: new Uint16Array(b),
      dv: new DataView(b),
      shared: new Int8Array(new SharedArrayBuffer(4)),
      nested: [{ deep: [a] }],
      n: 1,
    });
    expect(found).toEqual([a, b]);
    expect(buffersIn('text')).toEqual([]);
  });
});
