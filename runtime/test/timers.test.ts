// Virtual time and timers: the clock moves only through runUntilIdle/advance/runUntil; timers
// (setTimer = erlang:send_after, sleep, receive-after) fire at their due virtual time, die with
// their process, and can be cancelled; an idle system has no pending timers.
import { describe, expect, it } from 'vitest';
import { createSystem, type TimerRef } from '../index.ts';

describe('virtual time', () => {
  it('the clock starts at 0 and moves only when the system is run; advance(ms) moves it even when idle', async () => {
    const system = createSystem({ seed: 1 });
    expect(system.now()).toBe(0);
    await system.runUntilIdle();
    expect(system.now()).toBe(0); // nothing to wait for: time does not pass
    const report = await system.advance(1500);
    expect(report.now).toBe(1500);
    expect(system.now()).toBe(1500);
  });

  it('sleep resumes a process at exactly now + ms, and runUntilIdle jumps the clock to the last timer', async () => {
    const system = createSystem({ seed: 1 });
    const times: number[] = [];
    system.spawn(async (self) => {
      times.push(self.now());
      await self.sleep(250);
      times.push(self.now());
      await self.sleep(1000);
      times.push(self.now());
    });
    const started = Date.now();
    await system.runUntilIdle();
    expect(times).toEqual([0, 250, 1250]);
    expect(system.now()).toBe(1250);
    expect(Date.now() - started).toBeLessThan(1000); // virtual: no real waiting
  });

  it('advance(ms) runs only what is due within the window, and the rest later', async () => {
    const system = createSystem({ seed: 1 });
    const fired: number[] = [];
    for (const at of [100, 200, 300]) {
      system.spawn(async (self) => {
        await self.sleep(at);
        fired.push(self.now());
      });
    }
    await system.advance(200);
    expect(fired).toEqual([100, 200]); // a timer due exactly at the end of the window fires
    expect(system.pendingTimers).toBe(1);
    await system.advance(99);
    expect(fired).toEqual([100, 200]);
    await system.advance(1);
    expect(fired).toEqual([100, 200, 300]);
  });

  it('runUntil(condition) stops as soon as the condition holds', async () => {
    const system = createSystem({ seed: 1 });
    let ticks = 0;
    system.spawn(async (self) => {
      for (;;) {
        await self.sleep(10);
        ticks++;
      }
    });
    const report = await system.runUntil(() => ticks === 5);
    expect(report.stoppedBy).toBe('condition');
    expect(ticks).toBe(5);
    expect(system.now()).toBe(50);
  });

  it('timers fire in due order; timers due at the same instant are concurrent events ordered by the seed', async () => {
    const run = async (seed: number) => {
      const system = createSystem({ seed });
      const got: string[] = [];
      system.spawn<string>(async (self) => {
        for (const m of ['a', 'b', 'c', 'd']) self.setTimer(100, m);
        self.setTimer(99, 'early'); // set last, due first
        self.setTimer(101, 'late');
        for (let i = 0; i < 6; i++) got.push(await self.receive());
      });
      await system.runUntilIdle();
      return got;
    };
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const got = await run(seed);
      expect(got[0], `seed ${seed}`).toBe('early');
      expect(got[5], `seed ${seed}`).toBe('late');
      expect(await run(seed), `seed ${seed}`).toEqual(got); // reproducible
    }
    // Not promised (and not tested): creation order among timers due at the same instant.
  });
});

describe('setTimer / cancelTimer', () => {
  it('setTimer sends the message to the process itself after ms', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    system.spawn<{ type: 'tick'; n: number }>(async (self) => {
      self.setTimer(300, { type: 'tick', n: 2 });
      self.setTimer(100, { type: 'tick', n: 1 });
      for (let i = 0; i < 2; i++) {
        const m = await self.receive();
        log.push([m.n, self.now()]);
      }
    });
    await system.runUntilIdle();
    expect(log).toEqual([[1, 100], [2, 300]]);
  });

  it('cancelTimer stops a timer from firing; cancelling a fired or cancelled timer is harmless', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    let timers = -1;
    system.spawn<string>(async (self) => {
      const t1 = self.setTimer(100, 'cancelled');
      const t2 = self.setTimer(50, 'kept');
      self.cancelTimer(t1);
      timers = system.pendingTimers;
      log.push(await self.receive());
      self.cancelTimer(t2); // already fired
      self.cancelTimer(t1); // already cancelled
      log.push(await self.receive(undefined, { after: 500 }));
    });
    await system.runUntilIdle();
    expect(timers).toBe(1);
    expect(log).toEqual(['kept', undefined]);
    expect(system.trace!.of('timer').filter((e) => e.op === 'cancel')).toHaveLength(1);
  });

  it('a timer of a process that crashed never fires', async () => {
    const system = createSystem({ seed: 1 });
    let ref: TimerRef | undefined;
    const p = system.spawn<string>(async (self) => {
      ref = self.setTimer(100, 'too late');
      await self.sleep(10);
      throw new Error('crashed before the timer');
    });
    await system.advance(10);
    expect(system.isAlive(p)).toBe(false);
    expect(system.pendingTimers).toBe(0);
    await system.advance(1000);
    expect(ref).toBeDefined();
    const fires = system.trace!.of('timer').filter((e) => e.op === 'fire' && e.timer === ref!.timer);
    expect(fires).toEqual([]);
    expect(system.trace!.of('send').filter((e) => e.msg === 'too late')).toEqual([]);
    expect(system.deadLetters).toEqual([]);
  });

  it('a killed process stops waiting: its sleep and receive-after timers are cancelled', async () => {
    const system = createSystem({ seed: 1 });
    let woke = false;
    const sleeper = system.spawn(async (self) => {
      await self.sleep(1000);
      woke = true;
    });
    const waiter = system.spawn(async (self) => {
      await self.receive(undefined, { after: 1000 });
      woke = true;
    });
    await system.advance(1);
    expect(system.pendingTimers).toBe(2);
    system.exit(sleeper, 'kill');
    system.exit(waiter, 'stop');
    const report = await system.runUntilIdle();
    expect(system.pendingTimers).toBe(0);
    expect(report.now).toBe(1); // nothing left to wait for
    expect(woke).toBe(false);
  });

  it('an idle system has no pending timers', async () => {
    const system = createSystem({ seed: 1 });
    const server = system.spawn<string>(async (self) => {
      for (;;) {
        const m = await self.receive(undefined, { after: 1000 });
        if (m === undefined) return; // idle for a second: stop
      }
    });
    system.spawn(async (self) => {
      for (let i = 0; i < 3; i++) {
        self.send(server, 'work');
        await self.sleep(500);
      }
    });
    const report = await system.runUntilIdle();
    expect(report.idle).toBe(true);
    expect(report.stoppedBy).toBe('idle');
    expect(system.pendingTimers).toBe(0);
    expect(system.now()).toBe(2000);
  });
});
