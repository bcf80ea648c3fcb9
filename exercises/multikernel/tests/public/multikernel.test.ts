// Public tests for the multikernel exercise: run them with `npm test -- multikernel`.
import { exerciseTests, type PropertyContext } from '#harness';
import { protocol, type Committed } from '../../protocol.ts';
import { Cluster, describeOp, describeReply, frameText, mustUpdate, systemMessages, tracePosition, type ClientOp } from '../support.ts';

const t = exerciseTests(import.meta.url, protocol);

/** Sends one update and waits up to 1 s for its reply; fails unless it is `done`. */
const update = (ctx: PropertyContext, c: Cluster, op: Promise<ClientOp>): Promise<number> =>
  mustUpdate(ctx, c, op, 1000, ". An update is answered { type: 'done', id, seq } once every live replica has applied it");

t.property('multikernel.map-everywhere', 'an acknowledged map or unmap is served by every kernel', async (ctx: PropertyContext) => {
  const c = await Cluster.boot(ctx, { kernels: 3 });
  const steps: { what: () => Promise<ClientOp>; page: number; frame: number | null }[] = [
    { what: () => c.map(1, 5, 42), page: 5, frame: 42 },
    { what: () => c.map(0, 6, 7), page: 6, frame: 7 },
    { what: () => c.unmap(2, 5), page: 5, frame: null },
  ];
  let lastSeq = 0;
  for (const step of steps) {
    const op = await step.what();
    const seq = await update(ctx, c, Promise.resolve(op));
    ctx.check(
      seq > lastSeq,
      `${describeOp(op)} was acknowledged with seq ${seq}, after an earlier update had seq ${lastSeq}: the sequencer numbers updates 1, 2, 3, … in the order it agrees them`,
    );
    lastSeq = seq;
    const seen = await c.readAll([step.page]);
    for (const [k, pages] of seen) {
      const got = pages.get(step.page);
      ctx.check(
        got === step.frame,
        `after ${describeOp(op)} was acknowledged, a read of page ${step.page} at kernel ${k} answered ${frameText(got)}; expected ${frameText(step.frame)}. ` +
          'Every kernel has its own replica (module-level variables are not shared between kernels): each must have applied the update before the client hears done',
      );
    }
  }
});

t.property(
  'multikernel.lossy-network',
  'updates complete, once each, when the network drops, duplicates and reorders messages',
  async (ctx: PropertyContext) => {
    const c = await Cluster.boot(ctx, { kernels: 3, network: { drop: 0.25, duplicate: 0.2, reorder: true } });
    const ops: ClientOp[] = [];
    for (let i = 0; i < 6; i++) {
      const k = ctx.random.int(3),
        page = 1 + ctx.random.int(3);
      ops.push(ctx.random.int(3) === 0 ? await c.unmap(k, page) : await c.map(k, page, 100 + i));
      await c.advance(ctx.random.int(4));
    }
    const open = await c.await(ops, 3000);
    ctx.check(
      open.length === 0,
      () =>
        `${open.length} of 6 updates got no reply within 3 s with 25% of messages lost, e.g. ${describeOp(open[0]!)}. ` +
        `Resend what was not answered after retry ms (submit, prepare, commit): a lost message is only lost once`,
    );
    c.checkSingleReplies();
    for (const op of ops) ctx.check(op.reply?.type === 'done', `${describeOp(op)} was answered ${describeReply(op.reply)}; expected done`);
    const seqs = ops.map((o) => (o.reply as { seq: number }).seq);
    ctx.check(
      new Set(seqs).size === seqs.length,
      `two updates were acknowledged with the same seq (${seqs.join(', ')}): a duplicated submit must not be agreed twice`,
    );
    const idle = await c.idle();
    ctx.check(
      idle.idle && idle.pendingTimers === 0,
      `after every update was answered the system ${idle.idle ? `still had ${idle.pendingTimers} timers set` : 'kept running for 10 s'}: stop resending (cancel the timer) once an answer has come`,
    );
  },
);

t.property('multikernel.read-cost', 'a read is answered by the local replica, with no message to another kernel', async (ctx: PropertyContext) => {
  const c = await Cluster.boot(ctx, { kernels: 3 });
  for (let i = 0; i < 3; i++) await update(ctx, c, c.map(i, 10 + i, 20 + i));
  await c.idle();
  const mark = await tracePosition(c.s);
  const reads: ClientOp[] = [];
  for (let i = 0; i < 30; i++) reads.push(await c.read(ctx.random.int(3), 10 + ctx.random.int(4)));
  const open = await c.await(reads, 500);
  ctx.check(open.length === 0, () => `${open.length} of 30 reads got no reply within 500 ms, e.g. ${describeOp(open[0]!)}`);
  for (const r of reads) {
    const want = r.page === 13 ? null : 20 + (r.page - 10);
    const got = r.reply?.type === 'value' ? r.reply.frame : undefined;
    ctx.check(got === want, `${describeOp(r)} answered ${frameText(got)}; expected ${frameText(want)}`);
  }
  await c.idle();
  const trace = await c.s.trace();
  const msgs = systemMessages(trace, mark);
  ctx.check(
    msgs.length === 0,
    () =>
      `30 reads caused ${msgs.length} messages between your processes, e.g. ${trace.names[msgs[0]!.from] ?? msgs[0]!.from} → ${trace.names[msgs[0]!.to] ?? msgs[0]!.to} "${String(msgs[0]!.msg.type)}". ` +
      'A read is served from the local replica: that is why each kernel keeps one',
  );
});

t.property('multikernel.old-commit', 'a duplicate commit of an applied update is acknowledged and not applied again', async (ctx: PropertyContext) => {
  const c = await Cluster.boot(ctx, { kernels: 3 });
  const first = await update(ctx, c, c.map(1, 1, 10));
  await update(ctx, c, c.unmap(2, 1));
  await c.idle();
  for (const k of [1, 2]) {
    await c.s.send(c.monitors[k]!, { type: 'commit', seq: first, from: c.clients[k] }, { kernel: k });
    const ack = await c.s.receive<Committed>({ type: 'committed' }, { timeout: 200 });
    ctx.check(
      ack !== undefined,
      `kernel ${k} got a second commit of update ${first} (applied long ago) and sent no committed to its sender: acknowledge old messages (the sender may have missed your first answer), just do not apply them again`,
    );
    ctx.check(
      ack.seq === first && ack.kernel === k,
      `kernel ${k} answered the old commit of update ${first} with ${JSON.stringify(ack)}; expected { type: 'committed', seq: ${first}, kernel: ${k} }`,
    );
    const r = await c.read(k, 1);
    await c.await([r], 200);
    const got = r.reply?.type === 'value' ? r.reply.frame : undefined;
    ctx.check(
      got === null,
      `after a duplicate commit of update ${first} (map page 1 → frame 10) arrived at kernel ${k}, kernel ${k} serves page 1 as ${frameText(got)}; it was unmapped by update ${first + 1}: an update already applied must not be applied again`,
    );
  }
});
