// Smoke test of the benchmark itself (not a timed test): every workload runs once, at a tiny
// size, on every implementation, and its result is checked; the checks reject wrong results;
// the goals are judged from the numbers as the issue states them.
import { describe, expect, it } from 'vitest';
import { measure, median, runChecked, type Measurement } from '../lib/measure.ts';
import { CheckError, type Outcome, type Workload } from '../lib/types.ts';
import { goals, implementations, render, Results } from '../suites/runtime.ts';
import { counting, fanOut, pingPong, threadRing, workloads } from '../workloads/index.ts';

describe('every workload on every implementation, tiny size', () => {
  for (const workload of workloads) {
    for (const impl of implementations) {
      if (!impl.runners[workload.id]) continue;
      // Erlang's first run boots and compiles its peer: a generous backstop on a busy machine.
      it(`${workload.id} on ${impl.label}`, { timeout: impl.id === 'erlang' ? 120_000 : undefined }, async () => {
        const outcome = await runChecked(workload, impl, workload.tiny);
        expect(outcome.ms).toBeGreaterThan(0);
        expect(outcome.cpuMs).toBeGreaterThanOrEqual(0);
        if (impl.id.startsWith('runtime-det') && impl.id !== 'runtime-det-notrace') {
          expect(outcome.traceEvents).toBeGreaterThan(workload.messages(workload.tiny));
          expect(outcome.traceTruncated).toBe(0);
        }
      });
    }
  }

  it('the behaviour style runs all four workloads; the async-loop style ping-pong and thread ring', () => {
    const ids = (id: string) => Object.keys(implementations.find((i) => i.id === id)!.runners).sort();
    expect(ids('runtime-rt')).toEqual(['counting', 'fan-out', 'ping-pong', 'thread-ring']);
    expect(ids('runtime-det')).toEqual(ids('runtime-rt'));
    expect(ids('runtime-rt-async')).toEqual(['ping-pong', 'thread-ring']);
    for (const peer of ['nact', 'handwritten', 'handwritten-copy']) expect(ids(peer)).toEqual(ids('runtime-rt'));
    // Erlang/OTP joins them where `erl` is installed (bench/peers/erlang.ts), with all four.
    if (implementations.some((i) => i.id === 'erlang')) expect(ids('erlang')).toEqual(ids('runtime-rt'));
  });
});

describe('a wrong result cannot report a number', () => {
  const ok = (result: number, detail?: number): Outcome => ({ result, detail, ms: 1 });
  const rejects = <K extends Parameters<typeof runChecked>[0]['id']>(w: Workload<K>, o: Outcome) => expect(() => w.check(w.tiny, o)).toThrow(CheckError);

  it('ping-pong counts round trips', () => {
    expect(() => pingPong.check({ roundTrips: 50 }, ok(50))).not.toThrow();
    rejects(pingPong, ok(49));
    rejects(pingPong, ok(-1));
  });

  it('thread ring checks the hop count and which member holds the token', () => {
    expect(() => threadRing.check({ actors: 5, hops: 23 }, ok(23, 3))).not.toThrow();
    rejects(threadRing, ok(23, 2));
    rejects(threadRing, ok(22, 3));
  });

  it('counting checks the final count', () => {
    rejects(counting, ok(99));
  });

  it('fan-out checks the number of replies and their sum', () => {
    expect(() => fanOut.check({ workers: 7, rounds: 3 }, ok(21, 3 * 7 * 6))).not.toThrow();
    rejects(fanOut, ok(21, 3 * 7 * 6 - 2));
    rejects(fanOut, ok(20, 3 * 7 * 6));
  });

  it('measure() fails when a run is wrong', async () => {
    const broken = { ...implementations[0]!, runners: { 'ping-pong': async () => ok(1) } };
    await expect(measure(pingPong, broken, { runs: 3, targetMs: 1, fixedScale: 1 })).rejects.toThrow(CheckError);
  });
});

describe('measurement and goals', () => {
  it('takes the median of at least three checked runs', async () => {
    const impl = implementations.find((i) => i.id === 'handwritten')!;
    const small = { ...pingPong, size: pingPong.tiny };
    const m = await measure(small, impl, { runs: 1, targetMs: 1, fixedScale: 1 });
    expect(m.runsMs).toHaveLength(3);
    expect(m.medianMs).toBe(median(m.runsMs));
    expect(m.messages).toBe(2 * pingPong.tiny.roundTrips);
    expect(m.messagesPerSec).toBeCloseTo((m.messages / m.medianMs) * 1000);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('judges the goals from the rates as the issue states them', () => {
    const r = new Results();
    const add = (workload: 'ping-pong' | 'thread-ring', impl: string, unitsPerSec: number) =>
      r.measurements.push({ workload, impl, unitsPerSec } as Measurement);
    add('ping-pong', 'runtime-rt', 1_200_000);
    add('ping-pong', 'runtime-det', 300_000);
    add('ping-pong', 'nact', 100_000);
    add('ping-pong', 'handwritten', 5_000_000);
    add('thread-ring', 'runtime-rt', 2_000_000);
    add('thread-ring', 'runtime-det', 700_000);
    add('thread-ring', 'nact', 250_000);
    add('thread-ring', 'handwritten', 4_000_000);
    const verdict = (text: string) => goals(r).find((g) => g.goal.startsWith(text) && !g.info)?.pass;
    expect(verdict('ping-pong real-time ≥ 1.00M')).toBe(true);
    expect(verdict('ping-pong real-time ≥ 10× nact')).toBe(true);
    expect(verdict('ping-pong real-time ≥ 0.3× hand-written')).toBe(false);
    expect(verdict('ping-pong deterministic ≥ real-time')).toBe(false);
    expect(verdict('ping-pong deterministic+trace ≥ 1.00M round trips/s (Erlang')).toBe(false);
    expect(verdict('thread-ring real-time ≥ 2.50M')).toBe(false);
    expect(verdict('thread-ring real-time ≥ 10× nact')).toBe(false);
    expect(verdict('thread-ring real-time ≥ 0.3× hand-written')).toBe(true);
    expect(verdict('thread-ring deterministic ≥ real-time')).toBe(true);
    expect(verdict('thread-ring deterministic+trace ≥ 2.50M hops/s (Erlang')).toBe(false);
    expect(verdict('thread-ring default trace costs')).toBeUndefined(); // no trace: false row measured
    expect(verdict('thread-ring async receive loop ≥ 0.7× behaviour, real-time')).toBeUndefined();
    expect(verdict('counting deterministic ≥ real-time')).toBeUndefined();
    expect(goals(r).find((g) => g.goal.startsWith('ping-pong real-time ≥ 1.00M'))?.cpuPass).toBeUndefined();
  });

  it('judges against Erlang measured in the same run when it is installed, counting and fan-out at 0.3×', () => {
    const r = new Results();
    const add = (workload: 'ping-pong' | 'counting' | 'fan-out', impl: string, unitsPerSec: number) =>
      r.measurements.push({ workload, impl, unitsPerSec } as Measurement);
    const goal = (text: string) => goals(r).find((g) => g.goal.startsWith(text) && !g.info);
    add('counting', 'runtime-det', 1_000_000);
    add('fan-out', 'runtime-det', 1_000_000);
    expect(goal('counting deterministic+trace ≥ 0.3× Erlang')?.pass).toBeUndefined(); // nothing to judge against
    add('ping-pong', 'runtime-det', 900_000);
    add('ping-pong', 'erlang', 1_000_000);
    add('counting', 'erlang', 3_000_000);
    add('fan-out', 'erlang', 4_000_000);
    expect(goal('ping-pong deterministic+trace ≥ Erlang +S1 (measured here)')).toMatchObject({ pass: false, measured: '0.90×' });
    expect(goal('counting deterministic+trace ≥ 0.3× Erlang +S1 (measured here)')?.pass).toBe(true);
    expect(goal('fan-out deterministic+trace ≥ 0.3× Erlang +S1 (measured here)')?.pass).toBe(false);
  });

  it('judges the same goals on CPU-time rates', () => {
    const r = new Results();
    const add = (impl: string, unitsPerSec: number, messagesPerCpuSec: number) =>
      r.measurements.push({ workload: 'ping-pong', impl, unitsPerSec, messagesPerCpuSec, messages: 20, units: 10 } as Measurement);
    add('runtime-rt', 500_000, 3_000_000); // a busy machine: slow on the wall clock, fast per CPU second
    add('nact', 100_000, 200_000);
    const g = goals(r).find((x) => x.goal.startsWith('ping-pong real-time ≥ 1.00M'))!;
    expect([g.pass, g.cpuPass]).toEqual([false, true]);
    expect(g.cpuMeasured).toBe('1.50M round trips/s');
    const n = goals(r).find((x) => x.goal.startsWith('ping-pong real-time ≥ 10× nact'))!;
    expect([n.pass, n.cpuPass]).toEqual([false, true]);
  });

  it('renders one table row per measurement', () => {
    const r = new Results();
    r.measurements.push({
      workload: 'counting',
      impl: 'runtime-rt',
      label: 'runtime real-time',
      params: { messages: 10 },
      scale: 1,
      messages: 12,
      units: 12,
      unit: 'msgs',
      runsMs: [1, 2, 3],
      medianMs: 2,
      minMs: 1,
      spread: 1,
      messagesPerSec: 6000,
      unitsPerSec: 6000,
    });
    r.failures.push({ workload: 'counting', impl: 'nact', label: 'nact 7.6.2', error: 'boom' });
    const text = render(r);
    expect(text).toMatch(/counting\s+runtime real-time\s+12\s+2\.0 ms\s+100%\s+6\.0k\s+4\.0k–12\.0k\s+6\.0k msgs\/s/);
    expect(text).toMatch(/counting\s+nact 7\.6\.2\s+FAILED/);
  });
});
