// What crosses between processes: the receiver gets a deep-frozen copy made at the send site;
// ArrayBuffers can be moved (transfer); what cannot cross is a MessageError at the send site.
import { describe, expect, it, vi } from 'vitest';
import { MessageError, NoSuchNameError, createSystem, formatReason, type Ref, type SendOptions } from '../index.ts';

/** Sends `make()` from a process to a receiver and returns what the receiver got (and the sender's view). */
async function roundTrip<T>(make: () => T, options?: SendOptions, afterSend?: (sent: T) => void): Promise<{ sent: T; got: unknown }> {
  const system = createSystem({ seed: 1 });
  let got: unknown;
  let sent: T | undefined;
  const receiver = system.spawn(async (self) => {
    got = await self.receive();
  });
  const sender = system.spawn(async (self) => {
    sent = make();
    self.send(receiver, sent, options);
    afterSend?.(sent);
  });
  await system.runUntilIdle();
  const ended = system.info(sender)!.reason!;
  if (ended !== 'normal') throw new Error(`the sender crashed: ${formatReason(ended)}`);
  return { sent: sent as T, got };
}

/** Whether `value` and everything reachable from it (except binary data) is frozen. */
function deepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  return Object.isFrozen(value) && Object.values(value).every(deepFrozen);
}

/** Sends `message` from inside a process; returns what send threw (and checks nothing was sent). */
async function sendError(message: unknown, transfer?: ArrayBuffer[]): Promise<MessageError> {
  const system = createSystem({ seed: 1 });
  let received: unknown = 'nothing';
  const receiver = system.spawn(async (self) => {
    received = await self.receive(undefined, { after: 10 });
  });
  let thrown: unknown;
  system.spawn(async (self) => {
    try {
      self.send(receiver, message as never, transfer ? { transfer } : undefined);
    } catch (err) {
      thrown = err;
    }
  });
  await system.runUntilIdle();
  expect(received).toBeUndefined(); // nothing half-sent
  expect(system.trace!.of('send')).toEqual([]);
  expect(thrown).toBeInstanceOf(MessageError);
  return thrown as MessageError;
}

describe('message copying', () => {
  it("the receiver gets a copy: the sender's mutations after send do not change what it sees", async () => {
    const { sent, got } = await roundTrip(
      () => ({ type: 'order', items: [{ sku: 'a', qty: 1 }], meta: { tags: ['x'] } }),
      undefined,
      (m) => {
        m.items[0]!.qty = 999;
        m.items.push({ sku: 'b', qty: 2 });
        m.meta.tags.length = 0;
        m.type = 'changed';
      },
    );
    expect(got).toEqual({ type: 'order', items: [{ sku: 'a', qty: 1 }], meta: { tags: ['x'] } });
    expect(got).not.toBe(sent);
  });

  it('the receiver cannot change what it got: the copy is deeply frozen (writes throw in strict code)', async () => {
    const { got } = await roundTrip(() => ({ a: { b: [1, { c: 2 }] } }));
    expect(deepFrozen(got)).toBe(true);
    const m = got as { a: { b: [number, { c: number }] } };
    expect(() => {
      m.a.b[1].c = 3;
    }).toThrow(TypeError);
    expect(() => {
      (m.a.b as unknown as number[]).push(3);
    }).toThrow(TypeError);
  });

  it('plain data of every supported kind arrives intact (primitives, bigint, null, nested arrays, null-prototype objects)', async () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: 'v' });
    const value = { s: 'x', n: 1.5, neg: -0, big: 12345678901234567890n, t: true, nil: null, undef: undefined, nested: [[1], [2, [3]]], bare };
    const { got } = await roundTrip(() => value);
    expect(got).toEqual(value);
    expect(Object.is((got as { neg: number }).neg, -0)).toBe(true);
    for (const prim of [0, 'str', false, null, 7n]) {
      expect((await roundTrip(() => prim)).got).toBe(prim);
    }
  });

  it('an own property named __proto__ (as JSON.parse makes) arrives as data, as structured clone keeps it', async () => {
    const { got } = await roundTrip(() => JSON.parse('{"n": 1, "__proto__": {"polluted": true}}') as unknown);
    expect(Object.keys(got as object)).toEqual(['n', '__proto__']);
    expect((got as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
  });

  it('a Ref inside a message stays usable by the receiver', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const echo = system.spawn<{ replyTo: Ref<string>; text: string }>(async (self) => {
      const m = await self.receive();
      self.send(m.replyTo, m.text.toUpperCase());
    });
    system.spawn<string>(async (self) => {
      self.send(echo, { replyTo: self.ref, text: 'hi' });
      log.push(await self.receive());
    });
    await system.runUntilIdle();
    expect(log).toEqual(['HI']);
  });
});

describe('binary data', () => {
  it("without transfer, bytes are copied: the sender's later writes do not reach the receiver", async () => {
    const { sent, got } = await roundTrip(
      () => ({ data: new Uint8Array([1, 2, 3]) }),
      undefined,
      (m) => {
        m.data[0] = 99;
      },
    );
    expect([...(got as { data: Uint8Array }).data]).toEqual([1, 2, 3]);
    expect(sent.data.byteLength).toBe(3); // the sender keeps its buffer
  });

  it("transfer moves an ArrayBuffer: the sender's copy is detached at once and the receiver gets the bytes", async () => {
    const buf = new ArrayBuffer(4);
    new Uint8Array(buf).set([10, 20, 30, 40]);
    let detachedRightAfterSend = -1;
    const { sent, got } = await roundTrip(
      () => ({ buf }),
      { transfer: [buf] },
      () => {
        detachedRightAfterSend = buf.byteLength;
      },
    );
    expect(detachedRightAfterSend).toBe(0);
    expect(sent.buf.byteLength).toBe(0);
    expect(() => new Uint8Array(sent.buf)).toThrow(TypeError);
    const received = (got as { buf: ArrayBuffer }).buf;
    expect(received).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(received)]).toEqual([10, 20, 30, 40]);
  });

  it('transfer copies no bytes: the moved buffer is never sliced, not even while the message is checked', async () => {
    const buf = new ArrayBuffer(1024);
    const slice = vi.spyOn(ArrayBuffer.prototype, 'slice');
    try {
      const { got } = await roundTrip(() => ({ buf, view: new Uint8Array(buf, 8, 8) }), { transfer: [buf] });
      expect(slice).not.toHaveBeenCalled();
      expect((got as { buf: ArrayBuffer }).buf.byteLength).toBe(1024);
    } finally {
      slice.mockRestore();
    }
  });

  it('without transfer, typed-array and DataView views arrive with their offset, length and bytes', async () => {
    const buf = new ArrayBuffer(8);
    new Uint8Array(buf).set([1, 2, 3, 4, 5, 6, 7, 8]);
    const { got } = await roundTrip(() => ({ u8: new Uint8Array(buf, 2, 3), dv: new DataView(buf, 4, 4) }));
    const m = got as { u8: Uint8Array; dv: DataView };
    expect(m.u8).toBeInstanceOf(Uint8Array);
    expect([...m.u8]).toEqual([3, 4, 5]);
    expect(m.dv).toBeInstanceOf(DataView);
    expect([m.dv.byteOffset, m.dv.byteLength, m.dv.getUint8(0)]).toEqual([4, 4, 5]);
    expect(m.u8.buffer).toBe(m.dv.buffer); // views onto one buffer still share one buffer
  });

  it('transfer through a typed-array view: the view arrives with its bytes, the sender buffer is detached', async () => {
    const whole = new ArrayBuffer(4);
    new Uint8Array(whole).set([1, 2, 3, 4]);
    const part = new ArrayBuffer(8);
    const view = new Uint16Array(part, 2, 2);
    view.set([513, 1027]);
    const { got } = await roundTrip(() => ({ bytes: new Uint8Array(whole), view }), { transfer: [whole, part] });
    const m = got as { bytes: Uint8Array; view: Uint16Array };
    expect(whole.byteLength).toBe(0);
    expect(part.byteLength).toBe(0);
    expect([...m.bytes]).toEqual([1, 2, 3, 4]);
    expect(m.view).toBeInstanceOf(Uint16Array);
    expect([m.view.byteOffset, ...m.view]).toEqual([2, 513, 1027]);
  });

  it('transfer through a DataView delivers it', async () => {
    const buf = new ArrayBuffer(4);
    new Uint8Array(buf).set([9, 8, 7, 6]);
    const { got } = await roundTrip(() => ({ dv: new DataView(buf) }), { transfer: [buf] });
    const dv = (got as { dv: DataView }).dv;
    expect([dv.byteLength, dv.getUint8(0)]).toEqual([4, 9]);
  });

  it("a send that fails with a MessageError leaves the sender's transfer buffers intact", async () => {
    const buf = new ArrayBuffer(4);
    new Uint8Array(buf).set([1, 2, 3, 4]);
    const err = await sendError({ buf, callback: () => 1 }, [buf]);
    expect(err.message).toContain('message.callback');
    expect(buf.byteLength).toBe(4);
    expect([...new Uint8Array(buf)]).toEqual([1, 2, 3, 4]);
  });

  it("a send to an unknown name fails at once and leaves the sender's transfer buffers intact", () => {
    const system = createSystem({ seed: 1 });
    const buf = new ArrayBuffer(4);
    expect(() => system.send('nobody', { buf }, { transfer: [buf] })).toThrow(NoSuchNameError);
    expect(buf.byteLength).toBe(4);
  });

  it('sending a buffer whose ownership was already transferred is a MessageError', async () => {
    const buf = new ArrayBuffer(4);
    await roundTrip(() => ({ buf }), { transfer: [buf] });
    const err = await sendError({ again: buf });
    expect(err.message).toMatch(/detached/);
    expect(err.message).toContain('message.again');
  });
});

describe('a message is read once', () => {
  it('each getter in a message runs once, with or without transfer', async () => {
    for (const transfer of [false, true]) {
      let reads = 0;
      const buf = new ArrayBuffer(4);
      const { got } = await roundTrip(
        () => ({
          get n() {
            reads++;
            return 7;
          },
          buf,
        }),
        transfer ? { transfer: [buf] } : undefined,
      );
      expect(reads, `transfer: ${transfer}`).toBe(1);
      expect((got as { n: number }).n).toBe(7);
    }
  });

  it('a getter that sends while its message is being sealed changes nothing: the transfer still moves, and views still share one buffer', async () => {
    const system = createSystem({ seed: 1 });
    const got: unknown[] = [];
    const receiver = system.spawn(async (self) => {
      for (;;) got.push(await self.receive());
    });
    const buf = new ArrayBuffer(8);
    new Uint8Array(buf).set([1, 2, 3, 4, 5, 6, 7, 8]);
    const other = new ArrayBuffer(8);
    system.spawn(async (self) => {
      const message = {
        head: new Uint8Array(other, 0, 4),
        get note() {
          // a send in the middle of this message's copy (it seals another message, with views of its own)
          self.send(receiver, { inner: new Uint8Array(new ArrayBuffer(2)) });
          return 'read once';
        },
        tail: new Uint8Array(other, 4, 4),
        buf,
      };
      self.send(receiver, message, { transfer: [buf] });
    });
    await system.runUntilIdle();
    expect(buf.byteLength).toBe(0); // moved, not copied
    const outer = got.find((m) => (m as { note?: string }).note !== undefined) as { head: Uint8Array; tail: Uint8Array; buf: ArrayBuffer; note: string };
    expect(outer.note).toBe('read once');
    expect([...new Uint8Array(outer.buf)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(outer.head.buffer).toBe(outer.tail.buffer); // the copy keeps one buffer under both views
    expect(got).toHaveLength(2);
  });

  it('a transfer through a view over a moved buffer rebuilds the view over the moved bytes (offset and length kept)', async () => {
    const buf = new ArrayBuffer(16);
    new Uint8Array(buf).forEach((_, i, a) => {
      a[i] = i;
    });
    const { got } = await roundTrip(() => ({ view: new Uint16Array(buf, 4, 3), nested: [{ bytes: new Uint8Array(buf, 10, 2) }] }), { transfer: [buf] });
    const m = got as { view: Uint16Array; nested: [{ bytes: Uint8Array }] };
    expect(buf.byteLength).toBe(0);
    expect([m.view.byteOffset, m.view.length]).toEqual([4, 3]);
    expect([...m.nested[0].bytes]).toEqual([10, 11]);
    expect(m.view.buffer).toBe(m.nested[0].bytes.buffer);
    expect(Object.isFrozen(m) && Object.isFrozen(m.nested) && Object.isFrozen(m.nested[0])).toBe(true);
  });
});

describe('what cannot be sent is a MessageError at the send site, naming the path', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
    norm() {
      return Math.hypot(this.x, this.y);
    }
  }

  it('a function', async () => {
    const err = await sendError({ type: 'job', payload: { handler: () => 42 } });
    expect(err.message).toMatch(/function/);
    expect(err.message).toContain('message.payload.handler');
  });

  it('a class instance (an object with methods)', async () => {
    const err = await sendError({ shapes: [{ ok: 1 }, new Point(3, 4)] });
    expect(err.message).toContain('Point');
    expect(err.message).toContain('message.shapes[1]');
  });

  it('a Map (and a Set, a Date)', async () => {
    const err = await sendError({ index: new Map([['a', 1]]) });
    expect(err.message).toMatch(/Map/);
    expect(err.message).toContain('message.index');
    expect((await sendError({ s: new Set([1]) })).message).toContain('message.s');
    expect((await sendError({ when: new Date(0) })).message).toContain('message.when');
  });

  it('a cyclic value', async () => {
    const node: { name: string; next?: unknown } = { name: 'n' };
    node.next = node;
    const err = await sendError({ list: node });
    expect(err.message).toMatch(/cyclic/);
    expect(err.message).toContain('message.list');
  });

  it('undefined and a symbol', async () => {
    expect((await sendError(undefined)).message).toMatch(/undefined/);
    expect((await sendError({ tag: Symbol('t') })).message).toContain('message.tag');
  });

  it('from outside the system too (system.send throws at once)', () => {
    const system = createSystem({ seed: 1 });
    const p = system.spawn(async (self) => {
      await self.receive();
    });
    expect(() => system.send(p, { f: () => 1 })).toThrow(MessageError);
  });
});
