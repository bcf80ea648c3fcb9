// Links and exit signals (erlang:link/1, unlink/1, exit/2, process_flag(trap_exit, true)).
import { describe, expect, it } from 'vitest';
import { createSystem, NoProcError, ProcessEndedError, type Context, type ExitMessage, type Ref } from '../index.ts';
import { errorOf, fate } from './helpers.ts';

/** A process that only waits: it ends only through exit signals. */
const idle = async (self: Context<unknown>) => {
  for (;;) await self.receive();
};

/** A process that traps exits and records every message it receives. */
function trapper(log: unknown[]) {
  return async (self: Context<unknown>) => {
    self.trapExit(true);
    for (;;) log.push(await self.receive());
  };
}

describe('links', () => {
  it('are bidirectional: whichever end crashes, the other (not trapping) ends with the same reason', async () => {
    for (const crasher of ['parent', 'child'] as const) {
      const system = createSystem({ seed: 1 });
      let child: Ref | undefined;
      const parent = system.spawn<string>(async (self) => {
        child = self.spawnLink<string>(async (c) => {
          if ((await c.receive()) === 'crash') throw new Error('child crashed');
        });
        if ((await self.receive()) === 'crash') throw new Error('parent crashed');
      });
      await system.runUntilIdle();
      system.send(crasher === 'parent' ? parent : child!, 'crash');
      await system.runUntilIdle();
      const r1 = errorOf(fate(system, parent));
      const r2 = errorOf(fate(system, child!));
      expect(r1.message).toBe(`${crasher} crashed`);
      expect(r2).toEqual(r1);
    }
  });

  it('are idempotent: linking twice makes one link (one EXIT), and one unlink removes it', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const a = system.spawn(idle);
    const b = system.spawn<string>(async (self) => {
      self.trapExit(true);
      self.link(a);
      self.link(a);
      expect(system.info(self.ref)!.links).toEqual([a.pid]);
      expect(system.info(a)!.links).toEqual([self.ref.pid]);
      for (;;) log.push(await self.receive());
    });
    await system.runUntilIdle();
    system.exit(a, 'bye');
    await system.runUntilIdle();
    expect(log).toEqual([{ type: 'EXIT', from: a, reason: 'bye' }]);
    expect(system.isAlive(b)).toBe(true);

    const c = system.spawn(idle);
    const d = system.spawn(async (self) => {
      self.link(c);
      self.link(c);
      self.unlink(c);
      await idle(self);
    });
    await system.runUntilIdle();
    system.exit(c, 'boom');
    await system.runUntilIdle();
    expect(fate(system, c)).toBe('boom');
    expect(fate(system, d)).toBe('alive');
  });

  it("linking to a process that is already gone: a trapping caller gets EXIT 'noproc', any other a NoProcError it can catch", async () => {
    const system = createSystem({ seed: 1 });
    const gone = system.spawn(async () => {});
    await system.runUntilIdle();
    const log: unknown[] = [];
    const trapping = system.spawn(async (self) => {
      self.trapExit(true);
      self.link(gone);
      log.push(await self.receive());
    });
    let caught: unknown;
    const catching = system.spawn(async (self) => {
      try {
        self.link(gone);
      } catch (err) {
        caught = err;
      }
      await idle(self);
    });
    const careless = system.spawn(async (self) => {
      self.link(gone);
      await idle(self);
    });
    await system.runUntilIdle();
    expect(log).toEqual([{ type: 'EXIT', from: gone, reason: 'noproc' }]);
    expect(fate(system, trapping)).toBe('normal');
    expect(caught).toBeInstanceOf(NoProcError);
    expect((caught as NoProcError).message).toMatch(/noproc/);
    expect(fate(system, catching)).toBe('alive'); // caught: it carries on, and it is not linked to anything
    expect(system.info(catching)!.links).toEqual([]);
    expect(errorOf(fate(system, careless)).name).toBe('NoProcError'); // uncaught: it crashes at the call, not later
  });

  it('a normal exit of a linked process does not end a process that is not trapping; a trapping one gets EXIT normal', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    let plainChild: Ref | undefined;
    const plain = system.spawn(async (self) => {
      plainChild = self.spawnLink(async () => {});
      await idle(self);
    });
    let trappedChild: Ref | undefined;
    const trapping = system.spawn(async (self) => {
      self.trapExit(true);
      trappedChild = self.spawnLink(async () => {});
      for (;;) log.push(await self.receive());
    });
    await system.runUntilIdle();
    expect(fate(system, plainChild!)).toBe('normal');
    expect(fate(system, plain)).toBe('alive');
    expect(system.info(plain)!.links).toEqual([]); // the link went away with the child
    expect(fate(system, trapping)).toBe('alive');
    expect(log).toEqual([{ type: 'EXIT', from: trappedChild, reason: 'normal' }]);
  });

  it('trapExit turns an abnormal exit signal from a link into an EXIT message, after the messages sent before it', async () => {
    const system = createSystem({ seed: 7 });
    const log: unknown[] = [];
    const sup = system.spawn(trapper(log));
    await system.runUntilIdle(); // sup traps exits before anything is linked to it
    system.spawn(async (self) => {
      self.link(sup);
      self.send(sup, 'last words');
      throw new Error('worker failed');
    });
    await system.runUntilIdle();
    expect(log).toHaveLength(2);
    expect(log[0]).toBe('last words');
    const exit = log[1] as ExitMessage;
    expect(exit.type).toBe('EXIT');
    expect(errorOf(exit.reason).message).toBe('worker failed');
    expect(fate(system, sup)).toBe('alive');
  });

  it('exit(pid, reason) ends a process that is not trapping with that reason; a trapping one gets EXIT from the sender', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const plain = system.spawn(idle);
    const trapping = system.spawn(trapper(log));
    await system.runUntilIdle(); // both are waiting (and trapping) before the signals are sent
    const sender = system.spawn(async (self) => {
      self.exit(plain, 'go away');
      self.exit(trapping, 'go away');
      self.exit(trapping, 'normal');
    });
    await system.runUntilIdle();
    expect(fate(system, plain)).toBe('go away');
    expect(fate(system, trapping)).toBe('alive');
    expect(fate(system, sender)).toBe('normal'); // exit/2 does not end the sender
    expect(log).toEqual([
      { type: 'EXIT', from: sender, reason: 'go away' },
      { type: 'EXIT', from: sender, reason: 'normal' },
    ]);
  });

  it("exit(pid, 'normal') from another process is ignored by a process that is not trapping", async () => {
    const system = createSystem({ seed: 1 });
    const target = system.spawn(idle);
    system.spawn(async (self) => self.exit(target, 'normal'));
    system.exit(target, 'normal');
    await system.runUntilIdle();
    expect(fate(system, target)).toBe('alive');
  });

  it("'kill' cannot be trapped: the target ends with 'killed', and its linked processes see 'killed'", async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const watcher = system.spawn(trapper(log));
    let victim: Ref | undefined;
    let bystander: Ref | undefined;
    system.spawn(async (self) => {
      victim = self.spawn(async (v) => {
        v.trapExit(true); // does not help against 'kill'
        v.link(watcher);
        bystander = v.spawnLink(idle);
        await idle(v);
      });
    });
    await system.runUntilIdle();
    system.exit(victim!, 'kill');
    await system.runUntilIdle();
    expect(fate(system, victim!)).toBe('killed');
    expect(fate(system, bystander!)).toBe('killed'); // not 'kill': it does not spread as an untrappable kill
    expect(log).toEqual([{ type: 'EXIT', from: victim, reason: 'killed' }]);
    expect(fate(system, watcher)).toBe('alive');
  });

  it("exit(self, 'kill') ends the caller with 'killed', even when it traps exits", async () => {
    const system = createSystem({ seed: 1 });
    const p = system.spawn(async (self) => {
      self.trapExit(true);
      self.exit(self.ref, 'kill');
      await idle(self);
    });
    await system.runUntilIdle();
    expect(fate(system, p)).toBe('killed');
  });

  it("a process that ends with reason 'kill' by itself sends a trappable 'kill' (not 'killed') to its links", async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const sup = system.spawn(trapper(log));
    await system.runUntilIdle();
    const plain = system.spawn(idle);
    const p = system.spawn(async (self) => {
      self.link(sup);
      self.link(plain);
      self.exit('kill'); // exit/1: only exit/2 with 'kill' is untrappable
    });
    await system.runUntilIdle();
    expect(fate(system, p)).toBe('kill');
    expect(log).toEqual([{ type: 'EXIT', from: p, reason: 'kill' }]);
    expect(fate(system, sup)).toBe('alive');
    expect(fate(system, plain)).toBe('kill');
  });

  it("exit(self, 'normal') ends the caller with reason normal, even though 'normal' from others is ignored", async () => {
    const system = createSystem({ seed: 1 });
    let after = false;
    const p = system.spawn(async (self) => {
      self.exit(self.ref, 'normal');
      await self.receive();
      after = true;
    });
    await system.runUntilIdle();
    expect(fate(system, p)).toBe('normal');
    expect(after).toBe(false);
  });

  it('self.exit(reason) ends the caller at once: the code after it does not run, and links see the reason', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const sup = system.spawn(trapper(log));
    await system.runUntilIdle(); // sup traps exits before anything is linked to it
    let after = false;
    const p = system.spawn(async (self) => {
      self.link(sup);
      self.exit({ shutdown: 'done' });
      after = true;
    });
    await system.runUntilIdle();
    expect(after).toBe(false);
    expect(fate(system, p)).toEqual({ shutdown: 'done' });
    expect(log).toEqual([{ type: 'EXIT', from: p, reason: { shutdown: 'done' } }]);
  });

  it('self.exit inside try/catch: the process has ended; the code after the catch can neither send, spawn nor receive', async () => {
    const system = createSystem({ seed: 1 });
    const log: unknown[] = [];
    const watcher = system.spawn(trapper(log));
    await system.runUntilIdle();
    const errors: unknown[] = [];
    let returned = false;
    const p = system.spawn(async (self) => {
      self.link(watcher);
      try {
        self.exit('done');
      } catch (err) {
        errors.push(err); // a catch-all swallows the exit …
      }
      try {
        self.send(watcher, 'still here'); // … but the process is gone: this throws again
      } catch (err) {
        errors.push(err);
      }
      try {
        self.spawn(async () => {});
      } catch (err) {
        errors.push(err);
      }
      await self.receive(); // never returns
      returned = true;
    });
    // A catch-all loop around receive does not spin after an exit: its next receive never returns.
    let rounds = 0;
    const looping = system.spawn<string>(async (self) => {
      for (;;) {
        try {
          rounds++;
          if ((await self.receive()) === 'stop') self.exit('stopped');
        } catch {
          // swallowed
        }
      }
    });
    system.send(looping, 'stop');
    const report = await system.runUntilIdle();
    expect(fate(system, p)).toBe('done');
    expect(errors).toHaveLength(3);
    for (const err of errors) expect(err).toBeInstanceOf(ProcessEndedError);
    expect((errors[0] as Error).message).toMatch(/rethrow it/);
    expect(returned).toBe(false);
    expect(log).toEqual([{ type: 'EXIT', from: p, reason: 'done' }]); // 'still here' never left
    expect(fate(system, looping)).toBe('stopped');
    expect(rounds).toBe(2);
    expect(report.steps).toBeLessThan(50);
  });

  it('an abnormal exit spreads along a chain of links until a trapping process stops it', async () => {
    const system = createSystem({ seed: 9 });
    const log: unknown[] = [];
    const refs: Ref[] = [];
    const top = system.spawn(async (self) => {
      self.trapExit(true);
      // top - p1 - p2 - p3, each linked to the one before it
      refs.push(
        self.spawnLink(async (p1) => {
          refs.push(
            p1.spawnLink(async (p2) => {
              refs.push(
                p2.spawnLink(async (p3) => {
                  await p3.receive();
                  p3.exit('chain broke');
                }),
              );
              await idle(p2);
            }),
          );
          await idle(p1);
        }),
      );
      for (;;) log.push(await self.receive());
    });
    await system.runUntilIdle();
    system.send(refs[2]!, 'go');
    await system.runUntilIdle();
    expect(refs.map((r) => fate(system, r))).toEqual(['chain broke', 'chain broke', 'chain broke']);
    expect(fate(system, top)).toBe('alive');
    expect(log).toEqual([{ type: 'EXIT', from: refs[0], reason: 'chain broke' }]);
  });

  it('unlink makes an exit signal already on its way void', async () => {
    for (const trapping of [false, true]) {
      for (const unlink of [false, true]) {
        const system = createSystem({ seed: 1 });
        const log: unknown[] = [];
        let deadAtUnlink: boolean | undefined;
        const a = system.spawn(async (self) => {
          self.trapExit(trapping);
          const me = self.ref;
          const b = self.spawnLink(async (b) => {
            b.send(me, 'bye'); // travels ahead of b's exit signal on the same channel
            throw new Error('b failed');
          });
          await self.receive((m) => m === 'bye');
          deadAtUnlink = !system.isAlive(b); // b has ended: its exit signal is in flight
          if (unlink) self.unlink(b);
          log.push(await self.receive(undefined, { after: 100 }));
        });
        await system.runUntilIdle();
        const label = `trapping=${trapping} unlink=${unlink}`;
        expect(deadAtUnlink, label).toBe(true);
        if (unlink) {
          expect(log, label).toEqual([undefined]);
          expect(fate(system, a), label).toBe('normal');
        } else if (trapping) {
          expect((log[0] as ExitMessage).type, label).toBe('EXIT');
        } else {
          expect(errorOf(fate(system, a)).message, label).toBe('b failed');
        }
      }
    }
  });
});
