// The registry (register/2, whereis/1, unregister/1): one name per process and one process per
// name; names are released when the process ends; sending to an unknown name fails at once.
import { describe, expect, it } from 'vitest';
import { NoSuchNameError, RegistryError, createSystem, type Context, type Ref } from '../index.ts';
import { fate } from './helpers.ts';

const idle = async (self: Context<unknown>) => {
  for (;;) await self.receive();
};

describe('registry', () => {
  it('register makes whereis return the ref and lets others send by name; unregister removes the name', async () => {
    const system = createSystem({ seed: 1 });
    const got: unknown[] = [];
    const server = system.spawn<string>(async (self) => {
      self.register('server');
      for (;;) got.push(await self.receive());
    });
    expect(system.whereis('server')).toBeUndefined(); // not started yet
    await system.runUntilIdle();
    expect(system.whereis('server')).toEqual(server);
    expect(system.info(server)!.registered).toEqual(['server']);
    let seen: Ref | undefined;
    system.spawn(async (self) => {
      seen = self.whereis('server');
      self.send('server', 'by name');
    });
    await system.runUntilIdle();
    expect(seen).toEqual(server);
    expect(got).toEqual(['by name']);

    system.unregister('server');
    expect(system.whereis('server')).toBeUndefined();
    expect(() => system.send('server', 'again')).toThrow(NoSuchNameError);
    expect(system.isAlive(server)).toBe(true); // unregistering does not end the process
  });

  it('system.register names a running process from outside', async () => {
    const system = createSystem({ seed: 1 });
    const got: unknown[] = [];
    const p = system.spawn(async (self) => {
      got.push(await self.receive());
    });
    await system.runUntilIdle();
    system.register('worker', p);
    system.send('worker', 42);
    await system.runUntilIdle();
    expect(got).toEqual([42]);
  });

  it('a name is released when its process ends (normally or by crashing), and can then be taken again', async () => {
    for (const how of ['normal', 'crash'] as const) {
      const system = createSystem({ seed: 1 });
      const first = system.spawn(async (self) => {
        self.register('db');
        await self.receive();
        if (how === 'crash') throw new Error('db crashed');
      });
      await system.runUntilIdle();
      system.send('db', 'stop');
      await system.runUntilIdle();
      expect(system.isAlive(first), how).toBe(false);
      expect(system.whereis('db'), how).toBeUndefined();
      expect(system.info(first)!.registered, how).toEqual([]);
      const second = system.spawn(async (self) => {
        self.register('db');
        await idle(self);
      });
      await system.runUntilIdle();
      expect(system.whereis('db'), how).toEqual(second);
    }
  });

  it('sending to a name nobody holds throws NoSuchNameError at the send site, at once', async () => {
    const system = createSystem({ seed: 1 });
    expect(() => system.send('ghost', 'boo')).toThrow(NoSuchNameError);
    let caught: unknown;
    let after = false;
    const p = system.spawn(async (self) => {
      try {
        self.send('ghost', 'boo');
      } catch (err) {
        caught = err;
      }
      after = true; // the sender catches it and goes on
    });
    await system.runUntilIdle();
    expect(caught).toBeInstanceOf(NoSuchNameError);
    expect((caught as NoSuchNameError).registeredName).toBe('ghost');
    expect((caught as Error).message).toContain('ghost');
    expect(after).toBe(true);
    expect(fate(system, p)).toBe('normal');
    expect(system.deadLetters).toEqual([]); // nothing was sent
    expect(system.trace!.of('send')).toEqual([]);
  });

  it('sending to the name of a process that has ended throws NoSuchNameError (not a silent dead letter)', async () => {
    const system = createSystem({ seed: 1 });
    system.spawn(async (self) => {
      self.register('brief');
    });
    await system.runUntilIdle();
    expect(() => system.send('brief', 'hello?')).toThrow(NoSuchNameError);
  });

  it('a name held by a live process cannot be registered again (RegistryError); the holder keeps it', async () => {
    const system = createSystem({ seed: 1 });
    const holder = system.spawn(async (self) => {
      self.register('unique');
      await idle(self);
    });
    await system.runUntilIdle();
    let caught: unknown;
    const other = system.spawn(async (self) => {
      try {
        self.register('unique');
      } catch (err) {
        caught = err;
      }
      await idle(self);
    });
    await system.runUntilIdle();
    expect(caught).toBeInstanceOf(RegistryError);
    expect((caught as Error).message).toContain('unique');
    expect(() => system.register('unique', other)).toThrow(RegistryError);
    expect(system.whereis('unique')).toEqual(holder);
  });

  it('a process has at most one name, and a name must be a non-empty string', async () => {
    const system = createSystem({ seed: 1 });
    const errors: unknown[] = [];
    const p = system.spawn(async (self) => {
      self.register('first');
      self.register('first'); // registering the same name again is harmless
      try {
        self.register('second');
      } catch (err) {
        errors.push(err);
      }
      try {
        self.register('');
      } catch (err) {
        errors.push(err);
      }
      await idle(self);
    });
    await system.runUntilIdle();
    expect(errors).toHaveLength(2);
    expect(errors.every((e) => e instanceof RegistryError)).toBe(true);
    expect(system.info(p)!.registered).toEqual(['first']);
    expect(system.whereis('second')).toBeUndefined();
  });

  it('a process that has ended cannot be registered', async () => {
    const system = createSystem({ seed: 1 });
    const gone = system.spawn(async () => {});
    await system.runUntilIdle();
    expect(() => system.register('late', gone)).toThrow(/not alive/);
    expect(system.whereis('late')).toBeUndefined();
  });
});
