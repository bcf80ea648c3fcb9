// Selective receive: the first message that matches (predicate, zod schema, shape, or any of an
// array of them) is taken; the others stay in the mailbox in their order. `after` timeouts.
// Shapes match as Erlang patterns; select is a receive with several clauses; a context names
// the system messages (EXIT, DOWN) it handles.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createSystem, type Context, type DownMessage, type ExitMessage, type ExitReason, type Ref } from '../index.ts';
import { errorOf, fate } from './helpers.ts';

type Msg = { type: 'a'; n: number } | { type: 'b'; n: number } | { type: 'c'; n: number } | { type: 'pt'; at: { x: number; y: number } };

/**
 * Fills a process's mailbox with `queued` (from one sender, so in this order), then runs `body`
 * once they are all there. Returns what `body` returned.
 */
async function withMailbox<R>(queued: Msg[], body: (self: Context<Msg>) => Promise<R>, seed = 1): Promise<R> {
  const system = createSystem({ seed });
  let result: { value: R } | undefined;
  const p = system.spawn<Msg>(async (self) => {
    await self.sleep(10); // everything below arrives meanwhile
    expect(system.info(self.ref)?.mailbox).toBe(queued.length);
    result = { value: await body(self) };
  });
  system.spawn(async (self) => {
    for (const m of queued) self.send(p, m);
  });
  await system.runUntilIdle();
  if (!result) throw new Error('the receiving process did not finish');
  return result.value;
}

const a1 = { type: 'a', n: 1 } as const;
const b1 = { type: 'b', n: 1 } as const;
const a2 = { type: 'a', n: 2 } as const;
const b2 = { type: 'b', n: 2 } as const;
const c1 = { type: 'c', n: 1 } as const;

describe('selective receive', () => {
  it('a predicate takes the first matching message; the others stay in order', async () => {
    const got = await withMailbox([a1, b1, a2, b2], async (self) => {
      const first = await self.receive((m): m is Extract<Msg, { type: 'b' }> => m.type === 'b');
      const rest = [await self.receive(), await self.receive(), await self.receive()];
      return { first, rest };
    });
    expect(got.first).toEqual(b1);
    expect(got.rest).toEqual([a1, a2, b2]);
  });

  it('a zod schema matches the messages it parses', async () => {
    const BigB = z.object({ type: z.literal('b'), n: z.number().min(2) });
    const got = await withMailbox([a1, b1, b2, a2], async (self) => {
      const m = await self.receive(BigB);
      return [m.n, await self.receive(), await self.receive(), await self.receive()];
    });
    expect(got).toEqual([2, a1, b1, a2]);
  });

  it('a shape {type} matches on the listed fields only, and nested shapes recurse', async () => {
    const pt1 = { type: 'pt', at: { x: 1, y: 5 } } as const;
    const pt2 = { type: 'pt', at: { x: 2, y: 5 } } as const;
    const got = await withMailbox([a1, pt1, c1, pt2], async (self) => {
      const c = await self.receive({ type: 'c' });
      const p = await self.receive({ type: 'pt', at: { x: 2 } });
      return [c, p, await self.receive(), await self.receive()];
    });
    expect(got).toEqual([c1, pt2, a1, pt1]);
  });

  it('an array of patterns takes the first message (in mailbox order) matching any of them', async () => {
    const got = await withMailbox([a1, b1, c1, a2], async (self) => {
      const first = await self.receive([{ type: 'c' }, { type: 'b' }]);
      const second = await self.receive([{ type: 'c' }, { type: 'b' }]);
      return [first, second, await self.receive(), await self.receive()];
    });
    expect(got).toEqual([b1, c1, a1, a2]);
  });

  it('unmatched messages keep their arrival order across several selective receives', async () => {
    const got = await withMailbox([a1, b1, a2, b2, c1], async (self) => {
      const taken = [await self.receive({ type: 'c' }), await self.receive({ type: 'b', n: 2 })];
      const left = [await self.receive(), await self.receive(), await self.receive()];
      return { taken, left };
    });
    expect(got.taken).toEqual([c1, b2]);
    expect(got.left).toEqual([a1, b1, a2]);
  });

  it('a receive waits for a matching message that arrives later, leaving non-matching ones queued', async () => {
    const system = createSystem({ seed: 2 });
    const log: unknown[] = [];
    const p = system.spawn<Msg>(async (self) => {
      log.push(await self.receive({ type: 'c' }));
      log.push(self.now());
      log.push(await self.receive(), await self.receive());
    });
    system.spawn(async (self) => {
      self.send(p, a1);
      self.send(p, b1);
      await self.sleep(50);
      self.send(p, c1);
    });
    await system.runUntilIdle();
    expect(log).toEqual([c1, 50, a1, b1]);
  });
});

describe('receive ... after', () => {
  it('after: 0 returns undefined at once when nothing matches, without setting a timer or moving the clock', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const p = system.spawn<Msg>(async (self) => {
      const t0 = self.now();
      log.push(await self.receive({ type: 'c' }, { after: 0 }));
      log.push(self.now() - t0);
      log.push(await self.receive()); // the non-matching message is still there
    });
    system.send(p, a1);
    await system.runUntilIdle();
    expect(log).toEqual([undefined, 0, a1]);
    expect(system.trace!.of('timer').filter((e) => e.pid === p.pid)).toEqual([]);
  });

  it('after: 0 returns a matching message that is already in the mailbox', async () => {
    const got = await withMailbox([a1, c1], async (self) => [
      await self.receive({ type: 'c' }, { after: 0 }),
      await self.receive({ type: 'c' }, { after: 0 }),
      await self.receive(undefined, { after: 0 }),
    ]);
    expect(got).toEqual([c1, undefined, a1]);
  });

  it('after: N gives up at exactly N virtual ms and returns undefined; non-matching messages stay', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const p = system.spawn<Msg>(async (self) => {
      log.push(await self.receive({ type: 'c' }, { after: 100 }));
      log.push(self.now());
      log.push(await self.receive(undefined, { after: 0 }));
    });
    system.send(p, a1);
    await system.runUntilIdle();
    expect(log).toEqual([undefined, 100, a1]);
    expect(system.pendingTimers).toBe(0);
  });

  it('after: N returns a message that arrives in time, and cancels its timer', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    let timersAfterReceive = -1;
    const p = system.spawn<Msg>(async (self) => {
      log.push(await self.receive({ type: 'c' }, { after: 100 }));
      log.push(self.now());
      timersAfterReceive = system.info(self.ref)!.timers;
    });
    system.spawn(async (self) => {
      await self.sleep(30);
      self.send(p, c1);
    });
    const report = await system.runUntilIdle();
    expect(log).toEqual([c1, 30]);
    expect(timersAfterReceive).toBe(0);
    expect(report.now).toBe(30); // the cancelled 100 ms timer did not drag the clock forward
  });

  it('after: Infinity (the default) waits forever without a timer, and still gets a late message', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const p = system.spawn<Msg>(async (self) => {
      log.push(await self.receive({ type: 'c' }, { after: Infinity }));
      log.push(self.now());
    });
    const idle = await system.runUntilIdle();
    expect(idle.idle).toBe(true);
    expect(system.pendingTimers).toBe(0);
    expect(system.isAlive(p)).toBe(true);
    await system.advance(10_000);
    system.send(p, c1);
    await system.runUntilIdle();
    expect(log).toEqual([c1, 10_000]);
  });
});

describe('patterns match as Erlang patterns', () => {
  type Any = { type: string; [key: string]: unknown };
  const take = (queued: unknown[], pattern: unknown) =>
    withMailbox(queued as Msg[], async (self) => (self as unknown as Context<Any>).receive(pattern as never, { after: 0 }));

  it('an array matches an array of the same length, element by element: [1] does not match [1, 2, 3], [] matches only []', async () => {
    const long = { type: 'path', hops: [1, 2, 3] };
    expect(await take([long], { type: 'path', hops: [1] })).toBeUndefined();
    expect(await take([long], { type: 'path', hops: [1, 2, 3] })).toEqual(long);
    expect(await take([long], { type: 'path', hops: [] })).toBeUndefined();
    expect(await take([{ type: 'path', hops: [] }], { type: 'path', hops: [] })).toEqual({ type: 'path', hops: [] });
    expect(await take([{ type: 'path', hops: { 0: 1 } }], { type: 'path', hops: [1] })).toBeUndefined(); // an object is not a list
    expect(await take([{ type: 'pairs', xs: [{ k: 'a', v: 1 }] }], { type: 'pairs', xs: [{ k: 'a' }] })).toEqual({ type: 'pairs', xs: [{ k: 'a', v: 1 }] });
  });

  it('an object matches an object with every listed key (other keys allowed, as in an Erlang map), never an array', async () => {
    const m = { type: 'job', id: 7, extra: true };
    expect(await take([m], { type: 'job', id: 7 })).toEqual(m);
    expect(await take([m], { type: 'job', id: 8 })).toBeUndefined();
    expect(await take([{ type: 'box', of: [1] }], { type: 'box', of: {} })).toBeUndefined(); // {} needs an object, not an array
    expect(await take([{ type: 'box', of: { a: 1 } }], { type: 'box', of: {} })).toEqual({ type: 'box', of: { a: 1 } });
  });

  it('undefined matches a key that is present with the value undefined, not a missing key', async () => {
    expect(await take([{ type: 'reply' }], { type: 'reply', id: undefined })).toBeUndefined();
    expect(await take([{ type: 'reply', id: undefined }], { type: 'reply', id: undefined })).toEqual({ type: 'reply', id: undefined });
    expect(await take([{ type: 'reply', id: 1 }], { type: 'reply', id: undefined })).toBeUndefined();
  });

  it('other values match by Object.is: NaN matches NaN, 0 does not match -0', async () => {
    expect(await take([{ type: 'x', v: NaN }], { type: 'x', v: NaN })).toEqual({ type: 'x', v: NaN });
    expect(await take([{ type: 'x', v: -0 }], { type: 'x', v: 0 })).toBeUndefined();
  });

  it('an empty list of alternatives is refused at the call, not a receive that waits for ever', async () => {
    const system = createSystem({ seed: 1 });
    let error: unknown;
    system.spawn(async (self) => {
      try {
        await self.receive([]);
      } catch (err) {
        error = err;
      }
    });
    await system.runUntilIdle();
    expect(error).toBeInstanceOf(TypeError);
  });
});

describe('select: one receive, several clauses', () => {
  it('takes the first message in mailbox order that any clause matches, runs the first matching clause, and returns its result', async () => {
    const got = await withMailbox([a1, c1, b1], async (self) => {
      const first = await self.select([
        [{ type: 'b' }, (m) => `b${m.n}`],
        [{ type: 'c' }, (m) => `c${m.n}`],
        [(m: Msg) => m.type !== 'a', () => 'not a'], // matches c1 too, but the clause above comes first
      ]);
      const second = await self.select([
        [{ type: 'b' }, async (m) => `b${m.n}`],
        [{ type: 'c' }, (m) => `c${m.n}`],
      ]);
      return [first, second, await self.receive()];
    });
    expect(got).toEqual(['c1', 'b1', a1]);
  });

  it('tries each pattern once per message (a pattern with side effects runs once), and matches later arrivals too', async () => {
    const system = createSystem({ seed: 1 });
    const tried: string[] = [];
    const log: unknown[] = [];
    const p = system.spawn<Msg>(async (self) => {
      log.push(
        await self.select([
          [
            (m: Msg) => {
              tried.push(`${m.type}${(m as { n: number }).n}?`);
              return m.type === 'c';
            },
            (m) => m,
          ],
        ]),
      );
    });
    system.spawn(async (self) => {
      self.send(p, a1);
      await self.sleep(10);
      self.send(p, b1);
      self.send(p, c1);
    });
    await system.runUntilIdle();
    expect(log).toEqual([c1]);
    expect(tried).toEqual(['a1?', 'b1?', 'c1?']);
  });

  it('with after, resolves to undefined when nothing matches in time; the messages stay', async () => {
    const got = await withMailbox([a1], async (self) => {
      const none = await self.select([[{ type: 'c' }, () => 'c']], { after: 50 });
      return [none, self.now(), await self.receive()];
    });
    expect(got).toEqual([undefined, 60, a1]); // withMailbox's process starts receiving at t=10
  });

  it('a handler that throws makes select reject: uncaught, the process crashes', async () => {
    const system = createSystem({ seed: 1 });
    const p = system.spawn<Msg>(async (self) => {
      await self.select([
        [
          { type: 'a' },
          () => {
            throw new Error('clause failed');
          },
        ],
      ]);
    });
    system.send(p, a1);
    await system.runUntilIdle();
    expect(errorOf(fate(system, p)).message).toBe('clause failed');
  });
});

describe('system messages in the message type', () => {
  it('a context names the system messages it handles: receive returns them, patterns select them, others cannot send them', async () => {
    type Job = { type: 'job'; n: number };
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const p = system.spawn(async (self: Context<Job, ExitMessage | DownMessage>) => {
      self.trapExit(true);
      const child = self.spawnLink(async () => {});
      const exit = await self.receive({ type: 'EXIT' });
      expectTypeOf(exit).toEqualTypeOf<ExitMessage>();
      log.push(exit.from.pid === child.pid);
      self.monitor(child);
      const next = () => self.receive();
      expectTypeOf<Awaited<ReturnType<typeof next>>>().toEqualTypeOf<Job | ExitMessage | DownMessage>();
      const down = await self.receive({ type: 'DOWN' });
      log.push(down.reason);
      const job = await self.select([
        [{ type: 'job' }, (m) => m.n],
        [{ type: 'DOWN' }, (m) => m.reason],
      ]);
      expectTypeOf(job).toEqualTypeOf<number | ExitReason>();
      log.push(job);
    });
    expectTypeOf(p).toEqualTypeOf<Ref<Job>>();
    // @ts-expect-error others cannot send it an EXIT: its Ref accepts jobs only
    expect(() => system.send(p, { type: 'EXIT', from: p, reason: 'forged' })).not.toThrow();
    system.send(p, { type: 'job', n: 3 });
    await system.runUntilIdle();
    expect(log).toEqual([true, 'noproc', 3]);
  });

  it('a context without system messages in its type keeps receive() to its own messages', () => {
    type Job = { type: 'job'; n: number };
    const body = async (self: Context<Job>) => {
      expectTypeOf(await self.receive()).toEqualTypeOf<Job>();
      // @ts-expect-error 'EXIT' is not one of its message types
      await self.receive({ type: 'EXIT' });
    };
    expect(typeof body).toBe('function');
  });
});
