// Processes and mailboxes: spawn, send, self; per-sender-receiver FIFO and no other ordering.
import { describe, expect, it } from 'vitest';
import { behavior, createSystem, stop, type Behavior, type Ref } from '../index.ts';
import { fate, seeds } from './helpers.ts';

describe('spawn, send, self', () => {
  it('nothing runs until the system is run', async () => {
    const system = createSystem({ seed: 1 });
    let started = false;
    const ref = system.spawn(async () => {
      started = true;
    });
    system.send(ref, 'hello');
    expect(started).toBe(false);
    expect(system.info(ref)?.mailbox).toBe(0);
    await system.runUntilIdle();
    expect(started).toBe(true);
  });

  it('spawn returns the ref the process sees as self.ref, and a message sent to it is received', async () => {
    const system = createSystem({ seed: 1 });
    let seenSelf: Ref | undefined;
    let got: unknown;
    const ref = system.spawn<{ type: 'hello'; n: number }>(
      async (self) => {
        seenSelf = self.ref;
        got = await self.receive();
      },
      { name: 'greeter' },
    );
    system.send(ref, { type: 'hello', n: 1 });
    await system.runUntilIdle();
    expect(seenSelf).toEqual(ref);
    expect(got).toEqual({ type: 'hello', n: 1 });
    expect(fate(system, ref)).toBe('normal');
  });

  it('a process can send to itself and to a ref it received in a message', async () => {
    const system = createSystem({ seed: 1 });
    type Ping = { type: 'ping'; replyTo: Ref<string> };
    const log: string[] = [];
    const echo = system.spawn<Ping>(async (self) => {
      const m = await self.receive();
      self.send(m.replyTo, 'pong');
    });
    system.spawn<string>(async (self) => {
      self.send(self.ref, 'to-myself');
      log.push(await self.receive());
      self.send(echo, { type: 'ping', replyTo: self.ref });
      log.push(await self.receive());
    });
    await system.runUntilIdle();
    expect(log).toEqual(['to-myself', 'pong']);
  });

  it('a child spawned with self.spawn runs concurrently and can message its parent', async () => {
    const system = createSystem({ seed: 5 });
    let got: unknown;
    system.spawn<string>(async (self) => {
      const parent = self.ref;
      self.spawn<never>(async (child) => child.send(parent, 'from child'));
      got = await self.receive();
    });
    await system.runUntilIdle();
    expect(got).toBe('from child');
  });
});

describe('ordering', () => {
  it('messages from one sender to one receiver arrive in send order (per-pair FIFO), whatever the seed', async () => {
    for (const seed of seeds(20)) {
      const system = createSystem({ seed });
      const got: (number | string)[] = [];
      const receiver = system.spawn<number | string>(async (self) => {
        for (let i = 0; i < 60; i++) got.push(await self.receive());
      });
      system.spawn(async (self) => {
        for (let i = 0; i < 30; i++) self.send(receiver, i);
      });
      // Noise: another sender to the same receiver does not disturb the pair's order.
      system.spawn(async (self) => {
        for (let i = 0; i < 30; i++) self.send(receiver, `noise${i}`);
      });
      await system.runUntilIdle();
      expect(
        got.filter((m) => typeof m === 'number'),
        `seed ${seed}`,
      ).toEqual([...Array(30).keys()]);
    }
  });

  it('real time keeps per-pair FIFO when a message is handed straight to a process waiting in receive', async () => {
    // Real time hands a message to a loop already waiting in receive at once, when nothing
    // from its sender is still queued; a selective receive leaves the others in order.
    const system = createSystem({ mode: 'realtime' });
    const got: string[] = [];
    const receiver = system.spawn<{ from: string; i: number }>(async (self) => {
      for (let i = 0; i < 200; i++) {
        const m = await self.receive();
        got.push(`${m.from}${m.i}`);
        if (i === 100) {
          // a selective receive that skips b's messages; they wait in order
          const a = await self.receive({ from: 'a' });
          got.push(`${a.from}${a.i}`);
          i++;
        }
      }
    });
    for (const from of ['a', 'b']) {
      system.spawn(async (self) => {
        for (let i = 0; i < 100; i++) {
          self.send(receiver, { from, i });
          if (i % 7 === 0) await self.sleep(0);
        }
      });
    }
    await system.runUntilIdle();
    expect(got).toHaveLength(200);
    for (const from of ['a', 'b']) expect(got.filter((m) => m[0] === from)).toEqual([...Array(100).keys()].map((i) => `${from}${i}`));
  });

  it("a flood keeps its order: numbers, odd values and exit signals of one sender, past the channel's first ring", async () => {
    // A channel keeps a plain message as two slots (its id, then the message) and an exit
    // signal as one envelope; 40,000 of them chain several rings, and a number sent as a
    // message must never be read as an id.
    for (const mode of ['deterministic', 'realtime'] as const) {
      const system = createSystem({ mode, seed: 3 });
      const sent: unknown[] = [];
      const got: unknown[] = [];
      const receiver = system.spawn(async (self) => {
        self.trapExit(true);
        await self.receive((m: unknown) => typeof m === 'object' && m !== null && 'go' in m);
        for (let i = 0; i < 40_000; i++) {
          const m = (await self.receive()) as { type?: string; reason?: unknown } | null;
          got.push(typeof m === 'object' && m?.type === 'EXIT' ? `exit ${String(m.reason)}` : m);
        }
      });
      system.spawn(async (self) => {
        const odd = [0, -1, Number.NaN, 2 ** 40, null, true, 'text', { n: 1 }];
        for (let i = 0; i < 40_000; i++) {
          if (i % 997 === 5) {
            self.exit(receiver, `signal ${i}`);
            sent.push(`exit signal ${i}`);
          } else {
            const m = i % 3 === 0 ? odd[i % odd.length] : i;
            self.send(receiver, m);
            sent.push(m);
          }
        }
        self.send(receiver, { go: true }); // a selective receive: everything above waits in the channel, then in the mailbox
      });
      await system.runUntilIdle(mode === 'deterministic' ? { maxSteps: 1_000_000 } : undefined);
      expect(got.length, mode).toBe(40_000);
      expect(got, mode).toEqual(sent);
    }
  });

  it('messages of two senders interleave differently under different seeds (no order across senders)', async () => {
    const orders = new Set<string>();
    for (const seed of seeds(30)) {
      const system = createSystem({ seed });
      const got: string[] = [];
      const receiver = system.spawn<string>(async (self) => {
        for (let i = 0; i < 10; i++) got.push(await self.receive());
      });
      for (const who of ['a', 'b']) {
        system.spawn(async (self) => {
          for (let i = 0; i < 5; i++) self.send(receiver, `${who}${i}`);
        });
      }
      await system.runUntilIdle();
      // Each sender's own messages stay in order...
      expect(
        got.filter((m) => m.startsWith('a')),
        `seed ${seed}`,
      ).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
      expect(
        got.filter((m) => m.startsWith('b')),
        `seed ${seed}`,
      ).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
      orders.add(got.join(','));
    }
    // ...but how the two streams interleave is up to the scheduler.
    expect(orders.size).toBeGreaterThan(1);
  });

  it('there is no causal order: a message relayed through a third process can overtake a direct one', async () => {
    const firsts = new Set<string>();
    for (const seed of seeds(40)) {
      const system = createSystem({ seed });
      let first: string | undefined;
      const c = system.spawn<string>(async (self) => {
        first = await self.receive();
        await self.receive();
      });
      const b = system.spawn<string>(async (self) => self.send(c, await self.receive()));
      system.spawn(async (self) => {
        self.send(c, 'direct'); // sent first...
        self.send(b, 'relayed'); // ...then sent on a path through b
      });
      await system.runUntilIdle();
      firsts.add(first!);
    }
    expect(firsts).toEqual(new Set(['direct', 'relayed']));
  });
});

describe('long-running systems stay bounded', () => {
  it('an ended process leaves the process table; info still reports how the recent ones ended', async () => {
    const system = createSystem({ seed: 1 });
    const server = system.spawn(behavior<{ n: number }>(() => undefined));
    const first = system.spawn(async () => {});
    await system.runUntilIdle();
    expect(system.info(first)).toMatchObject({ alive: false, reason: 'normal' });
    let last: Ref | undefined;
    // 12,000 short-lived clients in waves of 100, each sending the server one message and ending.
    system.spawn(async (self) => {
      for (let wave = 0; wave < 120; wave++) {
        for (let i = 0; i < 100; i++) last = self.spawn(async (client) => client.send(server, { n: i }));
        await self.sleep(1);
      }
    });
    await system.runUntilIdle();
    expect(system.kernel.procs.size).toBe(1); // the server: nothing that ended
    expect(system.info(last!)).toMatchObject({ alive: false, reason: 'normal' });
    expect(system.info(first)).toBeUndefined(); // beyond the 10,000 most recent ends
    // The server's table of per-sender channels was swept as clients came and went: it is
    // bounded by how many talk to it at once, not by how many ever did.
    expect(system.kernel.local(server)!.inbound.size).toBeLessThan(500);
  });

  it('sweeping idle channels keeps per-sender order and the schedule: same seed, same trace', async () => {
    const run = async (seed: number) => {
      const system = createSystem({ seed, trace: true });
      const got: string[] = [];
      const sink = system.spawn<string>(async (self) => {
        for (;;) got.push(await self.receive());
      });
      // Many senders (past the sweep threshold) in overlapping waves, each sending two numbered
      // bursts: some channels are swept between a sender's bursts, some hold messages meanwhile.
      for (let s = 0; s < 150; s++) {
        system.spawn(async (self) => {
          await self.sleep(Math.floor(s / 10));
          for (let i = 0; i < 3; i++) self.send(sink, `${s}:${i}`);
          await self.sleep(s % 4);
          for (let i = 3; i < 5; i++) self.send(sink, `${s}:${i}`);
        });
      }
      await system.runUntilIdle();
      expect(system.kernel.local(sink)!.inbound.size).toBeLessThan(150); // idle channels were swept
      return { got, trace: system.trace!.toJSON() };
    };
    const a = await run(7);
    for (let s = 0; s < 150; s++) {
      expect(a.got.filter((m) => m.startsWith(`${s}:`))).toEqual([0, 1, 2, 3, 4].map((i) => `${s}:${i}`));
    }
    const b = await run(7);
    expect(b).toEqual(a);
  });
});

describe('behaviours', () => {
  type CounterMsg = { type: 'inc' } | { type: 'get'; replyTo: Ref<number> } | { type: 'stop' };
  const counter = (n: number): Behavior<CounterMsg> =>
    behavior((self, msg) => {
      switch (msg.type) {
        case 'inc':
          return counter(n + 1);
        case 'get':
          self.send(msg.replyTo, n);
          return undefined;
        case 'stop':
          return stop('shutdown');
      }
    });

  it('a behaviour handles one message at a time in arrival order, becomes its returned behaviour, and stop() ends it', async () => {
    const system = createSystem({ seed: 3 });
    const c = system.spawn(counter(0), { name: 'counter' });
    let count: number | undefined;
    system.spawn(async (self) => {
      for (let i = 0; i < 3; i++) self.send(c, { type: 'inc' });
      count = await self.ask<number>(c, (replyTo) => ({ type: 'get', replyTo }));
      self.send(c, { type: 'stop' });
    });
    await system.runUntilIdle();
    expect(count).toBe(3);
    expect(fate(system, c)).toBe('shutdown');
  });
});
