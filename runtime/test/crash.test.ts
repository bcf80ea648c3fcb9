// A process that throws (or whose awaited promise rejects) ends with an { error } reason carrying
// the message and stack, signals its links and monitors, and never takes the system (or the test
// process) down. Messages to a process that has ended become dead letters.
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { behavior, createSystem, setup, type Context, type DownMessage, type ExitMessage, type Ref, type System } from '../index.ts';
import { errorOf, fate } from './helpers.ts';

const thisFile = basename(fileURLToPath(import.meta.url));

class Overdrawn extends Error {
  override name = 'Overdrawn';
}

/** Ways for a process to crash with Overdrawn('balance below zero') once it gets a message. */
const crashers: Record<string, (system: System) => Ref<string>> = {
  'async body throws': (system) =>
    system.spawn<string>(async (self) => {
      await self.receive();
      throw new Overdrawn('balance below zero');
    }),
  'awaited promise rejects': (system) =>
    system.spawn<string>(async (self) => {
      await self.receive();
      await Promise.reject(new Overdrawn('balance below zero'));
    }),
  'behaviour handler throws': (system) =>
    system.spawn<string>(
      behavior(() => {
        throw new Overdrawn('balance below zero');
      }),
    ),
  'async behaviour handler rejects': (system) =>
    system.spawn<string>(
      behavior(async (self) => {
        await self.sleep(1);
        throw new Overdrawn('balance below zero');
      }),
    ),
  'setup after a message throws': (system) =>
    system.spawn<string>(
      setup(async (self) => {
        await self.receive();
        throw new Overdrawn('balance below zero');
      }),
    ),
};

describe('crashes', () => {
  for (const [how, start] of Object.entries(crashers)) {
    it(`${how}: the process ends with an error reason carrying name, message and stack`, async () => {
      const system = createSystem({ seed: 1 });
      const p = start(system);
      system.send(p, 'withdraw');
      const report = await system.runUntilIdle(); // resolves: the crash stays inside the system
      expect(report.idle).toBe(true);
      const error = errorOf(fate(system, p));
      expect(error.name).toBe('Overdrawn');
      expect(error.message).toBe('balance below zero');
      expect(error.stack).toContain('balance below zero');
      expect(error.stack).toContain(thisFile); // points at the line that threw
    });
  }

  it('a synchronous body that throws before its first await also ends with an error reason', async () => {
    const system = createSystem({ seed: 1 });
    const p = system.spawn(() => {
      throw new TypeError('bad start');
    });
    await system.runUntilIdle();
    expect(errorOf(fate(system, p))).toMatchObject({ name: 'TypeError', message: 'bad start' });
  });

  it('throwing a non-Error value still gives an error reason describing it', async () => {
    const system = createSystem({ seed: 1 });
    const a = system.spawn(async () => {
      throw 'plain string';
    });
    const b = system.spawn(async () => {
      throw { code: 42 };
    });
    await system.runUntilIdle();
    expect(errorOf(fate(system, a)).message).toBe('plain string');
    expect(errorOf(fate(system, b)).message).toContain('42');
  });

  it('a crash signals links (EXIT with the error reason) and monitors (DOWN with the error reason)', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const worker = crashers['async body throws']!(system);
    const sup = system.spawn(async (self: Context<unknown>) => {
      self.trapExit(true);
      self.link(worker);
      self.monitor(worker);
      self.send(worker, 'go');
      log.push(await self.receive(), await self.receive());
    });
    const plainLinked = system.spawn(async (self) => {
      self.link(worker);
      for (;;) await self.receive();
    });
    await system.runUntilIdle();
    const workerReason = fate(system, worker);
    expect(errorOf(workerReason).message).toBe('balance below zero');
    const exit = log.find((m) => (m as ExitMessage).type === 'EXIT') as ExitMessage;
    const down = log.find((m) => (m as DownMessage).type === 'DOWN') as DownMessage;
    expect(exit).toEqual({ type: 'EXIT', from: worker, reason: workerReason });
    expect(down).toMatchObject({ type: 'DOWN', ref: worker, reason: workerReason });
    expect(fate(system, sup)).toBe('normal');
    expect(fate(system, plainLinked)).toEqual(workerReason); // not trapping: dies with the same reason
  });

  it('a receive predicate that throws crashes only the receiving process, even when the message arrives while it waits', async () => {
    for (const arrives of ['before the receive', 'while it waits'] as const) {
      const system = createSystem({ seed: 1 });
      type Event = { payload?: { kind: string } };
      const p = system.spawn<Event>(async (self) => {
        if (arrives === 'before the receive') await self.sleep(5);
        await self.receive((m) => m.payload!.kind === 'x'); // throws on { other: 1 }
      });
      const bystander = system.spawn(async (self) => {
        await self.sleep(10);
      });
      system.send(p, { other: 1 } as Event);
      await system.runUntilIdle();
      expect(errorOf(fate(system, p)).name, arrives).toBe('TypeError');
      expect(fate(system, bystander), arrives).toBe('normal');
    }
  });

  it('a crash does not disturb unrelated processes: they keep receiving and replying', async () => {
    const system = createSystem({ seed: 1 });
    const p = crashers['behaviour handler throws']!(system);
    const counter = system.spawn<{ replyTo: Ref<number> }>(
      behavior((self, m) => {
        self.send(m.replyTo, 1);
      }),
    );
    system.send(p, 'crash');
    await system.runUntilIdle();
    const reply = system.ask<number, { replyTo: Ref<number> }>(counter, (replyTo) => ({ replyTo }));
    await system.runUntilIdle();
    await expect(reply).resolves.toBe(1);
  });

  it('a process killed while its async handler is still running does not come back when the handler finishes', async () => {
    const system = createSystem({ seed: 1 });
    let resumed = false;
    const p = system.spawn<string>(
      behavior(async (self) => {
        await self.sleep(100);
        resumed = true;
      }),
    );
    system.send(p, 'work');
    await system.advance(10);
    system.exit(p, 'kill');
    await system.runUntilIdle();
    expect(fate(system, p)).toBe('killed');
    expect(resumed).toBe(false);
    expect(system.pendingTimers).toBe(0);
  });
});

describe('dead letters', () => {
  it('messages sent to a process that has ended go to dead letters (cause dead), with sender, receiver and time', async () => {
    const system = createSystem({ seed: 1 });
    const gone = system.spawn(async () => {});
    await system.runUntilIdle();
    await system.advance(5);
    const sender = system.spawn(async (self) => {
      self.send(gone, { type: 'hello?' });
    });
    system.send(gone, 'from outside');
    await system.runUntilIdle();
    expect(system.deadLetters).toEqual(
      expect.arrayContaining([
        { t: 5, from: sender.pid, to: gone.pid, msg: { type: 'hello?' }, cause: 'dead' },
        { t: 5, from: 0, to: gone.pid, msg: 'from outside', cause: 'dead' },
      ]),
    );
    expect(system.deadLetters).toHaveLength(2);
  });

  it('messages still on their way when the receiver crashes become dead letters, not deliveries', async () => {
    const system = createSystem({ seed: 1 });
    const victim = system.spawn<number>(async (self) => {
      await self.receive();
      throw new Error('first message was fatal');
    });
    system.spawn(async (self) => {
      for (let i = 0; i < 5; i++) self.send(victim, i);
    });
    await system.runUntilIdle();
    // Message 0 killed it; 1..4 were still in the channel and arrive at a dead process.
    expect(system.deadLetters.map((d) => [d.msg, d.to, d.cause])).toEqual([1, 2, 3, 4].map((i) => [i, victim.pid, 'dead']));
    expect(system.trace!.of('deliver').filter((e) => e.to === victim.pid)).toHaveLength(1);
  });
});
