// Exit signals at their edges: a process that ends with a reason that cannot be sent still ends,
// and the processes linked to it or monitoring it learn why in words (never a function handed
// over); a reason that can be sent arrives frozen; linking to oneself changes nothing.
import { describe, expect, it } from 'vitest';
import { createSystem, type ExitReason } from '../index.ts';
import { errorOf, fate } from './helpers.ts';

describe('exit reasons that travel', () => {
  it('an unsendable reason reaches links and monitors as an error that says why; the process still ends', async () => {
    const system = createSystem({ seed: 1 });
    const got: unknown[] = [];
    const bad = { shutdown: 'done', callback: () => 1 } as unknown as ExitReason;
    const dying = system.spawn(async (self) => {
      await self.receive();
      self.exit(bad);
    });
    const linked = system.spawn(async (self) => {
      self.trapExit(true);
      self.link(dying);
      got.push(await self.receive());
    });
    const watcher = system.spawn(async (self) => {
      self.monitor(dying);
      got.push(await self.receive());
    });
    await system.runUntilIdle();
    system.send(dying, 'go');
    await system.runUntilIdle();
    const reason = fate(system, dying);
    expect(errorOf(reason).message).toMatch(
      /^the process ended with a reason that cannot be sent to the processes linked to or monitoring it: cannot send a function \(at message\.callback\)/,
    );
    expect(got).toHaveLength(2);
    for (const m of got) expect((m as { reason: ExitReason }).reason).toEqual(reason);
    expect(fate(system, linked)).toBe('normal');
    expect(fate(system, watcher)).toBe('normal');
  });

  it('a sendable object reason arrives as a frozen copy', async () => {
    const system = createSystem({ seed: 1 });
    let got: { reason: ExitReason } | undefined;
    const reason = { shutdown: 'maintenance' };
    const dying = system.spawn(async (self) => {
      await self.receive();
      self.exit(reason);
    });
    system.spawn(async (self) => {
      self.trapExit(true);
      self.link(dying);
      got = (await self.receive()) as { reason: ExitReason };
    });
    await system.runUntilIdle();
    system.send(dying, 'go');
    await system.runUntilIdle();
    expect(got!.reason).toEqual({ shutdown: 'maintenance' });
    expect(got!.reason).not.toBe(reason);
    expect(Object.isFrozen(got!.reason)).toBe(true);
  });

  it('linking to oneself changes nothing: a crash is still a crash, and no EXIT comes back to the process', async () => {
    const system = createSystem({ seed: 1 });
    const seen: unknown[] = [];
    const p = system.spawn(async (self) => {
      self.trapExit(true);
      self.link(self.ref);
      self.unlink(self.ref);
      self.link(self.ref);
      seen.push(await self.receive(undefined, { after: 10 }));
      throw new Error('boom');
    });
    await system.runUntilIdle();
    expect(seen).toEqual([undefined]);
    expect(errorOf(fate(system, p)).message).toBe('boom');
  });
});
