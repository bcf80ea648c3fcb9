// Edges of the shared-memory locks (the bank-locks contrast): tryLock takes a free mutex at once
// and never waits; withLock / withReadLock / withWriteLock release however the work ends;
// unlocking what a task does not hold is a LockError that names the holder; the event log keeps
// only its last `limit` events and says how many it dropped; sweep forgets finished tasks.
import { describe, expect, it } from 'vitest';
import { LockError, Mutex, RwLock, SharedMemory, createSystem, type Context, type Task } from '../index.ts';

async function runTasks(bodies: Record<string, (t: Task) => Promise<void>>, memory = new SharedMemory(), seed = 1) {
  const system = createSystem({ seed });
  for (const [name, body] of Object.entries(bodies)) {
    system.spawn(async (self: Context<never>) => memory.run(self, name, body), { name });
  }
  const report = await system.runUntilIdle({ maxTime: 10_000 });
  return { memory, idle: report.idle };
}

describe('Mutex edges', () => {
  it('tryLock takes a free mutex at once and refuses a held one without waiting', async () => {
    const m = new Mutex('m');
    const log: string[] = [];
    await runTasks({
      holder: async (t) => {
        expect(m.tryLock(t)).toBe(true);
        log.push(`holder took it; locked=${m.locked}`);
        while (log.length < 2) await t.yield();
        m.unlock(t);
        log.push('holder let go');
      },
      other: async (t) => {
        while (!m.locked) await t.yield();
        log.push(`other tries: ${m.tryLock(t)}`);
      },
    });
    expect(log).toEqual(['holder took it; locked=true', 'other tries: false', 'holder let go']);
    expect(m.locked).toBe(false);
  });

  it('withLock releases the mutex when the work throws, and hands it to the next waiter', async () => {
    const m = new Mutex('m');
    const got: string[] = [];
    const { memory, idle } = await runTasks({
      a: async (t) => {
        await m
          .withLock(t, async () => {
            await t.yield();
            throw new Error('work failed');
          })
          .catch((err: Error) => got.push(`a: ${err.message}`));
      },
      b: async (t) => {
        got.push(`b: ${await m.withLock(t, () => 'done')}`);
      },
    });
    expect(idle).toBe(true);
    expect(got.sort()).toEqual(['a: work failed', 'b: done']);
    expect(memory.snapshot().tasks.every((s) => s.ended && s.holds.length === 0)).toBe(true);
  });

  it('unlocking a mutex another task holds names that task', async () => {
    const m = new Mutex('lock(X)');
    let error: unknown;
    await runTasks({
      owner: async (t) => {
        await m.lock(t);
        while (error === undefined) await t.yield();
        m.unlock(t);
      },
      thief: async (t) => {
        while (!m.locked) await t.yield();
        try {
          m.unlock(t);
        } catch (err) {
          error = err;
        }
      },
    });
    expect(error).toBeInstanceOf(LockError);
    expect(String(error)).toContain('thief unlocked lock(X), which owner holds');
  });
});

describe('RwLock edges', () => {
  it('withReadLock and withWriteLock release however the work ends', async () => {
    const rw = new RwLock('rw');
    const got: string[] = [];
    const { memory, idle } = await runTasks({
      reader: async (t) => {
        await rw
          .withReadLock(t, () => {
            throw new Error('read failed');
          })
          .catch((err: Error) => got.push(err.message));
        got.push(`read ${await rw.withReadLock(t, () => 1)}`);
      },
      writer: async (t) => {
        await rw
          .withWriteLock(t, async () => {
            await t.yield();
            throw new Error('write failed');
          })
          .catch((err: Error) => got.push(err.message));
        got.push(`wrote ${await rw.withWriteLock(t, () => 2)}`);
      },
    });
    expect(idle).toBe(true);
    expect(got.sort()).toEqual(['read 1', 'read failed', 'write failed', 'wrote 2']);
    expect(memory.snapshot().tasks.every((s) => s.ended && s.holds.length === 0)).toBe(true);
  });

  it('releasing what a task does not hold is a LockError naming who does', async () => {
    const rw = new RwLock('rw(A)');
    const errors: string[] = [];
    let checked = false;
    await runTasks({
      writer: async (t) => {
        await rw.writeLock(t);
        while (!checked) await t.yield();
        rw.writeUnlock(t);
      },
      confused: async (t) => {
        while (rw.holders().length === 0) await t.yield();
        for (const wrong of [() => rw.readUnlock(t), () => rw.writeUnlock(t)]) {
          try {
            wrong();
          } catch (err) {
            expect(err).toBeInstanceOf(LockError);
            errors.push(String((err as Error).message));
          }
        }
        checked = true;
      },
    });
    expect(errors).toEqual(['confused read-unlocked rw(A) without holding it for reading', 'confused write-unlocked rw(A), which writer holds for writing']);
    let nobody = '';
    await runTasks({
      alone: async (t) => {
        try {
          rw.writeUnlock(t);
        } catch (err) {
          nobody = (err as Error).message;
        }
      },
    });
    expect(nobody).toBe('alone write-unlocked rw(A), which no task holds for writing');
  });

  it('holders() names the writer, or every reader', async () => {
    const rw = new RwLock('rw');
    const seen: string[][] = [];
    let done = false;
    await runTasks({
      r1: async (t) => {
        await rw.readLock(t);
        while (rw.holders().length < 2) await t.yield();
        seen.push(rw.holders().sort());
        done = true;
        rw.readUnlock(t);
      },
      r2: async (t) => {
        await rw.readLock(t);
        while (!done) await t.yield();
        rw.readUnlock(t);
      },
    });
    expect(seen).toEqual([['r1', 'r2']]);
    expect(rw.holders()).toEqual([]);
  });
});

describe('the event log', () => {
  it('keeps only the last `limit` events, counts what it dropped, and sweep forgets finished tasks', async () => {
    const memory = new SharedMemory({ limit: 5 });
    const m = new Mutex('m');
    await runTasks(
      {
        busy: async (t) => {
          for (let i = 0; i < 5; i++) await m.withLock(t, () => undefined);
        },
      },
      memory,
    );
    const snap = memory.snapshot();
    expect(snap.events).toHaveLength(5);
    expect(snap.dropped).toBe(memory.seq - 5);
    expect(snap.events[0]!.seq).toBe(snap.dropped);
    expect(snap.tasks).toHaveLength(1);
    memory.sweep();
    expect(memory.snapshot().tasks).toEqual([]);
  });
});
