// Real-time mode: the system runs by itself on the event loop, timers are real, now() is
// wall-clock milliseconds since start; the virtual-time controls are refused. Every wait here
// is on an event (a process reporting back); times are checked from below only.
import { describe, expect, it } from 'vitest';
import { createSystem, type Ref } from '../index.ts';

type Ping = { type: 'ping'; n: number; replyTo: Ref<Pong> };
type Pong = { type: 'pong'; n: number };

describe('real-time mode', () => {
  it('runs by itself: a process started outside any run does its work and reports back', async () => {
    const system = createSystem({ mode: 'realtime' });
    expect(system.mode).toBe('realtime');
    expect(system.trace).toBeUndefined(); // tracing is off by default in real time
    const got = await new Promise<unknown>((resolve) => {
      const echo = system.spawn<unknown>(async (self) => {
        resolve(await self.receive());
      });
      system.send(echo, { type: 'hello' });
    });
    expect(got).toEqual({ type: 'hello' });
  });

  it('keeps per-pair order over tens of thousands of messages (more than one batch of the loop)', async () => {
    const system = createSystem({ mode: 'realtime' });
    const N = 30_000;
    const received = await new Promise<number[]>((resolve) => {
      const sink = system.spawn<number>(async (self) => {
        const seen: number[] = [];
        while (seen.length < N) seen.push(await self.receive());
        resolve(seen);
      });
      system.spawn(async (self) => {
        for (let i = 0; i < N; i++) self.send(sink, i);
      });
    });
    expect(received.length).toBe(N);
    expect(received.every((n, i) => n === i)).toBe(true);
  });

  it('request and reply by ask, many rounds', async () => {
    const system = createSystem({ mode: 'realtime' });
    const server = system.spawn<Ping>(async (self) => {
      for (;;) {
        const m = await self.receive();
        self.send(m.replyTo, { type: 'pong', n: m.n * 2 });
      }
    });
    const replies = await new Promise<number[]>((resolve) => {
      system.spawn(async (self) => {
        const out: number[] = [];
        for (let n = 0; n < 200; n++) {
          const r = await self.ask<Pong>(server, (replyTo) => ({ type: 'ping', n, replyTo }), { timeout: 60_000 });
          out.push(r.n);
        }
        resolve(out);
      });
    });
    expect(replies).toEqual(Array.from({ length: 200 }, (_, n) => n * 2));
  });

  it('timers are real: sleeps end no earlier than asked, in order of their due times, whatever order they were set in', async () => {
    const system = createSystem({ mode: 'realtime' });
    const order: { ms: number; started: number; woke: number }[] = [];
    await new Promise<void>((resolve) => {
      let left = 3;
      for (const ms of [60, 10, 30]) {
        system.spawn(async (self) => {
          const started = self.now();
          await self.sleep(ms);
          order.push({ ms, started, woke: self.now() });
          if (--left === 0) resolve();
        });
      }
    });
    expect(order.map((o) => o.ms)).toEqual([10, 30, 60]);
    for (const o of order) expect(o.woke - o.started).toBeGreaterThanOrEqual(o.ms - 1);
  });

  it('a receive timeout fires when nothing comes, and is cancelled when the message comes first', async () => {
    const system = createSystem({ mode: 'realtime' });
    const outcome = await new Promise<string[]>((resolve) => {
      const p = system.spawn<string>(async (self) => {
        const first = await self.receive(undefined, { after: 20 });
        const second = await self.receive(undefined, { after: 60_000 });
        resolve([String(first), String(second)]);
      });
      system.spawn(async (self) => {
        await self.sleep(50);
        self.send(p, 'late');
      });
    });
    expect(outcome[0]).toBe('undefined'); // a receive that times out gives undefined
    expect(outcome[1]).toBe('late');
  });

  it('runUntilIdle waits until no message is in flight and no timer is pending', async () => {
    const system = createSystem({ mode: 'realtime' });
    expect((await system.runUntilIdle()).idle).toBe(true); // nothing to do: idle at once
    let done = false;
    system.spawn(async (self) => {
      await self.sleep(20);
      done = true;
    });
    const report = await system.runUntilIdle();
    expect(report).toMatchObject({ idle: true, stoppedBy: 'idle' });
    expect(done).toBe(true);
    expect(system.pendingTimers).toBe(0);
  });

  it('refuses the virtual-time controls, and its clock moves on its own', async () => {
    const system = createSystem({ mode: 'realtime' });
    await expect(system.advance(10)).rejects.toThrow(/needs a deterministic system/);
    await expect(system.runUntil(() => true)).rejects.toThrow(/needs a deterministic system/);
    await expect(system.step()).rejects.toThrow(/needs a deterministic system/);
    const before = system.now();
    await new Promise<void>((resolve) => {
      system.spawn(async (self) => {
        await self.sleep(15);
        resolve();
      });
    });
    expect(system.now()).toBeGreaterThanOrEqual(before + 14);
  });
});
