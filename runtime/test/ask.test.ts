// ask: request/reply with a correlation id and a timeout. A reply after the timeout is dropped
// (a 'late-reply' dead letter) and never lands in the mailbox later; a target that ends before
// replying fails the ask with AskTargetExitedError.
import { describe, expect, it } from 'vitest';
import { AskTargetExitedError, AskTimeoutError, NoSuchNameError, behavior, createSystem, type Context, type Ref } from '../index.ts';

type Req = { type: 'req'; n: number; replyTo: Ref<number> };

/** A server that answers each request with n * 10 after `delay(n)` virtual ms. */
function slowServer(delay: (n: number) => number) {
  return async (self: Context<Req>) => {
    for (;;) {
      const req = await self.receive();
      self.spawn(async (worker) => {
        await worker.sleep(delay(req.n));
        worker.send(req.replyTo, req.n * 10);
      });
    }
  };
}

describe('ask', () => {
  it('each reply goes to the ask that made its request, even when replies come back in reverse order', async () => {
    const system = createSystem({ seed: 4 });
    const server = system.spawn<Req>(slowServer((n) => 100 - n * 10)); // later requests answer sooner
    let results: number[] = [];
    system.spawn(async (self) => {
      results = await Promise.all([1, 2, 3].map((n) => self.ask<number>(server, (replyTo) => ({ type: 'req', n, replyTo }), { timeout: 1000 })));
    });
    await system.runUntilIdle();
    expect(results).toEqual([10, 20, 30]);
  });

  it('a reply is not seen by a plain receive, and a plain message is not taken as the reply', async () => {
    const system = createSystem({ seed: 1 });
    type Mixed = { type: 'req'; replyTo: Ref<string>; plainTo: Ref<string> };
    const server = system.spawn<Mixed>(async (self) => {
      const req = await self.receive();
      self.send(req.plainTo, 'plain'); // same payload type, but to the asker's own ref
      self.send(req.replyTo, 'reply');
    });
    const log: unknown[] = [];
    system.spawn<string>(async (self) => {
      log.push(await self.ask<string>(server, (replyTo) => ({ type: 'req', replyTo, plainTo: self.ref })));
      log.push(await self.receive(undefined, { after: 0 }));
      log.push(await self.receive(undefined, { after: 0 }));
    });
    await system.runUntilIdle();
    expect(log).toEqual(['reply', 'plain', undefined]);
  });

  it('works from outside the system (system.ask) against a behaviour, and leaves no timer behind', async () => {
    const system = createSystem({ seed: 1 });
    const doubler = system.spawn<Req>(
      behavior((self, m) => {
        self.send(m.replyTo, m.n * 2);
      }),
    );
    const reply = system.ask<number, Req>(doubler, (replyTo) => ({ type: 'req', n: 21, replyTo }));
    await system.runUntilIdle();
    await expect(reply).resolves.toBe(42);
    expect(system.pendingTimers).toBe(0);
    expect(system.now()).toBe(0); // the 5 s default timeout was cancelled, not waited out
  });

  it('a behaviour that asks inside its handler handles the messages that arrive meanwhile afterwards, in order', async () => {
    const system = createSystem({ seed: 2 });
    const server = system.spawn<Req>(slowServer(() => 50));
    const log: unknown[] = [];
    type In = { type: 'calc'; n: number } | { type: 'note'; text: string };
    const client = system.spawn<In>(
      behavior(async (self, m) => {
        if (m.type === 'note') {
          log.push(m.text);
          return;
        }
        log.push(await self.ask<number>(server, (replyTo) => ({ type: 'req', n: m.n, replyTo })));
      }),
    );
    system.spawn(async (self) => {
      self.send(client, { type: 'calc', n: 4 });
      self.send(client, { type: 'note', text: 'a' });
      self.send(client, { type: 'note', text: 'b' });
    });
    await system.runUntilIdle();
    expect(log).toEqual([40, 'a', 'b']);
  });

  it('no reply within the timeout rejects with AskTimeoutError at exactly that virtual time', async () => {
    const system = createSystem({ seed: 1 });
    const silent = system.spawn<Req>(
      async (self) => {
        for (;;) await self.receive();
      },
      { name: 'silent' },
    );
    let error: unknown;
    let at = -1;
    system.spawn(async (self) => {
      try {
        await self.ask<number>(silent, (replyTo) => ({ type: 'req', n: 1, replyTo }), { timeout: 250 });
      } catch (err) {
        error = err;
        at = self.now();
      }
    });
    await system.runUntilIdle();
    expect(error).toBeInstanceOf(AskTimeoutError);
    expect((error as AskTimeoutError).timeout).toBe(250);
    expect((error as Error).message).toContain('silent');
    expect(at).toBe(250);
  });

  it('the default timeout is 5000 ms', async () => {
    const system = createSystem({ seed: 1 });
    const silent = system.spawn<Req>(async (self) => {
      for (;;) await self.receive();
    });
    const reply = system.ask<number, Req>(silent, (replyTo) => ({ type: 'req', n: 1, replyTo }));
    const caught = reply.catch((err: unknown) => err);
    await system.runUntilIdle();
    const err = await caught;
    expect(err).toBeInstanceOf(AskTimeoutError);
    expect((err as AskTimeoutError).timeout).toBe(5000);
    expect(system.now()).toBe(5000);
  });

  it('a reply arriving after the timeout is dropped as a late-reply dead letter and never delivered later', async () => {
    const system = createSystem({ seed: 1 });
    const server = system.spawn<Req>(slowServer(() => 300));
    const log: unknown[] = [];
    const asker = system.spawn<number>(async (self) => {
      try {
        await self.ask<number>(server, (replyTo) => ({ type: 'req', n: 7, replyTo }), { timeout: 100 });
      } catch (err) {
        log.push((err as Error).name);
      }
      // Wait well past the moment the late reply arrives (t = 300): it must not show up.
      log.push(await self.receive(undefined, { after: 1000 }));
    });
    await system.runUntilIdle();
    expect(log).toEqual(['AskTimeoutError', undefined]);
    expect(system.deadLetters).toEqual([expect.objectContaining({ to: asker.pid, msg: 70, cause: 'late-reply', t: 300 })]);
    const drops = system.trace!.of('drop');
    expect(drops).toEqual([expect.objectContaining({ to: asker.pid, cause: 'late-reply', msg: 70 })]);
    expect(system.trace!.of('deliver').filter((e) => e.id === drops[0]!.id)).toEqual([]);
  });

  it('a late reply to system.ask is also reported as a late reply, not as an ordinary dead letter', async () => {
    const system = createSystem({ seed: 1 });
    const server = system.spawn<Req>(slowServer(() => 300));
    const reply = system.ask<number, Req>(server, (replyTo) => ({ type: 'req', n: 7, replyTo }), { timeout: 100 });
    const caught = reply.catch((err: unknown) => err);
    await system.runUntilIdle();
    expect(await caught).toBeInstanceOf(AskTimeoutError);
    expect(system.deadLetters.map((d) => [d.msg, d.cause])).toEqual([[70, 'late-reply']]);
  });

  it('a second reply to the same request is dropped as a late reply', async () => {
    const system = createSystem({ seed: 1 });
    const twice = system.spawn<Req>(async (self) => {
      const req = await self.receive();
      self.send(req.replyTo, 1);
      self.send(req.replyTo, 2);
    });
    const log: unknown[] = [];
    system.spawn<number>(async (self) => {
      log.push(await self.ask<number>(twice, (replyTo) => ({ type: 'req', n: 0, replyTo })));
      log.push(await self.receive(undefined, { after: 100 }));
    });
    await system.runUntilIdle();
    expect(log).toEqual([1, undefined]);
    expect(system.deadLetters.map((d) => [d.msg, d.cause])).toEqual([[2, 'late-reply']]);
  });

  // Regression: the ask's DOWN once reached AskTargetExitedError as a whole DownMessage, and
  // formatReason() threw a TypeError out of system.runUntilIdle().
  it('a target that ends before replying rejects the ask with AskTargetExitedError carrying its reason', async () => {
    const system = createSystem({ seed: 1 });
    const doomed = system.spawn<Req>(
      async (self) => {
        await self.receive();
        throw new Error('no reply for you');
      },
      { name: 'doomed' },
    );
    let error: unknown;
    let at = -1;
    system.spawn(async (self) => {
      try {
        await self.ask<number>(doomed, (replyTo) => ({ type: 'req', n: 1, replyTo }), { timeout: 1000 });
      } catch (err) {
        error = err;
        at = self.now();
      }
    });
    await system.runUntilIdle();
    expect(error).toBeInstanceOf(AskTargetExitedError);
    const reason = (error as AskTargetExitedError).reason;
    expect(reason).toEqual({ error: expect.objectContaining({ name: 'Error', message: 'no reply for you' }) });
    expect((error as Error).message).toContain('no reply for you');
    expect(at).toBe(0); // at once, not after the 1000 ms timeout
  });

  it('a target that ends normally without replying rejects the ask with AskTargetExitedError(normal)', async () => {
    const system = createSystem({ seed: 1 });
    const quitter = system.spawn<Req>(async (self) => {
      await self.receive();
    });
    const reply = system.ask<number, Req>(quitter, (replyTo) => ({ type: 'req', n: 1, replyTo }), { timeout: 1000 });
    const caught = reply.catch((err: unknown) => err);
    await system.runUntilIdle();
    const err = await caught;
    expect(err).toBeInstanceOf(AskTargetExitedError);
    expect((err as AskTargetExitedError).reason).toBe('normal');
    expect(system.now()).toBe(0);
  });

  it('asking a process that is already gone rejects at once with AskTargetExitedError(noproc)', async () => {
    const system = createSystem({ seed: 1 });
    const gone = system.spawn(async () => {});
    await system.runUntilIdle();
    const reply = system.ask<number>(gone, (replyTo) => ({ replyTo }), { timeout: 1000 });
    const caught = reply.catch((err: unknown) => err);
    await system.runUntilIdle();
    const err = await caught;
    expect(err).toBeInstanceOf(AskTargetExitedError);
    expect((err as AskTargetExitedError).reason).toBe('noproc');
    expect(system.now()).toBe(0);
    expect(system.pendingTimers).toBe(0);
  });

  it('asking an unregistered name fails at once with NoSuchNameError', async () => {
    const system = createSystem({ seed: 1 });
    let error: unknown;
    system.spawn(async (self) => {
      try {
        await self.ask<number>('nobody', (replyTo) => ({ replyTo }));
      } catch (err) {
        error = err;
      }
    });
    await system.runUntilIdle();
    expect(error).toBeInstanceOf(NoSuchNameError);
    expect(system.now()).toBe(0);
  });
});
