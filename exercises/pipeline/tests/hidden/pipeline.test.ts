// Hidden tests for the pipeline exercise (never in the student pack).
import type { Random } from '#runtime/prng';
import { exerciseTests, messagesOf, stillRunning, type PropertyContext, type Session } from '#harness';
import { protocol, type Failed, type StageSpec } from '../../protocol.ts';
import { checkItems, describeStages, explainStop, PipelineDriver, randomInputs, sentEnd, type SinkPolicy, type Workload } from '../public/driver.ts';
import { creditViolation, failedAt, findChain, mailboxViolation, ownershipViolation, windowViolation, type Chain } from './trace-checks.ts';

const t = exerciseTests(import.meta.url, protocol);

// ---- workloads ------------------------------------------------------------------------------

function randomSpec(r: Random, maxDelay: number): StageSpec {
  const delay = r.int(maxDelay + 1);
  switch (r.int(3)) {
    case 0:
      return { op: 'xor', key: 1 + r.int(255), delay };
    case 1:
      return { op: 'add', n: 1 + r.int(255), delay };
    default:
      return { op: 'reverse', delay };
  }
}

function randomWorkload(r: Random, options: { minStages?: number; maxItems?: number } = {}): Workload {
  const min = options.minStages ?? 1;
  const n = min + r.int(8 - min + 1);
  return {
    stages: Array.from({ length: n }, () => randomSpec(r, 6)),
    window: 1 + r.int(5),
    inputs: randomInputs(r, 5 + r.int((options.maxItems ?? 30) - 4)),
  };
}

function randomSink(r: Random, w: Workload): SinkPolicy {
  return { initial: 1 + r.int(w.window + 2), regrant: true, perItem: r.int(3) === 0 ? 0 : r.int(12) };
}

/** Virtual ms a run may take: as if nothing overlapped, plus slack. */
function budget(w: Workload, sink: SinkPolicy): number {
  const perItem = w.stages.reduce((sum, s) => sum + s.delay, 0) + sink.perItem;
  return (w.inputs.length + 1) * (perItem + 1) + 1000;
}

/** Starts a pipeline and plays source and sink until end; fails with an explanation otherwise. */
async function runToEnd(ctx: PropertyContext, s: Session, w: Workload, sink: SinkPolicy): Promise<PipelineDriver> {
  const d = new PipelineDriver(ctx, s, w, sink);
  await d.start();
  const result = await d.pump(budget(w, sink));
  if (result !== 'end') ctx.fail(await explainStop(d, result, 'end'));
  return d;
}

/**
 * Starts a pipeline and plays source and sink until end (or failed, or quiet). The property
 * tests of credit, windows and ownership need only that items flowed: a stream that loses
 * items or never ends costs the order and end groups, not theirs.
 */
async function runFlow(ctx: PropertyContext, s: Session, w: Workload, sink: SinkPolicy, where: string): Promise<PipelineDriver> {
  const d = new PipelineDriver(ctx, s, w, sink);
  await d.start();
  const result = await d.pump(budget(w, sink));
  if (d.received.length === 0) ctx.fail(`${await explainStop(d, result, 'its items')} ${where}`);
  return d;
}

async function chainOf(ctx: PropertyContext, s: Session, d: PipelineDriver): Promise<{ chain: Chain; trace: Awaited<ReturnType<Session['trace']>> }> {
  const trace = await s.trace();
  if (trace.truncated > 0)
    ctx.fail(`the trace overflowed (${trace.truncated} events lost): the pipeline sent far more messages than ${d.w.inputs.length} items need`);
  const chain = findChain(trace, s.self.pid, d.ends.input.pid, d.ends.output.pid, d.w.stages);
  if (typeof chain === 'string') ctx.fail(`could not find the chain of ${d.w.stages.length} stages: ${chain} (stages: ${describeStages(d.w.stages)})`);
  return { chain, trace };
}

// ---- 1. output equals the sequential reference, in order -------------------------------------

t.property('pipeline.chains', 'chains of 1 to 8 stages at different speeds give the sequential result, in order', async (ctx: PropertyContext) => {
  for (let round = 0; round < 4; round++) {
    let w: Workload;
    let sink: SinkPolicy;
    if (round === 0) {
      // Fast stages in front of a slow one: the fast ones must hold items back, in order.
      w = {
        stages: [
          { op: 'xor', key: 0x33, delay: 1 },
          { op: 'add', n: 7, delay: 1 },
          { op: 'reverse', delay: 12 },
          { op: 'xor', key: 0xf0, delay: 2 },
        ],
        window: 4,
        inputs: randomInputs(ctx.random, 24),
      };
      sink = { initial: 2, regrant: true, perItem: 0 };
    } else {
      w = randomWorkload(ctx.random, { minStages: round === 1 ? 8 : 1 }); // round 1: the longest chain
      sink = randomSink(ctx.random, w);
    }
    const s = await ctx.open();
    const d = await runToEnd(ctx, s, w, sink);
    checkItems(ctx, w, d.received, true);
    ctx.check(d.end!.count === w.inputs.length, `end said count ${d.end!.count}; ${w.inputs.length} items went in`);
  }
});

t.property(
  'pipeline.two-pipelines',
  'two pipelines in one system, one waiting while the other runs, each give their own sequential result',
  async (ctx: PropertyContext) => {
    const s = await ctx.open();
    // A starts, fills up and waits for its sink's credit; B starts and runs to its end; then A
    // gets its credit and finishes. Neither may see the other's stages, window or items.
    const wa = randomWorkload(ctx.random, { minStages: 2, maxItems: 20 });
    let wb: Workload;
    do wb = randomWorkload(ctx.random, { minStages: 1, maxItems: 20 });
    while (wb.window === wa.window);
    const a = new PipelineDriver(ctx, s, wa, { initial: 0, regrant: false, perItem: 0 });
    await a.start();
    await a.pump(1000);
    const where = `(pipeline A: ${describeStages(wa.stages)}, window ${wa.window}; pipeline B: ${describeStages(wb.stages)}, window ${wb.window})`;
    const sinkB: SinkPolicy = { initial: 1 + ctx.random.int(3), regrant: true, perItem: ctx.random.int(4) };
    const b = new PipelineDriver(ctx, s, wb, sinkB);
    await b.start();
    const rb = await b.pump(budget(wb, sinkB));
    if (rb !== 'end') ctx.fail(`pipeline B, started while pipeline A waited for credit: ${await explainStop(b, rb, 'end')} ${where}`);
    checkItems(ctx, wb, b.received, true);
    a.sink = { initial: 0, regrant: true, perItem: 0 };
    await a.grant(wa.window);
    const ra = await a.pump(budget(wa, a.sink));
    if (ra !== 'end') {
      ctx.fail(
        `pipeline A was started first and waited for its sink's credit while pipeline B ran to its end in the same system; resumed, ${await explainStop(a, ra, 'end')} ${where}. ` +
          'Two pipelines share nothing but your module: if A alone works, look for state kept at module level',
      );
    }
    try {
      checkItems(ctx, wa, a.received, true);
    } catch (err) {
      if (err instanceof Error) err.message += `. This is pipeline A, which waited while pipeline B ran in the same system ${where}`;
      throw err;
    }
  },
);

// ---- 2. credit and bounded mailboxes -----------------------------------------------------------

t.property('pipeline.credit-respected', 'no stage ever sends more items than its downstream granted', async (ctx: PropertyContext) => {
  for (let round = 0; round < 3; round++) {
    const w = randomWorkload(ctx.random, { minStages: 2 });
    // A sink slower than the stages, so that credit (not speed) is what holds items back.
    const sink: SinkPolicy = { initial: 1 + ctx.random.int(3), regrant: true, perItem: 5 + ctx.random.int(15) };
    const s = await ctx.open();
    const d = await runFlow(ctx, s, w, sink, `(stages: ${describeStages(w.stages)}, window ${w.window})`);
    ctx.check(d.overSink === undefined, () => `${d.overSink}: a stage may send only as many items as its downstream has asked for`);
    const { chain, trace } = await chainOf(ctx, s, d);
    const bad = creditViolation(trace, chain);
    ctx.check(bad === undefined, () => `${bad} (stages: ${describeStages(w.stages)}, window ${w.window})`);
  }
});

t.property('pipeline.credit-adds', 'demands sent back to back add up: the sink gets as many items as all of them grant', async (ctx: PropertyContext) => {
  for (let round = 0; round < 2; round++) {
    const n = 1 + ctx.random.int(4);
    const stages = Array.from({ length: n }, () => ({ ...randomSpec(ctx.random, 0), delay: 1 + ctx.random.int(3) }));
    const w: Workload = { stages, window: 2 + ctx.random.int(3), inputs: randomInputs(ctx.random, 45) };
    const where = `(stages: ${describeStages(w.stages)}, window ${w.window})`;
    const s = await ctx.open();
    // The sink grants nothing on its own: it sends bursts of demands, back to back.
    const d = new PipelineDriver(ctx, s, w, { initial: 0, regrant: false, perItem: 0 });
    await d.start();
    for (let burst = 0; burst < 3; burst++) {
      const demands = Array.from({ length: 2 + ctx.random.int(3) }, () => 1 + ctx.random.int(3));
      const before = d.received.length;
      for (const k of demands) await d.grant(k);
      await d.pump(1000);
      ctx.check(d.overSink === undefined, () => `${d.overSink} ${where}`);
      const sum = demands.reduce((x, y) => x + y, 0);
      const got = d.received.length - before;
      ctx.check(
        got === sum,
        `the sink sent ${demands.length} demands back to back (${demands.map((k) => `n: ${k}`).join(', ')}: ${sum} items in all) ` +
          `and then received ${got} items${got < sum && got === demands[demands.length - 1] ? `, as many as the last demand alone` : ''}; expected ${sum}: credit adds up (two demands of 2 allow 4 items) ${where}`,
      );
    }
  }
});

t.property('pipeline.bounded', 'with a producer 10× faster than the consumer, no stage holds more than `window` items', async (ctx: PropertyContext) => {
  for (let round = 0; round < 2; round++) {
    const n = 2 + ctx.random.int(4);
    const stages: StageSpec[] = Array.from({ length: n }, (_, i) => ({ ...randomSpec(ctx.random, 0), delay: i === n - 1 ? 10 : 1 }));
    const w: Workload = { stages, window: 1 + ctx.random.int(4), inputs: randomInputs(ctx.random, 30) };
    const sink: SinkPolicy = { initial: 1, regrant: true, perItem: 10 };
    const s = await ctx.open();
    const where = `(stages: ${describeStages(w.stages)}, window ${w.window}, the sink takes 10 ms per item)`;
    const d = await runFlow(ctx, s, w, sink, where);
    const { chain, trace } = await chainOf(ctx, s, d);
    const box = mailboxViolation(trace, chain, w.window);
    ctx.check(box === undefined, () => `${box} ${where}`);
    const held = windowViolation(trace, chain, w.window);
    ctx.check(held === undefined, () => `${held} ${where}`);
  }
});

// ---- 3. ownership --------------------------------------------------------------------------------

t.property('pipeline.ownership', 'every stage moves the buffer it received on to the next (transfer, no copy, no reuse)', async (ctx: PropertyContext) => {
  for (let round = 0; round < 2; round++) {
    const w = randomWorkload(ctx.random, { minStages: 2, maxItems: 16 });
    const s = await ctx.open();
    const d = await runFlow(ctx, s, w, randomSink(ctx.random, w), `(stages: ${describeStages(w.stages)})`);
    const { chain, trace } = await chainOf(ctx, s, d);
    const bad = ownershipViolation(trace, chain, w.inputs);
    ctx.check(bad === undefined, () => `${bad} (stages: ${describeStages(w.stages)})`);
  }
});

// ---- 4. end of stream --------------------------------------------------------------------------

t.property(
  'pipeline.end-after-all',
  'end reaches the sink after every item, with the right count; nothing lost or duplicated',
  async (ctx: PropertyContext) => {
    for (let round = 0; round < 3; round++) {
      // A slow sink: when end arrives, the stages still hold items they have not passed on.
      const n = 1 + ctx.random.int(6);
      const w: Workload = {
        stages: Array.from({ length: n }, () => randomSpec(ctx.random, 2)),
        window: 2 + ctx.random.int(4),
        inputs: randomInputs(ctx.random, round === 2 ? 1 : 10 + ctx.random.int(16)),
      };
      const sink: SinkPolicy = { initial: 1, regrant: true, perItem: 15 + ctx.random.int(10) };
      const s = await ctx.open();
      const d = new PipelineDriver(ctx, s, w, sink);
      await d.start();
      const result = await d.pump(budget(w, sink));
      if (result !== 'end') ctx.fail(await explainStop(d, result, 'end'));
      const last = d.received[d.received.length - 1]?.seq;
      ctx.check(
        d.received.length >= w.inputs.length,
        `end (count ${d.end!.count}) reached the sink after only ${d.received.length} of ${w.inputs.length} items` +
          `${last === undefined ? '' : ` (the last was item ${last})`}: a stage must pass on every item it holds before passing end on (stages: ${describeStages(w.stages)}, window ${w.window})`,
      );
      // Every item once (in which order is the order group's business).
      const seen = new Map<number, number>();
      for (const r of d.received) seen.set(r.seq, (seen.get(r.seq) ?? 0) + 1);
      const twice = [...seen].filter(([, n]) => n > 1).map(([q]) => q);
      ctx.check(
        twice.length === 0,
        `item${twice.length === 1 ? '' : 's'} ${twice.slice(0, 5).join(', ')} reached the sink more than once before end: every item exactly once (stages: ${describeStages(w.stages)})`,
      );
      const lost = w.inputs.map((_, q) => q).filter((q) => !seen.has(q));
      ctx.check(
        lost.length === 0,
        `end reached the sink, but items ${lost.slice(0, 5).join(', ')} never did: nothing may be lost (stages: ${describeStages(w.stages)})`,
      );
      ctx.check(d.end!.count === w.inputs.length, `end said count ${d.end!.count}; ${w.inputs.length} items went in`);
      const report = await d.settle();
      ctx.check(
        d.late.length === 0,
        `after end the sink still got ${d.late.map((m) => (m.type === 'item' ? `item ${m.seq}` : m.type)).join(', ')}: end must be the last message of the stream`,
      );
      const left = stillRunning(await s.trace());
      ctx.check(left.length === 0, `after passing end on, every stage should stop; still running: ${left.join(', ')}`);
      ctx.check(report.pendingTimers === 0, `${report.pendingTimers} timers are still set after the stream ended`);
    }
  },
);

// ---- 5. failures --------------------------------------------------------------------------------

t.property(
  'pipeline.poison-chain',
  'a stage that throws: failed names the item, the source is cancelled, every stage stops, in time',
  async (ctx: PropertyContext) => {
    for (let round = 0; round < 3; round++) {
      const base = randomWorkload(ctx.random, { minStages: 2 });
      // Round 0 poisons a stage before the last, so that stages after it pass failed on.
      const at = round === 0 ? ctx.random.int(base.stages.length - 1) : ctx.random.int(base.stages.length);
      const poisoned = ctx.random.int(12);
      // Enough items that the source cannot have sent them all (and end) before the failure:
      // the stages up to the failing one hold at most window items each.
      const count = poisoned + (at + 1) * base.window + 1 + ctx.random.int(6);
      const stages = base.stages.map((spec, i): StageSpec => (i === at ? { op: 'poison-on', seq: poisoned, delay: spec.delay } : spec));
      const w: Workload = { ...base, stages, inputs: randomInputs(ctx.random, count) };
      const sink = randomSink(ctx.random, w);
      const limit = budget(w, sink);
      const where = `(stages: ${describeStages(stages)}, ${count} items)`;
      const s = await ctx.open();
      const d = new PipelineDriver(ctx, s, w, sink);
      await d.start();
      const result = await d.pump(limit);
      if (result !== 'failed') ctx.fail(`${await explainStop(d, result, 'failed')} ${where}`);
      const original = messagesOf(await s.trace(), 'failed').find((e) => e.from !== s.self.pid)?.msg as Failed | undefined;
      if (original && JSON.stringify(original) !== JSON.stringify(d.failed)) {
        ctx.fail(
          `the first failed sent was ${JSON.stringify(original)}, but the sink got ${JSON.stringify(d.failed)}: a stage that receives failed passes it on unchanged ${where}`,
        );
      }
      ctx.check(
        d.failed!.seq === poisoned && d.failed!.stage === at,
        `the sink got failed naming item ${d.failed!.seq} at stage ${d.failed!.stage}; expected item ${poisoned} at stage ${at} (the poison-on stage) ${where}`,
      );
      const want = `item ${poisoned} is poisoned`;
      ctx.check(
        d.failed!.reason === want,
        `failed.reason was ${JSON.stringify(d.failed!.reason)}; expected the message of the error the transform threw, ${JSON.stringify(want)}, unchanged ${where}`,
      );
      const report = await d.settle();
      const trace = await s.trace();
      const when = failedAt(trace, s.self.pid) ?? Infinity;
      ctx.check(when <= limit, `failed reached the sink at t=${when} ms; it should arrive within ${limit} ms ${where}`);
      // (Unless the first stage had already finished: passed end on and stopped.)
      ctx.check(
        d.cancel !== undefined || sentEnd(trace, d.ends.input.pid),
        `the source never got cancel: the failing stage tells its upstream to stop, and every stage before it passes cancel on ${where}`,
      );
      ctx.check(d.end === undefined, 'the sink got end after failed: after a failure the stream stops, no end follows');
      const left = stillRunning(trace);
      ctx.check(left.length === 0, `after the failure every stage should stop; still running: ${left.join(', ')} ${where}`);
      ctx.check(
        report.stoppedBy === 'idle' && report.pendingTimers === 0,
        `after the failure the system did not go idle (${report.stoppedBy}, ${report.pendingTimers} timers set) ${where}`,
      );
    }
  },
);

t.property('pipeline.cancel', 'a sink that cancels stops every stage, and the source hears of it', async (ctx: PropertyContext) => {
  for (let round = 0; round < 2; round++) {
    const base = randomWorkload(ctx.random, { minStages: 2 });
    const sink = randomSink(ctx.random, base);
    const stopAfter = 1 + ctx.random.int(5);
    // Enough items that the source cannot have sent them all (and end) before the cancel.
    const count = stopAfter + sink.initial + base.stages.length * base.window + 1 + ctx.random.int(6);
    const w: Workload = { ...base, inputs: randomInputs(ctx.random, count) };
    const where = `(stages: ${describeStages(w.stages)}, ${w.inputs.length} items)`;
    const s = await ctx.open();
    const d = new PipelineDriver(ctx, s, w, sink);
    await d.start();
    const result = await d.pump(budget(w, sink), stopAfter);
    if (result !== 'items') ctx.fail(`${await explainStop(d, result, `${stopAfter} items`)} ${where}`);
    await d.cancelFromSink('the sink has seen enough');
    const report = await d.settle();
    const trace = await s.trace();
    ctx.check(
      d.cancel !== undefined || sentEnd(trace, d.ends.input.pid),
      `the sink cancelled after ${stopAfter} items but the source never got cancel: every stage passes cancel upstream, then stops ${where}`,
    );
    const left = stillRunning(trace);
    ctx.check(left.length === 0, `after the sink cancelled, every stage should stop; still running: ${left.join(', ')} ${where}`);
    ctx.check(
      report.stoppedBy === 'idle' && report.pendingTimers === 0,
      `after the cancel the system did not go idle (${report.stoppedBy}, ${report.pendingTimers} timers set) ${where}`,
    );
  }
});

// ---- 6. no busy waiting ---------------------------------------------------------------------------

t.property('pipeline.idle', 'a pipeline waiting for credit or for items schedules nothing', async (ctx: PropertyContext) => {
  const w = randomWorkload(ctx.random, { minStages: 2, maxItems: 20 });
  const where = `(stages: ${describeStages(w.stages)}, window ${w.window})`;
  const s = await ctx.open();
  // The sink grants nothing: the stages fill up and must wait for demand without polling.
  const d = new PipelineDriver(ctx, s, w, { initial: 0, regrant: false, perItem: 0 });
  await d.start();
  await d.pump(1000);
  // Waiting only counts with work pending: items taken in that the sink has not asked for.
  if (d.sent === 0) ctx.fail(`${await explainStop(d, 'quiet', 'its items')} ${where}`);
  const stuck = await s.runUntilIdle({ maxTime: 60_000, maxSteps: 200_000 });
  ctx.check(
    stuck.stoppedBy === 'idle',
    `while waiting for the sink's credit, the pipeline never went idle: it was still doing work ${stuck.stoppedBy === 'max-time' ? '60 s (virtual time) later' : `after ${stuck.steps} steps`}, at t=${stuck.now} ms. ` +
      `Wait for demand in receive; do not poll with a timer or with receive(..., { after }) in a loop ${where}`,
  );
  ctx.check(
    stuck.pendingTimers === 0,
    `while waiting for the sink's credit, ${stuck.pendingTimers} timers were set: waiting for a message needs no timer ${where}`,
  );
  const quiet = await s.advance(10_000);
  ctx.check(quiet.steps === 0, `a pipeline waiting for credit did ${quiet.steps} steps of work in 10 s ${where}`);
  // Now let it run on: it was waiting, not stuck. Once the stream is over (or stuck), nothing
  // may keep running either.
  d.sink = { initial: 0, regrant: true, perItem: 0 };
  await d.grant(w.window);
  const result = await d.pump(budget(w, d.sink));
  if (d.received.length === 0 && result === 'quiet')
    ctx.fail(`after the sink granted ${w.window} items of credit: ${await explainStop(d, result, 'its items')} ${where}`);
  const over =
    result === 'end'
      ? 'after the stream ended'
      : `after the sink granted credit again (the stream then went quiet with ${d.received.length} of ${w.inputs.length} items through)`;
  const after = await d.settle();
  ctx.check(
    after.stoppedBy === 'idle' && after.pendingTimers === 0,
    `${over}, the system did not go idle (${after.stoppedBy}, ${after.pendingTimers} timers set) ${where}`,
  );
  const still = await s.advance(10_000);
  ctx.check(still.steps === 0, `${over}, the system did ${still.steps} steps of work in 10 s ${where}`);
});
