import { describe, expect, it } from 'vitest';
import {
  behavior,
  countChildren,
  createSystem,
  deleteChild,
  formatReason,
  restartChild,
  setup,
  startChild,
  supervisor,
  terminateChild,
  whichChildren,
  type ChildSpec,
  type Context,
  type ExitMessage,
  type Ref,
  type StartError,
  type System,
} from '../index.ts';
import { fate, seeds } from './helpers.ts';

type WorkerMsg = { type: 'crash' } | { type: 'quit' } | { type: 'hi' };

/** A worker that records its start and stop in `log`, crashes or quits on request. */
function worker(id: string, log: string[]) {
  return () =>
    behavior<WorkerMsg>((self, msg) => {
      if (msg.type === 'crash') throw new Error(`${id} crashed`);
      if (msg.type === 'quit') self.exit('normal');
    });
}

function spec(id: string, log: string[], extra: Partial<ChildSpec> = {}): ChildSpec {
  return {
    id,
    start: () => {
      log.push(`start ${id}`);
      return worker(id, log)();
    },
    ...extra,
  };
}

async function children(system: System, sup: Ref) {
  const report = whichChildren(system, sup);
  await system.runUntilIdle();
  return report;
}

function stops(system: System): string[] {
  return system
    .trace!.of('exit')
    .filter((e) => e.reason === 'shutdown')
    .map((e) => system.trace!.nameOf(e.pid).replace(/#\d+$/, ''));
}

describe('supervisors', () => {
  it('start children in the order given and stop them in reverse order', async () => {
    const system = createSystem({ seed: 1 });
    const log: string[] = [];
    const sup = system.spawn(supervisor({ children: ['a', 'b', 'c'].map((id) => spec(id, log)) }));
    await system.runUntilIdle();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    system.exit(sup, 'shutdown');
    await system.runUntilIdle();
    expect(stops(system)).toEqual(['c', 'b', 'a', '<1>']); // the children, then the supervisor itself
  });

  it('one_for_one restarts only the child that ended, as a new process', async () => {
    const system = createSystem({ seed: 2 });
    const log: string[] = [];
    const sup = system.spawn(supervisor({ strategy: 'one_for_one', children: ['a', 'b'].map((id) => spec(id, log)) }));
    const before = await children(system, sup);
    system.send(before.children[0]!.ref!, { type: 'crash' });
    await system.runUntilIdle();
    const after = await children(system, sup);
    expect(log).toEqual(['start a', 'start b', 'start a']);
    expect(after.restarts).toBe(1);
    expect(after.children[0]!.ref).not.toEqual(before.children[0]!.ref);
    expect(after.children[1]!.ref).toEqual(before.children[1]!.ref);
    expect(system.trace!.of('restart')).toHaveLength(1);
  });

  it('one_for_all stops the others (in reverse order) and restarts all in order', async () => {
    const system = createSystem({ seed: 3 });
    const log: string[] = [];
    const sup = system.spawn(supervisor({ strategy: 'one_for_all', children: ['a', 'b', 'c'].map((id) => spec(id, log)) }));
    const before = await children(system, sup);
    system.send(before.children[1]!.ref!, { type: 'crash' });
    await system.runUntilIdle();
    expect(stops(system)).toEqual(['c', 'a']);
    expect(log.slice(3)).toEqual(['start a', 'start b', 'start c']);
  });

  it('rest_for_one restarts the child and those started after it', async () => {
    const system = createSystem({ seed: 4 });
    const log: string[] = [];
    const sup = system.spawn(supervisor({ strategy: 'rest_for_one', children: ['a', 'b', 'c'].map((id) => spec(id, log)) }));
    const before = await children(system, sup);
    system.send(before.children[1]!.ref!, { type: 'crash' });
    await system.runUntilIdle();
    expect(stops(system)).toEqual(['c']);
    expect(log.slice(3)).toEqual(['start b', 'start c']);
    const after = await children(system, sup);
    expect(after.children[0]!.ref).toEqual(before.children[0]!.ref);
  });

  it('simple_one_for_one starts children from a template at run time and restarts them with the same argument', async () => {
    const system = createSystem({ seed: 5 });
    const args: unknown[] = [];
    const sup = system.spawn(
      supervisor({
        strategy: 'simple_one_for_one',
        children: [
          {
            id: 'conn',
            start: (arg: unknown) => {
              args.push(arg);
              return worker('conn', [])();
            },
          },
        ],
      }),
    );
    const started = startChild(system, sup, { port: 7 });
    await system.runUntilIdle();
    const ref = await started;
    system.send(ref, { type: 'crash' });
    await system.runUntilIdle();
    expect(args).toEqual([{ port: 7 }, { port: 7 }]);
    expect((await children(system, sup)).children).toHaveLength(1);
  });

  it('restart types: permanent always, transient only after an abnormal exit, temporary never', async () => {
    const system = createSystem({ seed: 6 });
    const log: string[] = [];
    const sup = system.spawn(
      supervisor({
        intensity: 10,
        children: [spec('p', log, { restart: 'permanent' }), spec('t', log, { restart: 'transient' }), spec('x', log, { restart: 'temporary' })],
      }),
    );
    const c = (await children(system, sup)).children;
    for (const child of c) system.send(child.ref!, { type: 'quit' }); // all exit 'normal'
    await system.runUntilIdle();
    expect(log.slice(3)).toEqual(['start p']);
    const c2 = (await children(system, sup)).children;
    const t = c2.find((x) => x.id === 't')!;
    expect(t.ref).toBeUndefined();
    expect(c2.find((x) => x.id === 'x')).toBeUndefined();
  });

  it('a transient child that crashes is restarted', async () => {
    const system = createSystem({ seed: 7 });
    const log: string[] = [];
    const sup = system.spawn(supervisor({ children: [spec('t', log, { restart: 'transient' })] }));
    const c = (await children(system, sup)).children;
    system.send(c[0]!.ref!, { type: 'crash' });
    await system.runUntilIdle();
    expect(log).toEqual(['start t', 'start t']);
  });

  it('when restarts exceed the intensity within the period, it stops its children and exits shutdown; its own supervisor sees that (escalation)', async () => {
    const system = createSystem({ seed: 8 });
    const log: string[] = [];
    const seen: ExitMessage[] = [];
    const inner = () => supervisor({ intensity: 1, period: 5000, children: [spec('w', log)] });
    // The watcher stands for a parent supervisor: it links to the inner supervisor and traps exits.
    const watcher = system.spawn(async (self) => {
      self.trapExit(true);
      const sup = self.spawnLink(inner(), { name: 'inner' });
      self.register('watcher');
      void sup;
      seen.push((await self.receive()) as ExitMessage);
    });
    await system.runUntilIdle();
    const sup = system.info(watcher)!.links[0]!;
    const supRef = { kernel: 0, pid: sup } as Ref;
    for (let i = 0; i < 2; i++) {
      const c = (await children(system, supRef)).children;
      system.send(c[0]!.ref!, { type: 'crash' });
      await system.advance(100);
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]!.reason).toBe('shutdown');
    expect(system.isAlive(supRef)).toBe(false);
    expect(system.trace!.of('restart')).toHaveLength(1);
  });

  it('restarts spread out over more than the period do not add up', async () => {
    const system = createSystem({ seed: 9 });
    const log: string[] = [];
    const sup = system.spawn(supervisor({ intensity: 1, period: 1000, children: [spec('w', log)] }));
    for (let i = 0; i < 4; i++) {
      const c = (await children(system, sup)).children;
      system.send(c[0]!.ref!, { type: 'crash' });
      await system.advance(1500);
    }
    expect(system.isAlive(sup)).toBe(true);
    expect((await children(system, sup)).restarts).toBe(4);
  });

  it('kills a child that ignores shutdown after its shutdown time', async () => {
    const system = createSystem({ seed: 10 });
    const stubborn: ChildSpec = {
      id: 'stubborn',
      shutdown: 200,
      start: () => async (self) => {
        self.trapExit(true); // turns 'shutdown' into a message it never reads
        await self.receive(() => false);
      },
    };
    const sup = system.spawn(supervisor({ children: [stubborn] }));
    await system.runUntilIdle();
    system.exit(sup, 'shutdown');
    await system.runUntilIdle();
    const exit = system.trace!.of('exit').find((e) => system.trace!.nameOf(e.pid) === 'stubborn')!;
    expect(exit.reason).toBe('killed');
    expect(exit.t).toBe(200);
  });

  it('starts a child only after the previous one has started (start_link): a later child can use a name an earlier one registered', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const system = createSystem({ seed });
      const registry: ChildSpec = {
        id: 'registry',
        start: () => async (self) => {
          self.register('registry');
          await self.receive(() => false);
        },
      };
      const user: ChildSpec = {
        id: 'user',
        start: () => async (self) => {
          self.send('registry', 'hello');
          await self.receive(() => false);
        },
      };
      const sup = system.spawn(supervisor({ children: [registry, user] }));
      await system.runUntilIdle();
      expect((await children(system, sup)).restarts, `seed ${seed}`).toBe(0);
    }
  });

  it('start_link never waits for ever: a child killed before its code started makes startLink reject with its reason', async () => {
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) {
      const system = createSystem({ seed });
      let outcome: string | undefined;
      system.spawn(async (self) => {
        try {
          await self.startLink(
            async (child) => {
              await child.receive();
            },
            { name: 'child' },
          );
          outcome = 'started';
        } catch (err) {
          outcome = `${(err as StartError).name}: ${String((err as StartError).reason)}`;
        }
      });
      await system.runUntil(() => system.trace!.of('spawn').some((e) => e.name === 'child'));
      const child = system.trace!.of('spawn').find((e) => e.name === 'child')!;
      system.exit({ kernel: 0, pid: child.pid } as Ref, 'kill'); // may arrive before the child's code first runs
      await system.runUntilIdle();
      expect(outcome, `seed ${seed}`).toBeDefined();
      outcomes.add(outcome!);
    }
    expect(outcomes).toContain('StartError: killed');
  });
});

describe('supervisors behave as OTP where it shows', () => {
  it('survive two children crashing together, or one crashing while the group is being stopped (one_for_all, rest_for_one)', async () => {
    for (const strategy of ['one_for_all', 'rest_for_one'] as const) {
      for (const seed of seeds(10)) {
        // a crashes; while the supervisor waits for c to stop (c takes 100 ms), b crashes by itself.
        const system = createSystem({ seed });
        const log: string[] = [];
        const slowToStop: ChildSpec = {
          id: 'c',
          start: () => {
            log.push('start c');
            return async (self: Context<unknown, ExitMessage>) => {
              self.trapExit(true);
              await self.receive({ type: 'EXIT' });
              await self.sleep(100);
              self.exit('shutdown');
            };
          },
        };
        const crashLater: ChildSpec = {
          id: 'b',
          start: () => {
            log.push('start b');
            return async (self: Context<number>) => {
              await self.sleep(await self.receive());
              throw new Error('b crashed');
            };
          },
        };
        const sup = system.spawn(supervisor({ strategy, children: [spec('a', log), crashLater, slowToStop] }));
        const [a, b] = (await children(system, sup)).children;
        system.send(a!.ref!, { type: 'crash' });
        system.send(b!.ref!, 50);
        await system.runUntilIdle();
        expect(system.trace!.of('exit').some((e) => system.trace!.nameOf(e.pid) === 'b' && e.t === 50 && typeof e.reason === 'object')).toBe(true);
        expect(system.isAlive(sup), `${strategy}, seed ${seed}: the supervisor must survive`).toBe(true);
        const report = await children(system, sup);
        expect(report.restarts, `${strategy}, seed ${seed}`).toBe(1);
        expect(report.children.every((c) => c.ref !== undefined && system.isAlive(c.ref))).toBe(true);
        expect(log.slice(3), `${strategy}, seed ${seed}`).toEqual(['start a', 'start b', 'start c']);

        // Two children crash at the same instant.
        const twice = createSystem({ seed });
        const sup2 = twice.spawn(supervisor({ strategy, intensity: 2, children: [spec('a', []), spec('b', []), spec('c', [])] }));
        const before = (await children(twice, sup2)).children;
        twice.send(before[0]!.ref!, { type: 'crash' });
        twice.send(before[2]!.ref!, { type: 'crash' });
        await twice.runUntilIdle();
        expect(twice.isAlive(sup2), `${strategy}, seed ${seed}: two crashes at once`).toBe(true);
        // one_for_all: one restart of the group. rest_for_one: one, or two if c's EXIT came first (c alone, then a, b, c).
        const restarts = (await children(twice, sup2)).restarts;
        if (strategy === 'one_for_all') expect(restarts, `seed ${seed}`).toBe(1);
        else expect([1, 2], `seed ${seed}`).toContain(restarts);
      }
    }
  });

  it('one_for_one restarts each of two children that crash together', async () => {
    for (const seed of seeds(10)) {
      const system = createSystem({ seed });
      const log: string[] = [];
      const sup = system.spawn(supervisor({ intensity: 2, children: [spec('a', log), spec('b', log)] }));
      const before = (await children(system, sup)).children;
      for (const c of before) system.send(c.ref!, { type: 'crash' });
      await system.runUntilIdle();
      const after = await children(system, sup);
      expect(after.restarts, `seed ${seed}`).toBe(2);
      expect(log.slice(2).sort()).toEqual(['start a', 'start b']);
    }
  });

  it("a behaviour that traps exits stops on its supervisor's shutdown at once, and its terminate hook runs", async () => {
    const system = createSystem({ seed: 1 });
    const cleaned: unknown[] = [];
    const audit = system.spawn<string>(
      behavior((_self, m) => {
        cleaned.push(m);
      }),
      { name: 'audit' },
    );
    const careful: ChildSpec = {
      id: 'careful',
      start: () =>
        setup<WorkerMsg>((self) => {
          self.trapExit(true);
          return behavior<WorkerMsg>(() => undefined, {
            terminate: (me, reason) => me.send(audit, `careful terminated: ${formatReason(reason)}`),
          });
        }),
    };
    const sup = system.spawn(supervisor({ children: [careful] }));
    await system.runUntilIdle();
    system.exit(sup, 'shutdown');
    await system.runUntilIdle();
    const exit = system.trace!.of('exit').find((e) => system.trace!.nameOf(e.pid) === 'careful')!;
    expect(exit.reason).toBe('shutdown'); // not 'killed' after 5000 ms
    expect(exit.t).toBe(0);
    expect(cleaned).toEqual(['careful terminated: shutdown']);
  });

  it('obeys only its parent and its children: an EXIT from another linked process, or exit(sup, shutdown) from a sibling, is ignored', async () => {
    const system = createSystem({ seed: 1 });
    const log: string[] = [];
    let sup: Ref | undefined;
    const parent = system.spawn<string>(async (self) => {
      self.trapExit(true);
      sup = self.spawnLink(supervisor({ children: [spec('w', log)] }), { name: 'sup' });
      for (;;) {
        const m = await self.receive();
        if (m === 'stop') self.exit(sup, 'shutdown');
      }
    });
    await system.runUntilIdle();
    // A stranger links to the supervisor, then crashes.
    system.spawn<string>(
      async (self) => {
        self.link(sup!);
        throw new Error('stranger crashed');
      },
      { name: 'stranger' },
    );
    // A sibling tells it to shut down.
    system.spawn(
      async (self) => {
        self.exit(sup!, 'shutdown');
      },
      { name: 'sibling' },
    );
    await system.runUntilIdle();
    expect(system.isAlive(sup!)).toBe(true);
    expect((await children(system, sup!)).children[0]!.ref).toBeDefined();
    // Its parent can.
    system.send(parent, 'stop');
    await system.runUntilIdle();
    expect(fate(system, sup!)).toBe('shutdown');
    expect(stops(system)).toEqual(['w', 'sup']);
  });

  it('gives a child supervisor infinity to shut down (a worker gets 5000 ms): a nested tree stops completely, leaves first', async () => {
    const system = createSystem({ seed: 1 });
    // A worker that needs 6 s to stop, under an inner supervisor that lets it (shutdown 8000).
    const slow: ChildSpec = {
      id: 'slow',
      shutdown: 8000,
      start: () => async (self: Context<unknown, ExitMessage>) => {
        self.trapExit(true);
        await self.receive({ type: 'EXIT' });
        await self.sleep(6000);
        self.exit('shutdown');
      },
    };
    const outer = system.spawn(supervisor({ children: [{ id: 'inner', start: () => supervisor({ children: [slow] }) }] }), { name: 'outer' });
    await system.runUntilIdle();
    const report = await children(system, outer);
    expect(report.children[0]!.type).toBe('supervisor');
    expect(await counts(system, outer)).toEqual({ specs: 1, active: 1, supervisors: 1, workers: 0 });
    system.exit(outer, 'shutdown');
    await system.runUntilIdle();
    const exits = system.trace!.of('exit').map((e) => [system.trace!.nameOf(e.pid), e.reason, e.t]);
    expect(exits.slice(-3)).toEqual([
      ['slow', 'shutdown', 6000],
      ['inner', 'shutdown', 6000],
      ['outer', 'shutdown', 6000],
    ]);
  });

  it('a child that fails to start fails the supervisor: later children are not started, earlier ones are stopped', async () => {
    for (const failure of ['throws at once', 'setup throws', 'start() throws'] as const) {
      const system = createSystem({ seed: 1 });
      const log: string[] = [];
      const bad: ChildSpec = {
        id: 'bad',
        start: () => {
          log.push('start bad');
          if (failure === 'start() throws') throw new Error('no config');
          if (failure === 'setup throws')
            return setup(() => {
              throw new Error('no config');
            });
          return async () => {
            throw new Error('no config');
          };
        },
      };
      const sup = system.spawn(supervisor({ children: [spec('a', log), bad, spec('c', log)] }));
      await system.runUntilIdle();
      expect(log, failure).toEqual(['start a', 'start bad']);
      expect(fate(system, sup), failure).toEqual({ shutdown: 'failed to start child bad: Error: no config' });
      expect(stops(system), failure).toEqual(['a']);
      expect(system.trace!.of('restart')).toEqual([]);
    }
  });

  it('a restart whose start fails is tried again and counts towards the intensity', async () => {
    const system = createSystem({ seed: 1 });
    let starts = 0;
    const flaky: ChildSpec = {
      id: 'flaky',
      start: () => {
        starts++;
        if (starts === 1) return worker('flaky', [])();
        return async () => {
          throw new Error(`start ${starts} failed`);
        };
      },
    };
    const sup = system.spawn(supervisor({ intensity: 3, period: 1000, children: [flaky] }));
    const c = (await children(system, sup)).children;
    system.send(c[0]!.ref!, { type: 'crash' });
    await system.runUntilIdle();
    expect(starts).toBe(4); // the first start, then three failed restarts; the fourth would exceed 3 in 1000 ms
    expect(fate(system, sup)).toBe('shutdown');
  });

  it('terminateChild forgets a temporary child; others keep their spec for restartChild and deleteChild', async () => {
    const system = createSystem({ seed: 1 });
    const log: string[] = [];
    const sup = system.spawn(supervisor({ children: [spec('p', log), spec('x', log, { restart: 'temporary' })] }));
    await system.runUntilIdle();
    const ask = async <T>(make: () => Promise<T>): Promise<T> => {
      const settled = make().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      await system.runUntilIdle();
      const outcome = await settled;
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    };
    expect(await ask(() => terminateChild(system, sup, 'x'))).toBe(true);
    expect(await ask(() => terminateChild(system, sup, 'p'))).toBe(true);
    expect(await ask(() => terminateChild(system, sup, 'nobody'))).toBe(false);
    const left = (await children(system, sup)).children;
    expect(left.map((c) => [c.id, c.ref])).toEqual([['p', undefined]]);
    expect(await counts(system, sup)).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 1 });

    const again = await ask(() => restartChild(system, sup, 'p'));
    expect(system.isAlive(again)).toBe(true);
    expect(log).toEqual(['start p', 'start x', 'start p']);
    await expect(ask(() => restartChild(system, sup, 'p'))).rejects.toThrow(/already running/);
    await expect(ask(() => deleteChild(system, sup, 'p'))).rejects.toThrow(/running/);
    expect(await ask(() => terminateChild(system, sup, 'p'))).toBe(true);
    expect(await ask(() => deleteChild(system, sup, 'p'))).toBe(true);
    expect(await ask(() => deleteChild(system, sup, 'p'))).toBe(false);
    expect((await children(system, sup)).children).toEqual([]);
    expect((await children(system, sup)).restarts).toBe(0); // restartChild is not a restart
  });

  it('counts a restart exactly `period` ms ago towards the intensity (OTP), one a millisecond earlier not', async () => {
    for (const [gap, survives] of [
      [1000, false],
      [1001, true],
    ] as const) {
      const system = createSystem({ seed: 1 });
      const sup = system.spawn(supervisor({ intensity: 1, period: 1000, children: [spec('w', [])] }));
      await system.runUntilIdle();
      system.send((await children(system, sup)).children[0]!.ref!, { type: 'crash' }); // restart at t=0
      await system.advance(gap);
      system.send((await children(system, sup)).children[0]!.ref!, { type: 'crash' }); // at t=gap
      await system.runUntilIdle();
      expect(system.isAlive(sup), `second crash ${gap} ms after the first`).toBe(survives);
    }
  });

  it('startLink: a child that crashes in its start-up makes startLink reject with StartError; its EXIT is discarded, so even a caller that does not trap exits carries on', async () => {
    const system = createSystem({ seed: 1 });
    let error: unknown;
    const caller = system.spawn(async (self) => {
      try {
        await self.startLink(
          async () => {
            throw new Error('bad config');
          },
          { name: 'child' },
        );
      } catch (err) {
        error = err;
      }
      await self.receive(() => false);
    });
    await system.runUntilIdle();
    expect((error as StartError).name).toBe('StartError');
    expect(formatReason((error as StartError).reason)).toBe('Error: bad config');
    expect(fate(system, caller)).toBe('alive');
    expect(system.info(caller)!.links).toEqual([]);
  });

  it('a child supervisor counts as started once its own first step has run: if one of its children fails to start, it exits { shutdown } and its supervisor restarts it (OTP would fail its start)', async () => {
    const system = createSystem({ seed: 1 });
    const log: string[] = [];
    const broken = () =>
      supervisor({
        children: [
          {
            id: 'bad',
            start: () => async () => {
              throw new Error('no config');
            },
          },
        ],
      });
    const top = system.spawn(supervisor({ intensity: 1, children: [spec('a', log), { id: 'inner', start: broken }, spec('c', log)] }), { name: 'top' });
    await system.runUntilIdle();
    expect(log[0]).toBe('start a');
    expect(log).toContain('start c'); // started: inner's own start-up succeeded before its child failed
    const innerExits = system.trace!.of('exit').filter((e) => system.trace!.nameOf(e.pid).startsWith('inner'));
    expect(innerExits[0]!.reason).toEqual({ shutdown: 'failed to start child bad: Error: no config' });
    expect(fate(system, top)).toBe('shutdown'); // restarted once, failed again: intensity exceeded
  });

  it('startChild needs a simple_one_for_one supervisor: a child spec holds functions, which cannot be sent', async () => {
    const system = createSystem({ seed: 1 });
    const sup = system.spawn(supervisor({ children: [spec('a', [])] }));
    const started = startChild(system, sup, {}).catch((err: Error) => err.message);
    await system.runUntilIdle();
    expect(await started).toMatch(/simple_one_for_one/);
  });

  it('countChildren counts specs, running children, supervisors and workers', async () => {
    const system = createSystem({ seed: 1 });
    const sup = system.spawn(
      supervisor({
        children: [spec('a', []), spec('t', [], { restart: 'transient' }), { id: 'sub', start: () => supervisor({ children: [] }) }],
      }),
    );
    await system.runUntilIdle();
    expect(await counts(system, sup)).toEqual({ specs: 3, active: 3, supervisors: 1, workers: 2 });
    system.send((await children(system, sup)).children[1]!.ref!, { type: 'quit' });
    await system.runUntilIdle();
    expect(await counts(system, sup)).toEqual({ specs: 3, active: 2, supervisors: 1, workers: 2 });
  });
});

async function counts(system: System, sup: Ref) {
  const report = countChildren(system, sup);
  await system.runUntilIdle();
  return report;
}
