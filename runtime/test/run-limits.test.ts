// How a deterministic run ends: idle, a step budget (the livelock safety net), a window of
// virtual time, a condition; one run at a time; single steps.
import { describe, expect, it } from 'vitest';
import { createSystem, type Ref } from '../index.ts';

type Ball = { type: 'ball'; from: Ref<Ball> };

/** Two processes that pass a ball forever: a livelock. */
function livelock(seed = 1) {
  const system = createSystem({ seed, trace: false });
  let hits = 0;
  const player = () =>
    system.spawn<Ball>(async (self) => {
      for (;;) {
        const m = await self.receive();
        hits++;
        self.send(m.from, { type: 'ball', from: self.ref });
      }
    });
  const a = player();
  const b = player();
  system.send(a, { type: 'ball', from: b });
  return { system, hits: () => hits };
}

describe('a run stops', () => {
  it('at maxSteps on a livelock, not idle, and the next run carries on from there', async () => {
    const { system, hits } = livelock();
    const first = await system.runUntilIdle({ maxSteps: 500 });
    expect(first).toMatchObject({ stoppedBy: 'max-steps', steps: 500, idle: false });
    const afterFirst = hits();
    expect(afterFirst).toBeGreaterThan(100);
    const second = await system.runUntilIdle({ maxSteps: 100 });
    expect(second).toMatchObject({ stoppedBy: 'max-steps', steps: 100 });
    expect(hits()).toBeGreaterThan(afterFirst);
  });

  it('the same seed stops a livelock at the same point', async () => {
    const one = livelock(7);
    const two = livelock(7);
    await one.system.runUntilIdle({ maxSteps: 333 });
    await two.system.runUntilIdle({ maxSteps: 333 });
    expect(one.hits()).toBe(two.hits());
  });

  it('at maxTime: timers due later stay pending and the clock stays at the last one fired', async () => {
    const system = createSystem({ seed: 1 });
    const fired: number[] = [];
    system.spawn(async (self) => {
      for (;;) {
        await self.sleep(100);
        fired.push(self.now());
      }
    });
    const report = await system.runUntilIdle({ maxTime: 350 });
    expect(report.stoppedBy).toBe('max-time');
    expect(report.idle).toBe(false);
    expect(fired).toEqual([100, 200, 300]);
    expect(system.now()).toBe(300);
    expect(system.pendingTimers).toBe(1);
  });

  it('runUntil honours maxTime and maxSteps too, and reports a condition that holds', async () => {
    const system = createSystem({ seed: 1 });
    let ticks = 0;
    system.spawn(async (self) => {
      for (;;) {
        await self.sleep(10);
        ticks++;
      }
    });
    expect((await system.runUntil(() => ticks >= 1000, { maxTime: 55 })).stoppedBy).toBe('max-time');
    expect(ticks).toBe(5);
    expect((await system.runUntil(() => false, { maxSteps: 3 })).stoppedBy).toBe('max-steps');
    expect(ticks).toBeLessThanOrEqual(8);
    const met = await system.runUntil(() => ticks >= 12);
    expect(met.stoppedBy).toBe('condition');
    expect(ticks).toBe(12);
    expect(met.now).toBe(120);
  });

  it('idle, with advance moving the clock to the end of its window even when nothing is due', async () => {
    const system = createSystem({ seed: 1 });
    const report = await system.advance(250);
    expect(report).toMatchObject({ stoppedBy: 'idle', idle: true, steps: 0, now: 250 });
  });
});

describe('one run at a time', () => {
  it('a second run while one is in progress is refused, and the first completes normally', async () => {
    const system = createSystem({ seed: 1 });
    const got: string[] = [];
    const p = system.spawn(async (self) => {
      got.push(String(await self.receive()));
      await self.sleep(10);
      got.push(String(await self.receive()));
    });
    system.send(p, 'one');
    system.send(p, 'two');
    const first = system.runUntilIdle();
    await expect(system.runUntilIdle()).rejects.toThrow(/already running/);
    await expect(system.advance(5)).rejects.toThrow(/already running/);
    const report = await first;
    expect(report.stoppedBy).toBe('idle');
    expect(got).toEqual(['one', 'two']);
  });

  // step() once ran nothing and always said false (a run checks its condition before the first event).
  it('step() runs one event at a time and says false once nothing is left', async () => {
    const system = createSystem({ seed: 1 });
    const seen: number[] = [];
    const p = system.spawn(async (self) => {
      for (;;) seen.push((await self.receive()) as number);
    });
    system.send(p, 1);
    system.send(p, 2);
    let steps = 0;
    while (await system.step()) steps++;
    expect(seen).toEqual([1, 2]);
    expect(steps).toBeGreaterThanOrEqual(3); // the start, then each delivery
    expect(await system.step()).toBe(false);
  });
});
