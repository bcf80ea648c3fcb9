import { describe, expect, it } from 'vitest';
import {
  AtomicCounter,
  Condition,
  LockError,
  Mutex,
  RwLock,
  SharedMemory,
  createSystem,
  findDeadlock,
  findLostUpdates,
  formatDeadlock,
  formatLostUpdate,
  shared,
  type Context,
  type System,
  type Task,
} from '../index.ts';
import { seeds } from './helpers.ts';

/** Spawns one task per body in a fresh system with `seed`, runs it until idle, and returns the memory. */
async function runTasks(seed: number, bodies: Record<string, (t: Task) => Promise<void>>): Promise<{ system: System; memory: SharedMemory; idle: boolean }> {
  const system = createSystem({ seed });
  const memory = new SharedMemory();
  for (const [name, body] of Object.entries(bodies)) {
    system.spawn(async (self: Context<never>) => memory.run(self, name, body), { name });
  }
  const report = await system.runUntilIdle({ maxTime: 10_000 });
  return { system, memory, idle: report.idle };
}

function counterBodies(locked: boolean, n = 4): { bodies: Record<string, (t: Task) => Promise<void>>; box: { count: number } } {
  const box = shared('box', { count: 0 });
  const lock = new Mutex('lock(box)');
  const bodies: Record<string, (t: Task) => Promise<void>> = {};
  for (let i = 0; i < n; i++) {
    bodies[`inc-${i}`] = async (t) => {
      for (let k = 0; k < 3; k++) {
        if (locked) await lock.lock(t);
        const seen = box.count;
        await t.yield(); // some work between the read and the write
        box.count = seen + 1;
        if (locked) lock.unlock(t);
      }
    };
  }
  return { bodies, box };
}

describe('shared memory on the seeded scheduler', () => {
  it('is deterministic: the same seed gives the same interleaving, event for event; other seeds give others', async () => {
    const logs: string[] = [];
    for (const seed of [7, 7, 8, 9, 10]) {
      const { bodies } = counterBodies(false);
      const { memory } = await runTasks(seed, bodies);
      logs.push(JSON.stringify(memory.events()));
    }
    expect(logs[1]).toBe(logs[0]);
    expect(new Set(logs.slice(2).concat(logs[0]!)).size).toBeGreaterThan(1);
  });

  it('a mutex gives mutual exclusion: updates under the lock are never lost, under every seed', async () => {
    for (const seed of seeds(10)) {
      const { bodies, box } = counterBodies(true);
      const { memory, idle } = await runTasks(seed, bodies);
      expect(idle).toBe(true);
      expect(box.count).toBe(12);
      expect(findLostUpdates(memory.events())).toEqual([]);
    }
  });

  it('a lost update is found and names the two tasks and the interleaving', async () => {
    let found = 0;
    for (const seed of seeds(10)) {
      const { bodies, box } = counterBodies(false);
      const { memory } = await runTasks(seed, bodies);
      if (box.count === 12) continue;
      const lost = findLostUpdates(memory.events());
      expect(lost.length).toBeGreaterThan(0);
      const u = lost[0]!;
      expect(u.location).toBe('box.count');
      expect(u.lost.task).not.toBe(u.overwrite.task);
      expect(u.staleRead.task).toBe(u.overwrite.task);
      expect(u.staleRead.seq).toBeLessThan(u.lost.seq);
      expect(u.lost.seq).toBeLessThan(u.overwrite.seq);
      const text = formatLostUpdate(u);
      expect(text).toContain(`lost update on box.count: ${u.overwrite.task} read`);
      expect(text).toContain(`then ${u.lost.task} wrote`);
      expect(text).toMatch(/the interleaving:\n {2}t=/);
      found++;
    }
    expect(found).toBeGreaterThan(5);
  });

  it('a deadlock report names the cycle: who holds what and waits for what, and the sequence that led there', async () => {
    let deadlocks = 0;
    for (const seed of seeds(10)) {
      const a = new Mutex('lock(A)'),
        b = new Mutex('lock(B)');
      const cross = (first: Mutex, second: Mutex) => async (t: Task) => {
        await first.lock(t);
        await t.yield();
        await second.lock(t);
        second.unlock(t);
        first.unlock(t);
      };
      const { memory, idle } = await runTasks(seed, { 't1 A→B': cross(a, b), 't2 B→A': cross(b, a) });
      expect(idle).toBe(true); // a deadlocked system goes idle: nobody will ever wake the waiters
      const snap = memory.snapshot();
      const stuck = snap.tasks.filter((t) => !t.ended);
      const d = findDeadlock(snap);
      if (stuck.length === 0) {
        expect(d).toBeUndefined();
        continue;
      }
      deadlocks++;
      expect(d).toBeDefined();
      expect(d!.cycle.map((s) => s.task).sort()).toEqual(['t1 A→B', 't2 B→A']);
      const t1 = d!.cycle.find((s) => s.task === 't1 A→B')!;
      expect(t1).toMatchObject({ holds: ['lock(A)'], waitsFor: 'lock(B)', heldBy: 't2 B→A' });
      const text = formatDeadlock(d!);
      expect(text).toContain('deadlock: 2 tasks wait in a cycle');
      expect(text).toMatch(/t1 A→B +holds lock\(A\); waits for lock\(B\), held by t2 B→A/);
      expect(text).toMatch(/how it came to this[^\n]*:\n(.*\n)*.*locked lock\(A\)(.*\n)*.*waits for lock\(B\), held by t2 B→A/);
      // and it replays: the same seed gives the same report
      const a2 = new Mutex('lock(A)'),
        b2 = new Mutex('lock(B)');
      const again = await runTasks(seed, { 't1 A→B': cross(a2, b2), 't2 B→A': cross(b2, a2) });
      expect(formatDeadlock(findDeadlock(again.memory.snapshot())!)).toBe(text);
      expect(JSON.stringify(again.memory.events())).toBe(JSON.stringify(memory.events()));
    }
    expect(deadlocks).toBeGreaterThan(0);
  });

  it('a task that locks a mutex it holds waits for itself, and the report says so', async () => {
    const m = new Mutex('lock(A)');
    const { memory } = await runTasks(1, {
      again: async (t) => {
        await m.lock(t);
        await m.lock(t);
      },
    });
    const d = findDeadlock(memory.snapshot());
    expect(d?.cycle).toEqual([{ task: 'again', holds: ['lock(A)'], waitsFor: 'lock(A)', heldBy: 'again' }]);
    expect(formatDeadlock(d!)).toContain('a task waits for a lock it holds itself');
  });

  it('unlocking a mutex the task does not hold is a LockError that ends the task', async () => {
    const m = new Mutex('lock(A)');
    let error: unknown;
    await runTasks(1, {
      wrong: async (t) => {
        try {
          m.unlock(t);
        } catch (err) {
          error = err;
        }
      },
    });
    expect(error).toBeInstanceOf(LockError);
    expect(String(error)).toContain('wrong unlocked lock(A), which nobody holds');
  });

  it('a read-write lock lets readers share and keeps a writer alone; a waiting writer is not overtaken', async () => {
    for (const seed of seeds(8)) {
      const rw = new RwLock('rw');
      let readers = 0,
        writers = 0,
        maxReaders = 0,
        bad = 0;
      const reader = async (t: Task) => {
        await rw.readLock(t);
        readers++;
        maxReaders = Math.max(maxReaders, readers);
        if (writers > 0) bad++;
        await t.yield();
        await t.yield();
        readers--;
        rw.readUnlock(t);
      };
      const writer = async (t: Task) => {
        await rw.writeLock(t);
        writers++;
        if (writers > 1 || readers > 0) bad++;
        await t.yield();
        writers--;
        rw.writeUnlock(t);
      };
      const { memory, idle } = await runTasks(seed, { r1: reader, r2: reader, w1: writer, r3: reader, w2: writer, r4: reader });
      expect(idle).toBe(true);
      expect(bad).toBe(0);
      expect(memory.snapshot().tasks.every((t) => t.ended && t.holds.length === 0)).toBe(true);
    }
  });

  it('a condition variable: wait releases the mutex and takes it again; signal and broadcast wake waiters', async () => {
    for (const seed of seeds(8)) {
      const m = new Mutex('lock(queue)');
      const nonEmpty = new Condition('non-empty', m);
      const queue: number[] = [];
      const got: number[] = [];
      const consumer = async (t: Task) => {
        for (let k = 0; k < 2; k++) {
          await m.lock(t);
          while (queue.length === 0) await nonEmpty.wait(t);
          got.push(queue.shift()!);
          m.unlock(t);
        }
      };
      const producer = async (t: Task) => {
        for (let i = 1; i <= 4; i++) {
          await m.lock(t);
          queue.push(i);
          if (i % 2 === 0) nonEmpty.broadcast(t);
          else nonEmpty.signal(t);
          m.unlock(t);
        }
      };
      const { idle, memory } = await runTasks(seed, { c1: consumer, c2: consumer, p: producer });
      expect(idle).toBe(true);
      expect(got.sort()).toEqual([1, 2, 3, 4]);
      expect(memory.snapshot().tasks.every((t) => t.ended)).toBe(true);
    }
  });

  it('waiting on a condition without its mutex is a LockError', async () => {
    const c = new Condition('c', new Mutex('m'));
    let error: unknown;
    await runTasks(1, {
      w: async (t) => {
        try {
          await c.wait(t);
        } catch (err) {
          error = err;
        }
      },
    });
    expect(error).toBeInstanceOf(LockError);
  });

  it('an atomic counter never loses an update', async () => {
    for (const seed of seeds(5)) {
      const c = new AtomicCounter('hits');
      const body = async (t: Task) => {
        for (let k = 0; k < 5; k++) {
          c.incrementAndGet(t);
          await t.yield();
        }
      };
      const { memory } = await runTasks(seed, { a: body, b: body, c: body });
      expect(
        memory
          .events()
          .filter((e) => e.op === 'atomic')
          .at(-1)?.value,
      ).toBe(15);
      let cas = false;
      await runTasks(seed, {
        x: async (t) => {
          cas = c.compareAndSet(t, 15, 0) && c.get(t) === 0;
        },
      });
      expect(cas).toBe(true);
    }
  });
});
