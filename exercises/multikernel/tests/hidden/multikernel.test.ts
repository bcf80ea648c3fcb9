// Hidden tests for the multikernel exercise (never in the student pack).
import { exerciseTests, type PropertyContext } from '#harness';
import { protocol, type Committed, type Prepared } from '../../protocol.ts';
import { checkTable, shrinkTable } from '../linearizability.ts';
import {
  Cluster,
  describeOp,
  describeReply,
  frameText,
  modelTable,
  mustUpdate,
  plural,
  sends,
  systemMessages,
  testPids,
  tracePosition,
  type ClientOp,
  type NetworkOptions,
  type Trace,
} from '../support.ts';
import { historyOf, type HistoryOp } from '../history.ts';

const t = exerciseTests(import.meta.url, protocol);

const LOSSY: NetworkOptions = { drop: 0.15, duplicate: 0.15, reorder: true };

/** A random update of `page` at a random live kernel: mostly maps, sometimes an unmap. */
function randomUpdate(ctx: PropertyContext, c: Cluster, page: number, frame: number): Promise<ClientOp> {
  const live = c.live;
  const k = live[ctx.random.int(live.length)]!;
  return ctx.random.int(3) === 0 ? c.unmap(k, page) : c.map(k, page, frame);
}

/** Every live replica holds exactly the model's table on `pages`. */
async function checkReplicas(
  ctx: PropertyContext,
  c: Cluster,
  pages: number[],
  model: Map<number, number>,
  why: string,
  hint?: (kernel: number) => Promise<string>,
): Promise<void> {
  const seen = await c.readAll(pages, 2000, hint);
  for (const [k, table] of seen) {
    for (const p of pages) {
      const got = table.get(p),
        want = model.get(p) ?? null;
      if (got !== want) {
        ctx.fail(
          `${why}, kernel ${k} serves page ${p} as ${frameText(got)}; the acknowledged updates, in seq order, leave it ${frameText(want)}. ` +
            `Replicas must apply the same updates in the same order${hint ? await hint(k) : ''}`,
        );
      }
    }
  }
}

/**
 * Kernels the sequencer (kernel 0's monitor) sent no prepare or commit after the heal at
 * `since`, while it sent them to others, although they never crashed: it stopped waiting
 * for them. In words; empty when it kept sending to every kernel.
 */
async function cutOff(c: Cluster, since: number, kernels: readonly number[]): Promise<string> {
  const trace = await c.s.trace();
  const seq = c.monitors[0]!.pid;
  const phases = sends(trace).filter((e) => e.from === seq && (e.msg?.type === 'prepare' || e.msg?.type === 'commit'));
  const last = (k: number) => phases.filter((e) => e.to === c.monitors[k]!.pid).at(-1);
  const silent = kernels.filter((k) => k !== 0 && !c.crashed.has(k) && (last(k)?.t ?? -1) < since);
  const after = phases.filter((e) => e.t >= since);
  if (silent.length === 0 || after.length === 0) return '';
  return (
    `. After the heal (t=${since}) the sequencer sent prepare and commit (${after.length} of them) but none to kernel${silent.length === 1 ? '' : 's'} ${silent.join(', ')}` +
    ` (the last at t=${silent.map((k) => last(k)?.t ?? 'never').join(', ')}): it stopped waiting for ${silent.length === 1 ? 'a replica' : 'replicas'} it could not reach. ` +
    'A partitioned replica has not crashed (no DOWN came): it is still live; keep resending to it until it answers'
  );
}

/** Seq numbers acknowledged to clients must be distinct. */
function checkDistinctSeqs(ctx: PropertyContext, ops: readonly ClientOp[]): void {
  const bySeq = new Map<number, ClientOp>();
  for (const o of ops) {
    if (o.reply?.type !== 'done') continue;
    const seq = o.reply.seq;
    const other = bySeq.get(seq);
    ctx.check(
      other === undefined,
      () => `${describeOp(other!)} and ${describeOp(o)} were both acknowledged as update seq ${seq}: each seq is one update of the agreed sequence`,
    );
    bySeq.set(seq, o);
  }
}

/** From the trace: each replica reports updates applied in order 1, 2, 3, … with no gap (re-acknowledging old ones is fine). */
function checkAppliedInOrder(ctx: PropertyContext, trace: Trace): void {
  const last = new Map<number, number>();
  for (const e of sends(trace)) {
    if (e.msg?.type !== 'committed') continue;
    const k = e.msg.kernel as number,
      seq = e.msg.seq as number;
    const before = last.get(k) ?? 0;
    if (seq <= before) continue;
    ctx.check(
      seq === before + 1,
      `kernel ${k} reported update ${seq} applied (committed) right after update ${before}: replicas apply updates strictly in seq order, with no gap`,
    );
    last.set(k, seq);
  }
}

// ---- Safety ------------------------------------------------------------------------------

t.property(
  'multikernel.unmap-shootdown',
  'right after an update is acknowledged, no kernel serves the old mapping (under network faults)',
  async (ctx: PropertyContext) => {
    const c = await Cluster.boot(ctx, { kernels: 4, network: LOSSY });
    const current = new Map<number, number | null>();
    let frame = 100;
    for (let round = 0; round < 6; round++) {
      const pages = [1 + ctx.random.int(3), 4 + ctx.random.int(3)];
      const updates: ClientOp[] = [];
      for (const p of pages) {
        // Unmap what is mapped, so that the old mapping is there to be shot down.
        const k = ctx.random.int(4);
        updates.push(current.get(p) != null && ctx.random.int(3) > 0 ? await c.unmap(k, p) : await c.map(k, p, frame++));
      }
      const reads: { after: ClientOp; read: ClientOp }[] = [];
      const pending = updates.slice();
      while (pending.length > 0) {
        if (!pending.some((u) => u.reply !== undefined)) {
          const replied = await c.awaitAny(pending, 3000);
          ctx.check(replied, () => `${describeOp(pending[0]!)} got no reply within 3 s`);
        }
        // Read the page at every kernel as soon as its update is acknowledged.
        for (const u of pending.filter((x) => x.reply !== undefined)) {
          pending.splice(pending.indexOf(u), 1);
          ctx.check(u.reply!.type === 'done', `${describeOp(u)} was answered ${describeReply(u.reply)}; expected done`);
          current.set(u.page, u.kind === 'map' ? u.frame! : null);
          for (let k = 0; k < 4; k++) reads.push({ after: u, read: await c.read(k, u.page) });
        }
      }
      const open = await c.await(
        reads.map((r) => r.read),
        2000,
      );
      ctx.check(open.length === 0, () => `${describeOp(open[0]!)} got no reply within 2 s (no update of that page was in progress)`);
      for (const { after, read } of reads) {
        const got = read.reply?.type === 'value' ? read.reply.frame : undefined;
        const want = after.kind === 'map' ? after.frame! : null;
        ctx.check(
          got === want,
          `${describeOp(after)} was acknowledged (${describeReply(after.reply)}), but ${describeOp(read)}, sent right after, answered ${frameText(got)}; expected ${frameText(want)}. ` +
            'Once an update is acknowledged no kernel may serve the old mapping (the TLB-shootdown argument): answer done only when every live replica has applied it',
        );
      }
    }
  },
);

t.property(
  'multikernel.two-tables',
  'two tables in one system, a monitor of each on every kernel, keep their mappings and their sequences apart',
  async (ctx: PropertyContext) => {
    const a = await Cluster.boot(ctx, { kernels: 3 });
    const b = await Cluster.boot(ctx, { kernels: 3, session: a.s, firstId: 100_000 });
    const opsA: ClientOp[] = [],
      opsB: ClientOp[] = [];
    for (let i = 0; i < 10; i++) {
      // The same pages in both tables, different frames: A maps to 100+, B to 200+.
      const page = 1 + ctx.random.int(3);
      if (i % 2 === ctx.random.int(2)) opsA.push(await randomUpdate(ctx, a, page, 100 + i));
      else opsB.push(await randomUpdate(ctx, b, page, 200 + i));
      await a.advance(ctx.random.int(8));
    }
    if (opsA.length === 0) opsA.push(await a.map(1, 1, 150));
    if (opsB.length === 0) opsB.push(await b.map(2, 1, 250));
    const what = `with two tables A and B in one system (a monitor of each on every kernel; ${opsA.length} updates to A, ${opsB.length} to B, on the same pages)`;
    for (const [c, ops, name] of [
      [a, opsA, 'A'],
      [b, opsB, 'B'],
    ] as const) {
      const open = await c.await(ops, 3000);
      ctx.check(open.length === 0, () => `${what}, ${describeOp(open[0]!)} in table ${name} got no reply within 3 s`);
      for (const o of ops)
        ctx.check(o.reply?.type === 'done', `${what}, ${describeOp(o)} in table ${name} was answered ${describeReply(o.reply)}; expected done`);
      const seqs = ops.map((o) => (o.reply as { seq: number }).seq).sort((x, y) => x - y);
      ctx.check(
        seqs.join() === ops.map((_, i) => i + 1).join(),
        `${what}, table ${name}'s updates were numbered ${seqs.join(', ')}; expected 1 to ${ops.length}: each table's sequencer numbers its own updates` +
          (seqs.some((q) => q > ops.length)
            ? " (these numbers count the other table's updates too: state shared between the two monitors of a kernel, such as a module-level variable)"
            : ''),
      );
    }
    for (const [c, ops, name] of [
      [a, opsA, 'A'],
      [b, opsB, 'B'],
    ] as const) {
      await checkReplicas(ctx, c, [1, 2, 3], modelTable(ops), `${what}, in table ${name}`);
    }
  },
);

t.property(
  'multikernel.agreement',
  'replicas end with the same table: the acknowledged updates in seq order, each applied in order',
  async (ctx: PropertyContext) => {
    const c = await Cluster.boot(ctx, { kernels: 4, network: LOSSY });
    const ops: ClientOp[] = [];
    for (let burst = 0; burst < 6; burst++) {
      for (let i = 0, n = 2 + ctx.random.int(4); i < n; i++) ops.push(await randomUpdate(ctx, c, 1 + ctx.random.int(5), 200 + ops.length));
      await c.advance(ctx.random.int(30));
    }
    const open = await c.await(ops, 5000);
    ctx.check(open.length === 0, () => `${open.length} of ${plural(ops.length, 'update')} got no reply within 5 s, e.g. ${describeOp(open[0]!)}`);
    c.checkSingleReplies();
    checkDistinctSeqs(ctx, ops);
    await c.idle();
    checkAppliedInOrder(ctx, await c.s.trace());
    await checkReplicas(ctx, c, [1, 2, 3, 4, 5], modelTable(ops), `after ${ops.length} concurrent updates`);
  },
);

t.property('multikernel.ack-after-apply', 'done is sent only after every live replica has reported the update applied', async (ctx: PropertyContext) => {
  const c = await Cluster.boot(ctx, { kernels: 4, network: { duplicate: 0.1, reorder: true, latency: { min: 1, max: 15 } } });
  const ops: ClientOp[] = [];
  for (let i = 0; i < 10; i++) {
    ops.push(await randomUpdate(ctx, c, 1 + ctx.random.int(4), 300 + i));
    await c.advance(ctx.random.int(20));
  }
  const open = await c.await(ops, 5000);
  ctx.check(open.length === 0, () => `${describeOp(open[0]!)} got no reply within 5 s`);
  await c.idle();
  const trace = await c.s.trace();
  const tests = testPids(trace);
  const applied = new Map<number, number>(); // kernel → highest seq reported committed so far
  const sequencerKernel = 0;
  for (const e of sends(trace)) {
    if (e.msg?.type === 'committed') {
      const k = e.msg.kernel as number;
      applied.set(k, Math.max(applied.get(k) ?? 0, e.msg.seq as number));
    } else if (e.msg?.type === 'done' && tests.has(e.to)) {
      const seq = e.msg.seq as number;
      const op = c.ops.get(e.msg.id as number);
      for (let k = 0; k < 4; k++) {
        if (k === sequencerKernel) continue;
        const upTo = applied.get(k) ?? 0;
        ctx.check(
          upTo >= seq,
          `${op ? describeOp(op) : `update [id ${String(e.msg.id)}]`} was answered done (seq ${seq}) at t=${e.t}, when kernel ${k} had reported only updates up to ${upTo} applied (committed): ` +
            'wait for committed from every live replica before telling the client',
        );
      }
    }
  }
});

// ---- Linearizability -------------------------------------------------------------------

/**
 * A steady stream of reads at every kernel, every ms or two, while `updates` updates of two
 * pages are issued every `gap` ms; the reads go on until every update is answered (or
 * `maxTime` passes).
 */
async function readHeavyWorkload(
  ctx: PropertyContext,
  c: Cluster,
  options: { updates: number; gap: { min: number; max: number }; maxTime: number; everyKernel: boolean },
): Promise<ClientOp[]> {
  const ops: ClientOp[] = [];
  const updates: ClientOp[] = [];
  const start = c.now;
  let nextUpdate = start;
  for (let i = 0; c.now - start < options.maxTime; i++) {
    if (updates.length < options.updates && c.now >= nextUpdate) {
      const u = await randomUpdate(ctx, c, 1 + ctx.random.int(2), 500 + updates.length);
      updates.push(u);
      ops.push(u);
      nextUpdate = c.now + options.gap.min + ctx.random.int(options.gap.max - options.gap.min + 1);
    } else if (updates.length === options.updates && updates.every((u) => u.reply !== undefined)) {
      break;
    }
    // everyKernel: every kernel is read at every step, so that while an update is between its
    // first and its last replica each kernel's view is sampled every ms or two (a one-phase
    // protocol is caught on every seed). Otherwise one kernel per step, in turn.
    const live = c.live;
    if (options.everyKernel) for (const k of live) ops.push(await c.read(k, 1 + ((i + k) % 2)));
    else ops.push(await c.read(live[i % live.length]!, 1 + ctx.random.int(2)));
    await c.advance(1 + ctx.random.int(2));
  }
  return ops;
}

t.property(
  'multikernel.pending-read',
  'a read of a page whose update is prepared but not committed waits for the commit, then answers the new frame',
  async (ctx: PropertyContext) => {
    const c = await Cluster.boot(ctx, { kernels: 3, network: { reorder: true } });
    await mustUpdate(ctx, c, c.map(ctx.random.int(3), 1, 10));
    const s2 = await mustUpdate(ctx, c, c.map(ctx.random.int(3), 2, 20));
    await c.idle();
    // The test plays the sequencer for the next update at kernels 1 and 2, one after the other.
    for (const k of [1, 2]) {
      const from = c.clients[k]!,
        seq = s2 + 1,
        frame = 50 + k;
      await c.s.send(c.monitors[k]!, { type: 'prepare', seq, update: { op: 'map', page: 1, frame }, from }, { kernel: k });
      const ack = await c.s.receive<Prepared>({ type: 'prepared' }, { timeout: 200 });
      ctx.check(
        ack !== undefined && ack.seq === seq,
        `kernel ${k} has applied updates up to ${s2} and got a prepare of update ${seq} (the next one: map page 1 → frame ${frame}); it answered ${ack ? JSON.stringify(ack) : 'nothing'}; expected { type: 'prepared', seq: ${seq}, kernel: ${k} }`,
      );
      const blocked = await c.read(k, 1),
        other = await c.read(k, 2);
      await c.await([other], 200);
      ctx.check(
        other.reply !== undefined,
        `while update ${seq} of page 1 was prepared at kernel ${k}, a read of page 2 there got no reply within 200 ms: only reads of the page being updated wait`,
      );
      await c.advance(100 + ctx.random.int(100));
      ctx.check(
        blocked.reply === undefined,
        () =>
          `while update ${seq} (map page 1 → frame ${frame}) was prepared but not committed at kernel ${k}, a read of page 1 there answered ${describeReply(blocked.reply)} at t=${blocked.repliedAt}: ` +
          'it must wait until the commit. Otherwise one kernel can serve the new frame while another, asked later, still serves the old one: no single order explains that',
      );
      await c.s.send(c.monitors[k]!, { type: 'commit', seq, from }, { kernel: k });
      await c.await([blocked], 200);
      const reply = blocked.reply as ClientOp['reply']; // (the check above narrowed it; the commit changed it)
      const got = reply?.type === 'value' ? reply.frame : undefined;
      ctx.check(
        got === frame,
        `kernel ${k} got the commit of update ${seq} (map page 1 → frame ${frame}); the read of page 1 that waited then answered ${reply ? describeReply(reply) : 'nothing within 200 ms'}; expected frame ${frame}`,
      );
    }
  },
);

async function checkLinearizable(ctx: PropertyContext, c: Cluster, ops: ClientOp[]): Promise<void> {
  const open = await c.await(ops, 5000);
  ctx.check(open.length === 0, () => `${open.length} of ${plural(ops.length, 'request')} got no reply within 5 s, e.g. ${describeOp(open[0]!)}`);
  c.checkSingleReplies();
  const history = historyOf(await c.s.trace(), ops);
  const result = checkTable(history);
  if (result.ok === true) return;
  // Explain with the few operations that already cannot be ordered on their own. (A page
  // too tangled to search in full counts as failing only if a part of it is proven to fail.)
  const core = shrinkTable(result.operations) as HistoryOp[];
  if (result.ok === 'unknown' && checkTable(core).ok !== false) return;
  const line = (h: HistoryOp) => {
    const span = h.retT === undefined ? `t=${h.callT}..` : h.retT === h.callT ? `t=${h.callT}` : `t=${h.callT}..${h.retT}`;
    return `  ${span.padEnd(12)} ${describeOp(h.source)} → ${describeReply(h.source.reply)}`;
  };
  ctx.fail(
    [
      `the reads and updates of page ${core[0]!.input.page} are not linearizable. These ${core.length} alone cannot be put in any one order that respects real time ` +
        '(an operation that got its reply before another was sent comes first) and explains every answer:',
      ...core.map(line),
      '(t = virtual ms from the request to the reply.) Typical cause: during an update one kernel already serves the new frame while another, ' +
        'asked later, still serves the old one. A replica must stop serving a page when the update is prepared, and serve it again only once it commits',
    ].join('\n'),
  );
}

t.property('multikernel.linearizable', 'concurrent reads and updates at all kernels are linearizable', async (ctx: PropertyContext) => {
  const c = await Cluster.boot(ctx, { kernels: 3, network: { latency: { min: 1, max: 10 } } });
  const ops = await readHeavyWorkload(ctx, c, { updates: 10, gap: { min: 10, max: 30 }, maxTime: 2000, everyKernel: true });
  await checkLinearizable(ctx, c, ops);
});

t.property(
  'multikernel.linearizable-faults',
  'reads and updates stay linearizable when messages are lost, duplicated and reordered',
  async (ctx: PropertyContext) => {
    const c = await Cluster.boot(ctx, { kernels: 4, network: LOSSY });
    const ops = await readHeavyWorkload(ctx, c, { updates: 8, gap: { min: 10, max: 40 }, maxTime: 3000, everyKernel: false });
    await checkLinearizable(ctx, c, ops);
  },
);

// ---- Liveness ------------------------------------------------------------------------------

t.property('multikernel.partition-heals', 'updates issued during a partition complete once it heals, and the replicas agree', async (ctx: PropertyContext) => {
  const c = await Cluster.boot(ctx, { kernels: 4, network: { reorder: true } });
  const ops: ClientOp[] = [];
  for (let k = 0; k < 4; k++) ops.push(await c.map(k, 1 + k, 10 + k));
  await c.advance(2 + ctx.random.int(6));
  const side =
    ctx.random.int(2) === 0
      ? [
          [0, 1],
          [2, 3],
        ]
      : [
          [0, 3],
          [1, 2],
        ];
  await c.s.partition(side[0]!, side[1]!);
  for (let i = 0; i < 8; i++) {
    ops.push(await randomUpdate(ctx, c, 1 + ctx.random.int(4), 40 + i));
    await c.advance(ctx.random.int(40));
  }
  await c.advance(300);
  await c.s.heal();
  const healedAt = c.now;
  const open = await c.await(ops, 2000);
  if (open.length > 0) {
    const trace = await c.s.trace();
    const resent = sends(trace).filter((e) => e.t > healedAt && e.from !== e.to && ['submit', 'prepare', 'commit'].includes(String(e.msg?.type))).length;
    const stopped = await cutOff(c, healedAt, [0, 1, 2, 3]);
    ctx.fail(
      `the partition {${side[0]!.join(',')}} | {${side[1]!.join(',')}} healed at t=${healedAt}, but ${plural(open.length, 'update')} still had no reply 2 s later, e.g. ${describeOp(open[0]!)}` +
        (stopped ||
          (resent === 0
            ? `. Nothing (no submit, prepare or commit) was sent again after the heal: keep resending unanswered messages every retry ms; a partition loses everything sent across it until it heals`
            : `. ${resent} submit, prepare and commit messages were sent after the heal`)),
    );
  }
  c.checkSingleReplies();
  for (const o of ops) ctx.check(o.reply?.type === 'done', `${describeOp(o)} was answered ${describeReply(o.reply)}; expected done (no kernel crashed)`);
  checkDistinctSeqs(ctx, ops);
  const idle = await c.idle();
  ctx.check(idle.idle, 'after every update was answered the system kept running for 10 s: stop resending once an answer has come');
  await checkReplicas(ctx, c, [1, 2, 3, 4], modelTable(ops), 'after the partition healed', () => cutOff(c, healedAt, [0, 1, 2, 3]));
});

t.property('multikernel.replica-crash', "when a replica's kernel crashes, updates at the other kernels still complete", async (ctx: PropertyContext) => {
  const c = await Cluster.boot(ctx, { kernels: 4, network: { duplicate: 0.1, reorder: true } });
  const victim = 1 + ctx.random.int(3);
  const ops: ClientOp[] = [];
  for (let i = 0; i < 6; i++) {
    ops.push(await randomUpdate(ctx, c, 1 + ctx.random.int(4), 60 + i));
    await c.advance(ctx.random.int(6));
  }
  await c.crash(victim);
  const crashedAt = c.now;
  const after: ClientOp[] = [];
  for (let i = 0; i < 6; i++) {
    after.push(await randomUpdate(ctx, c, 1 + ctx.random.int(4), 70 + i));
    await c.advance(ctx.random.int(6));
  }
  const mine = [...ops, ...after].filter((o) => o.kernel !== victim);
  const open = await c.await(mine, 2000);
  ctx.check(
    open.length === 0,
    () =>
      `kernel ${victim} crashed at t=${crashedAt}; ${plural(open.length, 'update')} issued at other kernels still had no reply 2 s later, e.g. ${describeOp(open[0]!)}. ` +
      "A crashed replica is not live: stop waiting for it (self.monitor(ref) sends you DOWN when a monitor's kernel goes down)",
  );
  c.checkSingleReplies();
  for (const o of mine)
    ctx.check(o.reply?.type === 'done', `${describeOp(o)} was answered ${describeReply(o.reply)}; expected done (the sequencer's kernel is up)`);
  const idle = await c.idle();
  ctx.check(idle.idle, `after every update was answered the system kept running for 10 s: does something keep resending to the crashed kernel ${victim}?`);
  // Live replicas agree with each other, and with the acknowledged updates on pages no lost client touched.
  const pages = [1, 2, 3, 4];
  const seen = await c.readAll(pages, 2000);
  const untouched = pages.filter((p) => !ops.concat(after).some((o) => o.kernel === victim && o.page === p));
  const model = modelTable(mine);
  const first = c.live[0]!;
  for (const [k, table] of seen) {
    for (const p of pages) {
      ctx.check(
        table.get(p) === seen.get(first)!.get(p),
        `after kernel ${victim} crashed, kernel ${k} serves page ${p} as ${frameText(table.get(p))} but kernel ${first} as ${frameText(seen.get(first)!.get(p))}: live replicas must agree`,
      );
      if (untouched.includes(p))
        ctx.check(
          table.get(p) === (model.get(p) ?? null),
          `after kernel ${victim} crashed, kernel ${k} serves page ${p} as ${frameText(table.get(p))}; the acknowledged updates leave it ${frameText(model.get(p))}`,
        );
    }
  }
});

t.property('multikernel.sequencer-down', "when the sequencer's kernel crashes, every update gets a definite failure", async (ctx: PropertyContext) => {
  const c = await Cluster.boot(ctx, { kernels: 3 });
  await mustUpdate(ctx, c, c.map(1, 1, 11));
  await mustUpdate(ctx, c, c.map(2, 2, 22));
  const inFlight = [await c.map(1, 3, 33), await c.unmap(2, 1)];
  await c.advance(ctx.random.int(4));
  await c.crash(0);
  const crashedAt = c.now;
  await c.advance(20);
  const later = [await c.map(1, 4, 44), await c.map(2, 5, 55), await c.unmap(1, 2)];
  const all = [...inFlight, ...later];
  const open = await c.await(all, 1000);
  ctx.check(
    open.length === 0,
    () =>
      `the sequencer's kernel (0) crashed at t=${crashedAt}; ${describeOp(open[0]!)} had no reply 1 s later. ` +
      "Watch the sequencer (self.monitor): when it is DOWN, answer every waiting and every new update { type: 'failed', reason: 'sequencer-down' }",
  );
  c.checkSingleReplies();
  for (const o of later) {
    ctx.check(
      o.reply?.type === 'failed',
      `${describeOp(o)} was sent after the sequencer's kernel crashed and was answered ${describeReply(o.reply)}; expected failed (sequencer-down): nobody can agree it now`,
    );
  }
  const idle = await c.idle();
  ctx.check(
    idle.idle,
    'after the sequencer crashed and every update was answered, the system kept running for 10 s: stop resending to a sequencer that is DOWN',
  );
});

// ---- Old, duplicate and future messages ---------------------------------------------------

t.property('multikernel.stale-messages', 'old and duplicate prepares and commits are acknowledged and change nothing', async (ctx: PropertyContext) => {
  const c = await Cluster.boot(ctx, { kernels: 3, network: { reorder: true } });
  const s1 = await mustUpdate(ctx, c, c.map(ctx.random.int(3), 1, 10));
  await mustUpdate(ctx, c, c.map(ctx.random.int(3), 2, 20));
  const s3 = await mustUpdate(ctx, c, c.unmap(ctx.random.int(3), 1));
  const s4 = await mustUpdate(ctx, c, c.map(ctx.random.int(3), 2, 21));
  await c.idle();
  for (let k = 0; k < 3; k++) {
    const from = c.clients[k]!;
    const stale: { msg: Record<string, unknown>; ack: 'prepared' | 'committed'; seq: number; what: string }[] = [
      {
        msg: { type: 'prepare', seq: s1, update: { op: 'map', page: 1, frame: 10 }, from },
        ack: 'prepared',
        seq: s1,
        what: `an old prepare of update ${s1} (map page 1 → frame 10)`,
      },
      { msg: { type: 'commit', seq: s1, from }, ack: 'committed', seq: s1, what: `an old commit of update ${s1} (map page 1 → frame 10)` },
      { msg: { type: 'commit', seq: s4, from }, ack: 'committed', seq: s4, what: `a duplicate commit of the last update, ${s4}` },
      {
        msg: { type: 'prepare', seq: s3, update: { op: 'map', page: 1, frame: 99 }, from },
        ack: 'prepared',
        seq: s3,
        what: `an old prepare of update ${s3} with different contents (map page 1 → frame 99)`,
      },
      { msg: { type: 'commit', seq: s3, from }, ack: 'committed', seq: s3, what: `an old commit of update ${s3}` },
    ];
    for (const x of ctx.random.int(2) === 0 ? stale : stale.slice().reverse()) {
      await c.s.send(c.monitors[k]!, x.msg, { kernel: k });
      const ack = await c.s.receive<Prepared | Committed>({ type: x.ack }, { timeout: 200 });
      ctx.check(
        ack !== undefined,
        `kernel ${k} got ${x.what}, applied long ago, and sent no ${x.ack} back to the sender: acknowledge old messages (your first answer may have been lost), but change nothing`,
      );
      ctx.check(
        ack.seq === x.seq && ack.kernel === k,
        `kernel ${k} answered ${x.what} with ${JSON.stringify(ack)}; expected { type: '${x.ack}', seq: ${x.seq}, kernel: ${k} }`,
      );
    }
  }
  const model = new Map([[2, 21]]);
  await checkReplicas(ctx, c, [1, 2], model, 'after old and duplicate prepares and commits of updates already applied');
  const s5 = await mustUpdate(ctx, c, c.map(ctx.random.int(3), 3, 30));
  ctx.check(s5 === s4 + 1, `after the old messages the next update got seq ${s5}; expected ${s4 + 1}: old messages must not move the sequence`);
  model.set(3, 30);
  await checkReplicas(ctx, c, [1, 2, 3], model, 'after one more update');
});

t.property('multikernel.future-messages', 'a prepare or commit from the future is not applied early', async (ctx: PropertyContext) => {
  const c = await Cluster.boot(ctx, { kernels: 3, network: { reorder: true } });
  await mustUpdate(ctx, c, c.map(ctx.random.int(3), 1, 10));
  const s2 = await mustUpdate(ctx, c, c.map(ctx.random.int(3), 2, 20));
  await c.idle();
  for (const k of [1, 2]) {
    const from = c.clients[k]!;
    await c.s.send(c.monitors[k]!, { type: 'prepare', seq: s2 + 2, update: { op: 'map', page: 7, frame: 70 }, from }, { kernel: k });
    await c.s.send(c.monitors[k]!, { type: 'commit', seq: s2 + 2, from }, { kernel: k });
    await c.s.send(c.monitors[k]!, { type: 'commit', seq: s2 + 1, from }, { kernel: k });
    const r = await c.read(k, 7);
    await c.await([r], 300);
    const answered = c.s.inbox.filter(
      (m) => ((m as Prepared).type === 'prepared' || (m as Committed).type === 'committed') && (m as Prepared).kernel === k && (m as Prepared).seq > s2,
    ) as (Prepared | Committed)[];
    ctx.check(
      answered.length === 0,
      () =>
        `kernel ${k} has applied updates up to ${s2}; it got a prepare and a commit of update ${s2 + 2} and a commit of update ${s2 + 1} (never prepared there), and answered ${answered.map((m) => `${m.type} ${m.seq}`).join(', ')}: ` +
        'a message from the future, or a commit of an update it does not hold, gets no answer (an answer tells the sequencer the replica holds or applied it)',
    );
    ctx.check(
      r.reply !== undefined,
      `kernel ${k} has applied updates up to ${s2}; after it got a prepare and a commit of update ${s2 + 2} (from the future), a read of page 7 there got no reply within 300 ms: ` +
        `a message from the future is not for now: ignore it (the sequencer will send it again when its turn comes)`,
    );
    const got = r.reply.type === 'value' ? r.reply.frame : undefined;
    ctx.check(
      got === null,
      `kernel ${k} has applied updates up to ${s2}; after it got a prepare and a commit of update ${s2 + 2}, it serves page 7 as ${frameText(got)}: ` +
        `update ${s2 + 2} must not be applied before update ${s2 + 1}`,
    );
  }
  // The real updates s2+1, s2+2, s2+3 go through, and everybody agrees.
  const ops: ClientOp[] = [];
  for (let i = 0; i < 3; i++) ops.push(await c.map(ctx.random.int(3), 7, 71 + i));
  const open = await c.await(ops, 3000);
  ctx.check(open.length === 0, () => `after the messages from the future, ${describeOp(open[0]!)} got no reply within 3 s`);
  ops.sort((a, b) => (a.reply as { seq: number }).seq - (b.reply as { seq: number }).seq);
  const seqs = ops.map((o) => (o.reply as { seq?: number }).seq);
  ctx.check(
    seqs.join() === [s2 + 1, s2 + 2, s2 + 3].join(),
    `the next three updates were acknowledged as ${seqs.join(', ')}; expected ${s2 + 1}, ${s2 + 2}, ${s2 + 3}`,
  );
  await checkReplicas(
    ctx,
    c,
    [1, 2, 7],
    new Map([
      [1, 10],
      [2, 20],
      [7, ops[2]!.frame!],
    ]),
    `after the real updates ${s2 + 1}..${s2 + 3}`,
  );
});

// ---- Cost --------------------------------------------------------------------------------------

t.property(
  'multikernel.update-cost',
  'an update costs at most 4(n−1)+2 messages, a read none (no faults, one update at a time)',
  async (ctx: PropertyContext) => {
    const n = 4;
    const c = await Cluster.boot(ctx, { kernels: n });
    await c.idle();
    const mark = await tracePosition(c.s);
    const count = 12;
    for (let i = 0; i < count; i++) {
      await mustUpdate(ctx, c, randomUpdate(ctx, c, 1 + ctx.random.int(5), 400 + i));
      const reads: ClientOp[] = [];
      for (let j = 0; j < 3; j++) reads.push(await c.read(ctx.random.int(n), 1 + ctx.random.int(5)));
      await c.await(reads, 500);
    }
    await c.idle();
    const trace = await c.s.trace();
    const msgs = systemMessages(trace, mark);
    const budget = count * (4 * (n - 1) + 2);
    const byType = new Map<string, number>();
    for (const m of msgs) byType.set(String(m.msg?.type), (byType.get(String(m.msg?.type)) ?? 0) + 1);
    const breakdown = [...byType]
      .sort((a, b) => b[1] - a[1])
      .map(([ty, k]) => `${ty} ×${k}`)
      .join(', ');
    ctx.check(
      msgs.length <= budget,
      `${count} updates (one at a time, no faults, with 3 reads after each) took ${msgs.length} messages between your processes: ${breakdown}. ` +
        `The budget is 4(n−1)+2 = ${4 * (n - 1) + 2} per update with n = ${n} kernels (${budget} in all): submit, prepare and prepared, commit and committed, outcome; reads cost nothing`,
    );
  },
);
