// Public tests for the pipeline exercise: run them with `npm test -- pipeline`.
// The test plays both ends: the source (it answers `demand` with items, then sends `end`)
// and the sink (it grants `demand` and collects what comes out).
import { exerciseTests, stillRunning, type PropertyContext } from '#harness';
import { protocol } from '../../protocol.ts';
import { checkItems, explainStop, PipelineDriver, type Workload } from './driver.ts';

const t = exerciseTests(import.meta.url, protocol);

/** The same small payloads every time: item i holds 3 to 6 bytes counting up from 16·i. */
function inputs(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => Uint8Array.from({ length: 3 + (i % 4) }, (_, j) => (i * 16 + j) & 255));
}

t.property('pipeline.one-stage', 'one xor stage: every item comes out transformed, in order, then end with the count', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  const w: Workload = { stages: [{ op: 'xor', key: 0x5a, delay: 1 }], window: 3, inputs: inputs(8) };
  const d = new PipelineDriver(ctx, s, w, { initial: 4, regrant: true, perItem: 0 });
  await d.start();
  const result = await d.pump(2000);
  if (result !== 'end') ctx.fail(await explainStop(d, result, 'end'));
  checkItems(ctx, w, d.received, true);
  ctx.check(d.end!.count === 8, `end said count ${d.end!.count}; expected 8 (the number of items before it)`);
});

t.property('pipeline.empty-stream', 'a stream with no items: end (count 0) goes straight through', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  const w: Workload = {
    stages: [
      { op: 'reverse', delay: 2 },
      { op: 'add', n: 1, delay: 1 },
    ],
    window: 2,
    inputs: [],
  };
  const d = new PipelineDriver(ctx, s, w, { initial: 2, regrant: true, perItem: 0 });
  await d.start(); // the source sends end at once: it has no items
  const result = await d.pump(2000);
  if (result !== 'end') ctx.fail(await explainStop(d, result, 'end'));
  ctx.check(d.end!.count === 0, `end said count ${d.end!.count}; expected 0`);
  await d.settle();
  const left = stillRunning(await s.trace());
  ctx.check(left.length === 0, `after passing end on, every stage should stop; still running: ${left.join(', ')}`);
});

t.property(
  'pipeline.credit-one-stage',
  'one stage sends the sink no more items than the sink granted, and holds at most `window` items',
  async (ctx: PropertyContext) => {
    const s = await ctx.open();
    const w: Workload = { stages: [{ op: 'add', n: 100, delay: 1 }], window: 3, inputs: inputs(10) };
    const d = new PipelineDriver(ctx, s, w, { initial: 2, regrant: false, perItem: 0 });
    await d.start();
    await d.pump(1000); // the sink granted 2 and grants nothing more: the stage must stop after 2
    if (d.received.length === 0) ctx.fail(await explainStop(d, 'quiet', 'its first 2 items'));
    ctx.check(d.overSink === undefined, () => `${d.overSink}: a stage may only send as many items as its downstream has granted it`);
    ctx.check(
      d.received.length === 2,
      `the sink granted 2 items of credit but received ${d.received.length}: a stage must send whenever it has both an item and credit`,
    );
    ctx.check(
      d.maxAhead <= w.window,
      `the stage had asked the source for ${d.maxAhead} items more than it had passed on, but its window is ${w.window}: grant one more item upstream only after passing one on`,
    );
    await d.grant(3);
    await d.pump(1000);
    ctx.check(d.overSink === undefined, () => `${d.overSink}: a stage may only send as many items as its downstream has granted it`);
    ctx.check((d.received.length as number) === 5, `after the sink granted 3 more (5 in all), it had received ${d.received.length} items; expected 5`);
    ctx.check(
      d.maxAhead <= w.window,
      `the stage had asked the source for ${d.maxAhead} items more than it had passed on, but its window is ${w.window}: grant one more item upstream only after passing one on`,
    );
    // The rest of the stream, one item of credit at a time: still never more than granted.
    d.sink = { initial: 0, regrant: true, perItem: 0 };
    await d.grant(1);
    await d.pump(2000);
    ctx.check(d.overSink === undefined, () => `${d.overSink}: a stage may only send as many items as its downstream has granted it`);
    ctx.check(
      d.maxAhead <= w.window,
      `the stage had asked the source for ${d.maxAhead} items more than it had passed on, but its window is ${w.window}: grant one more item upstream only after passing one on`,
    );
  },
);

t.property('pipeline.ownership-one-stage', 'one stage passes on the very buffer it received (transferred, not copied)', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  const w: Workload = { stages: [{ op: 'reverse', delay: 1 }], window: 2, inputs: inputs(5) };
  const d = new PipelineDriver(ctx, s, w, { initial: 5, regrant: true, perItem: 0 });
  await d.start();
  const result = await d.pump(2000);
  if (d.received.length === 0) ctx.fail(await explainStop(d, result, 'its items'));
  // The trace keeps every message as it was delivered. The buffer of each item the test sent
  // belongs to the stage once delivered; if the stage moved it on ({ transfer: [payload] }),
  // that buffer is now detached and the trace shows it with 0 bytes.
  const passedOn = new Set(d.received.map((r) => r.seq));
  const trace = await s.trace();
  for (const e of trace.events) {
    if (e.kind !== 'send' || e.from !== s.self.pid || e.to !== d.ends.input.pid) continue;
    const msg = e.msg as { type?: string; seq?: number; payload?: { $bytes?: number } };
    if (msg.type !== 'item' || !passedOn.has(msg.seq!)) continue;
    const bytes = msg.payload?.$bytes ?? -1;
    ctx.check(
      bytes === 0,
      `the stage received item ${msg.seq} (a ${w.inputs[msg.seq!]!.length}-byte buffer) and, after passing the item on, that buffer still held its ${bytes} bytes: ` +
        'the stage sent a copy or another buffer. Transform the bytes in place and send that same ArrayBuffer on with { transfer: [payload] }.',
    );
  }
});

t.property(
  'pipeline.poison-one-stage',
  'a stage whose transform throws reports failed (naming the item) downstream, cancel upstream, and stops',
  async (ctx: PropertyContext) => {
    const s = await ctx.open();
    const w: Workload = { stages: [{ op: 'poison-on', seq: 2, delay: 1 }], window: 2, inputs: inputs(5) };
    const d = new PipelineDriver(ctx, s, w, { initial: 5, regrant: true, perItem: 0 });
    await d.start();
    const result = await d.pump(2000);
    if (result !== 'failed') ctx.fail(await explainStop(d, result, 'failed'));
    ctx.check(
      d.failed!.seq === 2 && d.failed!.stage === 0,
      `the sink got failed with seq ${d.failed!.seq} and stage ${d.failed!.stage}; expected seq 2 (the poisoned item) and stage 0 (the stage that threw)`,
    );
    ctx.check(
      d.failed!.reason === 'item 2 is poisoned',
      `failed.reason was ${JSON.stringify(d.failed!.reason)}; expected the message of the error the transform threw, "item 2 is poisoned", unchanged`,
    );
    await d.settle();
    ctx.check(d.cancel !== undefined, 'the source never got cancel: the failing stage must tell its upstream to stop ({ type: "cancel", reason })');
    ctx.check(d.end === undefined, 'the sink got end after failed: after a failure the stream stops, no end follows');
    const left = stillRunning(await s.trace());
    ctx.check(left.length === 0, `after the failure, every stage should stop; still running: ${left.join(', ')}`);
  },
);
