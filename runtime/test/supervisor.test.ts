import { describe, expect, it } from 'vitest';
import {
  behavior, createSystem, startChild, supervisor, whichChildren,
  type ChildSpec, type ExitMessage, type Ref, type System,
} from '../index.ts';

type WorkerMsg = { type: 'crash' } | { type: 'quit' } | { type: 'hi' };

/** A worker that records its start and stop in `log`, crashes or quits on request. */
function worker(id: string, log: string[]) {
  return () => behavior<WorkerMsg>((self, msg) => {
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
  return system.trace!.of('exit').filter((e) => e.reason === 'shutdown').map((e) => system.trace!.nameOf(e.pid).replace(/#\d+$/, ''));
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
    const sup = system.spawn(supervisor({
      strategy: 'simple_one_for_one',
      children: [{ id: 'conn', start: (arg: unknown) => { args.push(arg); return worker('conn', [])(); } }],
    }));
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
    const sup = system.spawn(supervisor({
      intensity: 10,
      children: [spec('p', log, { restart: 'permanent' }), spec('t', log, { restart: 'transient' }), spec('x', log, { restart: 'temporary' })],
    }));
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
      seen.push(await self.receive() as ExitMessage);
    });
    await system.runUntilIdle();
    const sup = (system.info(watcher)!.links[0])!;
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
      const registry: ChildSpec = { id: 'registry', start: () => async (self) => { self.register('registry'); await self.receive(() => false); } };
      const user: ChildSpec = { id: 'user', start: () => async (self) => { self.send('registry', 'hello'); await self.receive(() => false); } };
      const sup = system.spawn(supervisor({ children: [registry, user] }));
      await system.runUntilIdle();
      expect((await children(system, sup)).restarts, `seed ${seed}`).toBe(0);
    }
  });

  it('start_link never waits for ever: a child killed before its code started counts as started (and ended)', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const system = createSystem({ seed });
      const child = system.spawn(async (self) => {
        await self.receive();
      });
      let started = false;
      void system.kernel.whenStarted(child).then(() => (started = true));
      system.exit(child, 'kill'); // may arrive before the child's code first runs
      await system.runUntilIdle();
      await new Promise((resolve) => setImmediate(resolve));
      expect(started, `seed ${seed}`).toBe(true);
    }
  });
});
