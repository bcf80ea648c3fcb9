// Selective receive: the first message that matches (predicate, zod schema, shape, or any of an
// array of them) is taken; the others stay in the mailbox in their order. `after` timeouts.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSystem, type Context } from '../index.ts';

type Msg =
  | { type: 'a'; n: number }
  | { type: 'b'; n: number }
  | { type: 'c'; n: number }
  | { type: 'pt'; at: { x: number; y: number } };

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
