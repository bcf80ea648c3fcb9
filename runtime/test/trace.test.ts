// The trace: every spawn, send, delivery, drop, exit, exit signal and timer event, in the order
// the scheduler made them happen; exportable as JSON and as a readable sequence chart.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createSystem, isElided, Trace, type Ref, type System } from '../index.ts';

/** A small program that exercises every kind of event. */
async function sample(): Promise<{ system: System; main: Ref; worker: Ref }> {
  const system = createSystem({ seed: 3 });
  const worker = system.spawn<{ type: 'job'; n: number }>(
    async (self) => {
      for (;;) {
        const m = await self.receive();
        if (m.n === 2) throw new Error('boom');
      }
    },
    { name: 'worker' },
  );
  const main = system.spawn<string>(async (self) => {
    self.register('main');
    self.link(worker);
    self.trapExit(true);
    self.send(worker, { type: 'job', n: 1 });
    const cancelled = self.setTimer(1000, 'never');
    self.cancelTimer(cancelled);
    self.setTimer(5, 'tick');
    await self.receive((m) => m === 'tick');
    self.send(worker, { type: 'job', n: 2 });
    await self.receive(); // the EXIT from worker
    await self.sleep(10);
    self.send(worker, { type: 'job', n: 3 }); // to a dead process
  });
  await system.runUntilIdle();
  return { system, main, worker };
}

/** The trace of a client asking an echo process `rounds` times, one request after the other. */
async function echoTrace(rounds: number, trace: NonNullable<Parameters<typeof createSystem>[0]>['trace']) {
  const system = createSystem({ seed: 4, trace });
  const echo = system.spawn<{ type: 'n'; n: number; replyTo: Ref<number> }>(
    async (self) => {
      for (;;) {
        const m = await self.receive();
        self.send(m.replyTo, m.n);
      }
    },
    { name: 'echo' },
  );
  system.spawn(
    async (self) => {
      for (let n = 0; n < rounds; n++) {
        self.send(echo, { type: 'n', n, replyTo: self.ref });
        await self.receive();
      }
    },
    { name: 'client' },
  );
  await system.runUntilIdle({ maxSteps: 1e7 });
  return system.trace!;
}

describe('trace events', () => {
  it('records spawn, send, deliver, exit, signal, drop and timer set/fire/cancel, with time and sequence', async () => {
    const { system, main, worker } = await sample();
    const trace = system.trace!;
    expect(trace.of('spawn')).toEqual([
      expect.objectContaining({ pid: worker.pid, parent: 0, name: 'worker', t: 0 }),
      expect.objectContaining({ pid: main.pid, parent: 0, t: 0 }),
    ]);
    const sends = trace.of('send').filter((e) => e.from === main.pid && e.to === worker.pid);
    expect(sends.map((e) => [e.msg, e.t])).toEqual([
      [{ type: 'job', n: 1 }, 0],
      [{ type: 'job', n: 2 }, 5],
      [{ type: 'job', n: 3 }, 15],
    ]);
    const delivered = new Set(trace.of('deliver').map((e) => e.id));
    expect(delivered.has(sends[0]!.id) && delivered.has(sends[1]!.id)).toBe(true);
    expect(trace.of('drop')).toEqual([expect.objectContaining({ id: sends[2]!.id, cause: 'dead', t: 15 })]);
    expect(trace.of('exit').map((e) => [e.pid, e.t])).toEqual([
      [worker.pid, 5],
      [main.pid, 15],
    ]);
    expect(trace.of('signal')).toEqual([expect.objectContaining({ from: worker.pid, to: main.pid, t: 5 })]);
    const timers = trace.of('timer').filter((e) => e.pid === main.pid);
    expect(timers.map((e) => [e.op, e.due])).toEqual([
      ['set', 1000],
      ['cancel', 1000],
      ['set', 5],
      ['fire', 5],
      ['set', 15],
      ['fire', 15],
    ]);
    // seq numbers the events in order; time never goes backwards
    const all = trace.all;
    expect(all.map((e) => e.seq)).toEqual([...all.keys()]);
    expect(all.every((e, i) => i === 0 || e.t >= all[i - 1]!.t)).toBe(true);
  });

  it('every delivery follows its send, and the message in the send event is the one delivered', async () => {
    const { system } = await sample();
    const trace = system.trace!;
    const sendSeq = new Map(trace.of('send').map((e) => [e.id, e]));
    for (const d of trace.of('deliver')) {
      const s = sendSeq.get(d.id);
      if (!s) continue; // EXIT messages come from exit signals, not sends
      expect(s.seq).toBeLessThan(d.seq);
      expect([s.from, s.to]).toEqual([d.from, d.to]);
    }
  });

  it('tracing can be turned off, and a limit keeps only the most recent events', async () => {
    const off = createSystem({ seed: 1, trace: false });
    expect(off.trace).toBeUndefined();
    const limited = createSystem({ seed: 1, trace: { limit: 5 } });
    const p = limited.spawn(async (self) => {
      for (;;) await self.receive();
    });
    for (let i = 0; i < 10; i++) limited.send(p, i);
    await limited.runUntilIdle();
    expect(limited.trace!.all).toHaveLength(5);
    expect(limited.trace!.truncated).toBe(limited.trace!.length - 5);
    expect(limited.trace!.all.at(-1)!.seq).toBe(limited.trace!.length - 1);
  });

  it('keeps the same events, in order, however many blocks of rows it spans or drops', async () => {
    // The trace stores rows in blocks; a limit that is not a multiple of a block, and runs that
    // cross many blocks, must show exactly the last `limit` events with consecutive seqs.
    const run = (limit?: number) => echoTrace(3000, limit === undefined ? true : { limit });
    const full = await run();
    const json = JSON.stringify(full.toJSON());
    expect(full.truncated).toBe(0);
    expect(full.all.map((e) => e.seq)).toEqual([...full.all.keys()]);
    for (const limit of [1, 4095, 4096, 5000]) {
      const cut = await run(limit);
      expect(cut.length).toBe(full.length);
      expect(cut.all).toHaveLength(limit);
      expect(cut.truncated).toBe(full.length - limit);
      expect(cut.all).toEqual(full.all.slice(-limit));
      expect(cut.of('send')).toEqual(full.of('send').filter((e) => e.seq >= full.length - limit));
    }
    expect(JSON.stringify((await run()).toJSON())).toBe(json);
  });

  it('keeps every number exactly, also those that are not 32-bit unsigned integers (fractional times, huge ids)', () => {
    const times = [0, 1.5, 2 ** 40, 7, -3];
    let i = 0;
    const trace = new Trace(() => times[i++ % times.length]!, { limit: 20 });
    for (let k = 0; k < 6; k++) {
      trace.sent(1, 2 ** 33, 2 ** 32 + k, { type: 'x' });
      trace.delivered(-1, 2, 0.25, 4_294_967_295);
      trace.received(3, Number.MAX_SAFE_INTEGER);
    }
    const all = trace.all;
    expect(all).toHaveLength(18);
    expect(all.map((e) => e.t)).toEqual([...Array(18).keys()].map((k) => times[k % times.length]));
    expect(all.filter((e) => e.kind === 'send').map((e) => [e.from, e.to, e.id])).toEqual([...Array(6).keys()].map((k) => [1, 2 ** 33, 2 ** 32 + k]));
    expect(all.filter((e) => e.kind === 'deliver').map((e) => [e.from, e.to, e.id, e.queued])).toEqual(Array(6).fill([-1, 2, 0.25, 4_294_967_295]));
    expect(all.filter((e) => e.kind === 'receive').map((e) => [e.pid, e.id])).toEqual(Array(6).fill([3, Number.MAX_SAFE_INTEGER]));
  });

  it('a trace that reuses the blocks of a trace gone before shows only what it recorded itself', async () => {
    // Blocks of rows go back to a spare list once their trace is collected (fresh memory is
    // slow on some machines). Every column of the old blocks is filled here, so a row that read
    // a number its own kind does not set would show the old trace's data.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const numsOf = (trace: Trace) => (trace as unknown as { blocks: readonly { nums: Uint32Array }[] }).blocks[0]!.nums;
    (() => {
      const gone = new Trace(() => 999_999, {});
      for (let i = 0; i < 3 * 4096; i++) gone.sent(111_111, 222_222, 333_333 + i, { type: `old-${i % 7}` });
    })();
    let trace: Trace | undefined;
    // Wait for the collector and its finalizers (a turn of the event loop each), until a new
    // trace gets a used block: numbers past its own first row.
    for (let tries = 0; tries < 200 && trace === undefined; tries++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 0));
      const probe = new Trace(() => 5, {});
      probe.received(1, 2);
      if (numsOf(probe).some((n, i) => i >= 5 && n !== 0)) trace = probe;
    }
    expect(trace, 'a block of a collected trace was reused').toBeDefined();
    trace!.record({ kind: 'spawn', pid: 3, parent: 0 });
    trace!.delivered(1, 3, 4, 0);
    trace!.record({ kind: 'fault', what: 'x' });
    expect(trace!.all).toEqual([
      { seq: 0, t: 5, kind: 'receive', pid: 1, id: 2 },
      { seq: 1, t: 5, kind: 'spawn', pid: 3, parent: 0 },
      { seq: 2, t: 5, kind: 'deliver', from: 1, to: 3, id: 4, queued: 0 },
      { seq: 3, t: 5, kind: 'fault', what: 'x' },
    ]);
  });

  it('keeps the messages of the most recent `detail` events in full, and the type of older ones', async () => {
    const run = (trace: { detail?: number }) => echoTrace(5_000, trace);
    const full = await run({ detail: Infinity });
    for (const detail of [0, 100, 5000, undefined]) {
      const cut = await run({ detail });
      const fullSends = full.of('send'),
        cutSends = cut.of('send');
      expect(cutSends.length).toBe(fullSends.length);
      const window = cut.length - (detail ?? 4096);
      const wrong = cutSends.filter((e, i) => {
        const f = fullSends[i]!;
        if (e.seq !== f.seq || e.t !== f.t || e.from !== f.from || e.to !== f.to || e.id !== f.id) return true;
        if (!isElided(e.msg)) return e.msg !== f.msg && JSON.stringify(e.msg) !== JSON.stringify(f.msg);
        return e.seq >= window || (e.msg as { type?: string }).type !== (f.msg as { type?: string }).type;
      });
      expect(wrong).toEqual([]);
      const elided = cutSends.filter((e) => isElided(e.msg)).length;
      if (detail !== undefined) expect(elided).toBeGreaterThan(0);
      // What a failure report shows (the last messages) is the same.
      expect(cut.toChart({ last: 40 })).toBe(full.toChart({ last: 40 }));
      expect(cut.all.filter((e) => e.kind !== 'send')).toEqual(full.all.filter((e) => e.kind !== 'send'));
    }
    // Older lines of the chart show the type and an ellipsis.
    expect((await run({ detail: 0 })).toChart().split('\n')[0]).toMatch(/client → echo\s+n {2}…$/);
  });
});

describe('trace export', () => {
  it('toChart is a readable sequence chart: who sent what to whom, crashes, dead letters', async () => {
    const { system, worker } = await sample();
    const chart = system.trace!.toChart();
    const lines = chart.split('\n');
    expect(lines[0]).toMatch(/^t=0\s+main → worker\s+job\s+\{n: 1\}$/);
    expect(chart).toMatch(/t=5\s+main → main\s+"tick"/);
    expect(chart).toMatch(/t=5\s+✝ worker exited: Error: boom/);
    expect(chart).toMatch(/t=15\s+✂ dead letter\s+main → worker job \{n: 3\}/);
    expect(chart).toMatch(/✝ main exited: normal/);
    expect(lines.every((l) => /^t=\d+/.test(l))).toBe(true);
    // options: the last n lines, or only the lines that involve some processes
    expect(system.trace!.toChart({ last: 2 }).split('\n')).toEqual(lines.slice(-2));
    const workerOnly = system.trace!.toChart({ pids: [worker.pid] });
    expect(workerOnly).not.toContain('"tick"');
    expect(workerOnly).not.toContain('main exited');
    expect(workerOnly.split('\n')).toHaveLength(lines.length - 2);
  });

  it('toChart shows a late reply being dropped', async () => {
    const system = createSystem({ seed: 1 });
    const slow = system.spawn<{ replyTo: Ref<string> }>(
      async (self) => {
        const m = await self.receive();
        await self.sleep(50);
        self.send(m.replyTo, 'too late');
      },
      { name: 'slow' },
    );
    system.spawn(
      async (self) => {
        await self.ask<string>(slow, (replyTo) => ({ replyTo }), { timeout: 10 }).catch(() => undefined);
        await self.sleep(100); // still alive when the reply comes
      },
      { name: 'client' },
    );
    await system.runUntilIdle();
    expect(system.trace!.toChart()).toMatch(/t=50\s+✂ late reply dropped\s+slow → client "too late"/);
  });

  it('toJSON round-trips through JSON.stringify / JSON.parse', async () => {
    const { system } = await sample();
    const json = system.trace!.toJSON();
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.names).toMatchObject({ 1: 'worker', 2: 'main' });
    expect(json.events).toHaveLength(system.trace!.all.length);
  });

  it('toJSON encodes what JSON cannot hold: bigint, binary data', async () => {
    const system = createSystem({ seed: 1 });
    const p = system.spawn(async (self) => {
      await self.receive();
    });
    system.send(p, { big: 2n ** 70n, bytes: new Uint8Array([1, 2, 3]), buf: new ArrayBuffer(8) });
    await system.runUntilIdle();
    const json = system.trace!.toJSON();
    const text = JSON.stringify(json); // would throw on a bigint
    const send = (JSON.parse(text) as { events: { kind: string; msg?: unknown }[] }).events.find((e) => e.kind === 'send');
    expect(send?.msg).toEqual({
      big: { $bigint: (2n ** 70n).toString() },
      bytes: { $bytes: 3, $view: 'Uint8Array' },
      buf: { $bytes: 8 },
    });
  });

  it('toJSON keeps NaN and Infinity in messages distinguishable from null after a JSON round trip', async () => {
    const system = createSystem({ seed: 1 });
    const p = system.spawn(async (self) => {
      await self.receive();
    });
    system.send(p, { avg: NaN, deadline: Infinity, floor: -Infinity, none: null });
    await system.runUntilIdle();
    const json = system.trace!.toJSON();
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
