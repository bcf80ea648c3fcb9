// Behaviours beyond one handler per message: the terminate hook (OTP's terminate/2, Akka's
// PostStop), and stash/unstash (Akka's StashBuffer).
import { describe, expect, it } from 'vitest';
import { behavior, createSystem, setup, StashOverflowError, stop, type Behavior, type Ref } from '../index.ts';
import { errorOf, fate } from './helpers.ts';

type Msg = { type: 'stop' } | { type: 'crash' } | { type: 'ping' } | { type: 'exit' };

/** A behaviour whose terminate hook sends what it was told to `log`, then (maybe) waits or throws. */
function mortal(log: Ref<string>, hook: 'plain' | 'async' | 'throws' = 'plain', trap = false): Behavior<Msg> {
  return setup<Msg>((self) => {
    if (trap) self.trapExit(true);
    return behavior<Msg>(
      (me, m) => {
        if (m.type === 'stop') return stop('done');
        if (m.type === 'crash') throw new Error('handler failed');
        if (m.type === 'exit') me.exit('by self.exit');
      },
      {
        terminate: async (me, reason) => {
          me.send(log, `terminate ${typeof reason === 'string' ? reason : errorOf(reason).message} at ${me.now()}`);
          if (hook === 'async') await me.sleep(30);
          if (hook === 'throws') throw new Error('cleanup failed');
        },
      },
    );
  });
}

function logger(system: ReturnType<typeof createSystem>, lines: string[]): Ref<string> {
  return system.spawn<string>(
    behavior((_self, m) => {
      lines.push(m);
    }),
    { name: 'log' },
  );
}

describe('the terminate hook', () => {
  it('runs when the behaviour returns stop(reason) or its handler throws, and can still send; the process then ends with that reason', async () => {
    const system = createSystem({ seed: 1 });
    const lines: string[] = [];
    const log = logger(system, lines);
    const a = system.spawn(mortal(log));
    const b = system.spawn(mortal(log));
    system.send(a, { type: 'stop' });
    system.send(b, { type: 'crash' });
    await system.runUntilIdle();
    expect(lines.sort()).toEqual(['terminate done at 0', 'terminate handler failed at 0']);
    expect(fate(system, a)).toBe('done');
    expect(errorOf(fate(system, b)).message).toBe('handler failed');
  });

  it("runs when, trapping exits, it gets its parent's exit signal (a supervisor's shutdown), after the messages already queued", async () => {
    const system = createSystem({ seed: 1 });
    const lines: string[] = [];
    const log = logger(system, lines);
    let child: Ref<Msg> | undefined;
    const parent = system.spawn<string>(async (self) => {
      child = self.spawnLink(mortal(log, 'plain', true));
      await self.receive();
      self.exit(child, 'shutdown');
      await self.receive(() => false);
    });
    await system.runUntilIdle();
    // An exit signal from anyone else is an ordinary EXIT message for its handler.
    system.exit(child!, 'not your parent');
    await system.runUntilIdle();
    expect(system.isAlive(child!)).toBe(true);
    system.send(parent, 'go');
    await system.runUntilIdle();
    expect(lines).toEqual(['terminate shutdown at 0']);
    expect(fate(system, child!)).toBe('shutdown');
  });

  it('an async hook is waited for; a hook that throws ends the process with that error', async () => {
    const system = createSystem({ seed: 1 });
    const lines: string[] = [];
    const log = logger(system, lines);
    const slow = system.spawn(mortal(log, 'async'));
    const failing = system.spawn(mortal(log, 'throws'));
    system.send(slow, { type: 'stop' });
    system.send(failing, { type: 'stop' });
    await system.runUntilIdle();
    const end = system.trace!.of('exit').find((e) => e.pid === slow.pid)!;
    expect([end.reason, end.t]).toEqual(['done', 30]);
    expect(errorOf(fate(system, failing)).message).toBe('cleanup failed');
    expect(lines).toHaveLength(2);
  });

  it('does not run when the process is killed, ended by an exit signal it does not trap, or by self.exit', async () => {
    const system = createSystem({ seed: 1 });
    const lines: string[] = [];
    const log = logger(system, lines);
    const killed = system.spawn(mortal(log, 'plain', true));
    const signalled = system.spawn(mortal(log));
    const exited = system.spawn(mortal(log));
    await system.runUntilIdle();
    system.exit(killed, 'kill');
    system.exit(signalled, 'boom');
    system.send(exited, { type: 'exit' });
    await system.runUntilIdle();
    expect(lines).toEqual([]);
    expect([fate(system, killed), fate(system, signalled), fate(system, exited)]).toEqual(['killed', 'boom', 'by self.exit']);
  });
});

describe('stash and unstash', () => {
  type Db = { type: 'query'; q: string; replyTo: Ref<string> } | { type: 'connected' };

  it('a behaviour stashes messages it cannot handle yet; unstashAll hands them back first, in their order', async () => {
    const system = createSystem({ seed: 1 });
    const answers: string[] = [];
    const ready = (): Behavior<Db> =>
      behavior<Db>((self, m) => {
        if (m.type === 'query') self.send(m.replyTo, `result of ${m.q}`);
      });
    const connecting = behavior<Db>((self, m) => {
      if (m.type === 'connected') {
        self.unstashAll();
        return ready();
      }
      self.stash();
    });
    const db = system.spawn(connecting, { name: 'db' });
    const client = system.spawn<string>(
      behavior((_self, m) => {
        answers.push(m);
      }),
      { name: 'client' },
    );
    system.spawn(async (self) => {
      for (const q of ['q1', 'q2', 'q3']) self.send(db, { type: 'query', q, replyTo: client });
      await self.sleep(10);
      self.send(db, { type: 'connected' });
      self.send(db, { type: 'query', q: 'q4', replyTo: client });
    });
    await system.runUntilIdle();
    expect(answers).toEqual(['result of q1', 'result of q2', 'result of q3', 'result of q4']);
  });

  it('holds at most 1,000 messages (StashOverflowError), and works only inside a behaviour handler', async () => {
    const system = createSystem({ seed: 1 });
    const p = system.spawn<number>(
      behavior((self) => {
        self.stash();
      }),
    );
    for (let i = 0; i <= 1000; i++) system.send(p, i);
    const loop = system.spawn(async (self) => {
      self.stash();
    });
    await system.runUntilIdle();
    expect(errorOf(fate(system, p)).name).toBe(new StashOverflowError().name);
    expect(errorOf(fate(system, loop)).message).toMatch(/inside a behavior handler/);
  });
});
