// Monitors (erlang:monitor/2, demonitor/1): one-way, stackable, a DOWN message with the reason,
// 'noproc' at once for a process that is gone, and demonitor discards a DOWN still on its way.
import { describe, expect, it } from 'vitest';
import { createSystem, type Context, type DownMessage, type MonitorRef, type Ref } from '../index.ts';
import { errorOf, fate } from './helpers.ts';

const idle = async (self: Context<unknown>) => {
  for (;;) await self.receive();
};

/** A process that ends with `reason` ('normal' by returning, an Error by throwing, else self.exit) when told to. */
function dieOnCue(how: 'return' | 'throw' | string) {
  return async (self: Context<unknown>) => {
    await self.receive();
    if (how === 'return') return;
    if (how === 'throw') throw new Error('target failed');
    self.exit(how);
  };
}

describe('monitors', () => {
  it('deliver { type: DOWN, monitor, ref, reason } when the target ends, with its exit reason', async () => {
    for (const how of ['return', 'throw', 'shutdown', 'custom reason']) {
      const system = createSystem({ seed: 1 });
      const target = system.spawn(dieOnCue(how));
      let mref: MonitorRef | undefined;
      let down: DownMessage | undefined;
      system.spawn<DownMessage>(async (self) => {
        mref = self.monitor(target);
        self.send(target, 'die');
        down = await self.receive();
      });
      await system.runUntilIdle();
      expect(down?.type, how).toBe('DOWN');
      expect(down?.monitor, how).toEqual(mref);
      expect(down?.ref, how).toEqual(target);
      if (how === 'throw') expect(errorOf(down!.reason).message).toBe('target failed');
      else expect(down?.reason, how).toBe(how === 'return' ? 'normal' : how);
    }
  });

  it('a DOWN carries a frozen copy of the reason; a reason that cannot be sent becomes an error saying so', async () => {
    const system = createSystem({ seed: 1 });
    const reason = { shutdown: 'maintenance' };
    const plain = system.spawn(async (self) => {
      await self.receive();
      self.exit(reason as never);
    });
    const odd = system.spawn(async (self) => {
      await self.receive();
      self.exit({ shutdown: 'now', callback: () => 1 } as never);
    });
    const downs: DownMessage[] = [];
    system.spawn<DownMessage>(async (self) => {
      for (const target of [plain, odd]) {
        self.monitor(target);
        self.send(target, 'die');
        downs.push(await self.receive());
      }
    });
    await system.runUntilIdle();
    expect(downs[0]!.reason).toEqual(reason);
    expect(downs[0]!.reason).not.toBe(reason); // a copy, as for a message
    expect(Object.isFrozen(downs[0]!.reason)).toBe(true);
    expect(errorOf(downs[1]!.reason)).toMatchObject({ name: 'MessageError', message: expect.stringContaining('cannot send a function (at message.callback)') });
    expect(fate(system, odd)).toEqual(downs[1]!.reason);
  });

  it('are one-way: the watcher survives the target crashing, and the target survives the watcher crashing', async () => {
    const system = createSystem({ seed: 1 });
    const target = system.spawn(dieOnCue('throw'));
    const bystander = system.spawn(idle);
    const watcher = system.spawn(async (self) => {
      self.monitor(target);
      self.monitor(bystander);
      self.send(target, 'die');
      await self.receive(); // DOWN of target
      throw new Error('watcher failed');
    });
    await system.runUntilIdle();
    expect(errorOf(fate(system, target)).message).toBe('target failed');
    expect(errorOf(fate(system, watcher)).message).toBe('watcher failed');
    expect(fate(system, bystander)).toBe('alive');
    expect(system.info(bystander)!.monitors).toBe(0); // the dead watcher's monitor is gone
  });

  it('stack: monitoring twice gives two DOWN messages with distinct monitor refs', async () => {
    const system = createSystem({ seed: 1 });
    const target = system.spawn(dieOnCue('bye'));
    const downs: DownMessage[] = [];
    let refs: MonitorRef[] = [];
    system.spawn<DownMessage>(async (self) => {
      refs = [self.monitor(target), self.monitor(target)];
      expect(system.info(target)!.monitors).toBe(2);
      self.send(target, 'die');
      downs.push(await self.receive(), await self.receive());
      const extra = await self.receive(undefined, { after: 100 }); // no third DOWN
      if (extra !== undefined) downs.push(extra as DownMessage);
    });
    await system.runUntilIdle();
    expect(refs[0]).not.toEqual(refs[1]);
    expect(downs).toHaveLength(2);
    expect(new Set(downs.map((d) => d.monitor.monitor))).toEqual(new Set(refs.map((r) => r.monitor)));
    expect(downs.every((d) => d.reason === 'bye')).toBe(true);
  });

  it('a DOWN comes after every message the target sent before it ended (same sender, same order)', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const system = createSystem({ seed });
      const log: unknown[] = [];
      system.spawn(async (self) => {
        const me = self.ref;
        const target = self.spawn(async (child) => {
          await child.receive();
          for (let i = 0; i < 3; i++) child.send(me, i);
          throw new Error('done');
        });
        self.monitor(target);
        self.send(target, 'go');
        for (let i = 0; i < 4; i++) log.push(await self.receive());
      });
      await system.runUntilIdle();
      expect(log.slice(0, 3), `seed ${seed}`).toEqual([0, 1, 2]);
      expect((log[3] as DownMessage).type, `seed ${seed}`).toBe('DOWN');
    }
  });

  // Regression: the watcher once received the bare string 'noproc' instead of a DownMessage.
  it("monitoring a process that is already gone delivers DOWN with reason 'noproc' at once", async () => {
    const system = createSystem({ seed: 1 });
    const gone = system.spawn(async () => {});
    await system.runUntilIdle();
    let mref: MonitorRef | undefined;
    let down: unknown;
    let at = -1;
    system.spawn(async (self) => {
      mref = self.monitor(gone);
      down = await self.receive(undefined, { after: 1000 });
      at = self.now();
    });
    await system.runUntilIdle();
    expect(at).toBe(0);
    expect(down).toEqual({ type: 'DOWN', monitor: mref, ref: gone, reason: 'noproc' });
  });

  it('demonitor before the target ends: no DOWN ever arrives', async () => {
    const system = createSystem({ seed: 1 });
    const target = system.spawn(dieOnCue('throw'));
    let got: unknown = 'nothing yet';
    system.spawn(async (self) => {
      const m = self.monitor(target);
      self.demonitor(m);
      expect(system.info(target)!.monitors).toBe(0);
      self.send(target, 'die');
      got = await self.receive(undefined, { after: 100 });
    });
    await system.runUntilIdle();
    expect(errorOf(fate(system, target)).message).toBe('target failed');
    expect(got).toBeUndefined();
  });

  it('demonitor discards a DOWN that is already on its way', async () => {
    for (const demonitor of [false, true]) {
      const system = createSystem({ seed: 1 });
      let targetDead: boolean | undefined;
      let got: unknown;
      system.spawn(async (self) => {
        const me = self.ref;
        const target: Ref = self.spawn(async (t) => {
          await t.receive();
          t.send(me, 'bye'); // travels ahead of the DOWN on the same channel
          throw new Error('target failed');
        });
        const m = self.monitor(target);
        self.send(target, 'go');
        await self.receive((x) => x === 'bye');
        targetDead = !system.isAlive(target); // the DOWN has been sent, not yet delivered
        if (demonitor) self.demonitor(m);
        got = await self.receive(undefined, { after: 100 });
      });
      await system.runUntilIdle();
      expect(targetDead).toBe(true);
      if (demonitor) expect(got).toBeUndefined();
      else expect((got as DownMessage).type).toBe('DOWN');
    }
  });
});

describe('spawnMonitor and demonitor with flush', () => {
  it('spawnMonitor monitors before the new process can run: a DOWN arrives even if it ends at once', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    system.spawn(async (self: Context<string, DownMessage>) => {
      const { ref, monitor } = self.spawnMonitor(async () => {
        throw new Error('ended at once');
      });
      const down = await self.receive({ type: 'DOWN' });
      log.push(down.monitor.monitor === monitor.monitor, down.ref.pid === ref.pid, errorOf(down.reason).message);
    });
    await system.runUntilIdle();
    expect(log).toEqual([true, true, 'ended at once']);
  });

  it('demonitor(ref, { flush: true }) also removes a DOWN already in the mailbox; it reports whether the monitor was active', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const target = system.spawn(dieOnCue('return'));
    system.spawn<string>(async (self) => {
      const kept = self.monitor(target);
      const flushed = self.monitor(target);
      self.send(target, 'die');
      await self.sleep(10); // both DOWNs are in the mailbox now
      expect(system.info(self.ref)!.mailbox).toBe(2);
      log.push(self.demonitor(flushed, { flush: true }), self.demonitor(kept));
      log.push(await self.receive(undefined, { after: 0 }));
      log.push(await self.receive(undefined, { after: 0 }));
    });
    await system.runUntilIdle();
    // Both had fired (false); the flushed DOWN is gone, the other one (without flush) stays.
    expect(log[0]).toBe(false);
    expect(log[1]).toBe(false);
    expect((log[2] as DownMessage).type).toBe('DOWN');
    expect(log[3]).toBeUndefined();
  });

  it('demonitor returns true for a monitor that was still active', async () => {
    const system = createSystem({ seed: 1 });
    let active: boolean | undefined;
    const target = system.spawn(idle);
    system.spawn(async (self) => {
      active = self.demonitor(self.monitor(target), { flush: true });
    });
    await system.runUntilIdle();
    expect(active).toBe(true);
  });
});
