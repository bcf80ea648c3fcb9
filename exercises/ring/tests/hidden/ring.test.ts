// Hidden tests for the ring exercise (never in the student pack).
import type { Ref } from '#runtime';
import { exerciseTests, isHarness, lastSeq, messagesOf, nameOf, sends, typeOf, type PropertyContext, type Session, type TraceJson } from '#harness';
import { protocol, type DeskReply, type Done, type Lookup } from '../../protocol.ts';

const t = exerciseTests(import.meta.url, protocol);

/** Every run in these tests ends within this much virtual time, or the system is not finishing. */
const LONG = 60_000;

/** Token passes between ring members, read from the trace (the start-up send from the harness's 'main' is not a hop). */
function tokenPasses(trace: TraceJson): { from: number; to: number }[] {
  return messagesOf(trace, 'token')
    .filter((e) => !isHarness(trace, e.from))
    .map((e) => ({ from: e.from, to: e.to }));
}

const dones = (s: Session) => s.inbox.filter((m) => (m as Done).type === 'done') as Done[];
const isReply = (m: unknown) => (m as DeskReply).type === 'answer' || (m as DeskReply).type === 'unavailable';

// ---- The ring ---------------------------------------------------------------------------------

t.property('ring.ring-hops', 'exactly N×M token hops, and one Done with N×M, for rings of many sizes', async (ctx: PropertyContext) => {
  for (let round = 0; round < 3; round++) {
    const size = 2 + ctx.random.int(30),
      laps = 1 + ctx.random.int(5);
    const s = await ctx.open();
    await s.start('startRing', { size, laps, reportTo: s.self });
    const report = await s.runUntilIdle({ maxSteps: 200_000, maxTime: LONG });
    ctx.check(
      report.stoppedBy === 'idle',
      `with N=${size}, M=${laps} the system never went idle (${report.steps} steps, t=${report.now} ms): does the ring stop after the last lap?`,
    );
    const done = dones(s);
    ctx.check(done.length === 1, `with N=${size}, M=${laps}: ${done.length} Done messages arrived; expected exactly 1`);
    ctx.check(done[0]!.hops === size * laps, `with N=${size}, M=${laps}: Done said ${done[0]!.hops} hops; expected ${size * laps}`);
    const hops = tokenPasses(await s.trace()).length;
    ctx.check(hops === size * laps, `with N=${size}, M=${laps}: the token was passed ${hops} times between members; expected exactly ${size * laps}`);
  }
});

t.property('ring.two-rings', 'two rings in one system each pass their own token N×M times and report once', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  // Two rings of different shapes, started one after the other and then run together.
  const a = { size: 2 + ctx.random.int(8), laps: 1 + ctx.random.int(4) };
  let b: typeof a;
  do b = { size: 2 + ctx.random.int(8), laps: 1 + ctx.random.int(4) };
  while (b.size * b.laps === a.size * a.laps);
  const before = lastSeq(await s.trace());
  await s.start('startRing', { ...a, reportTo: s.self });
  const between = lastSeq(await s.trace());
  await s.start('startRing', { ...b, reportTo: s.self });
  const report = await s.runUntilIdle({ maxSteps: 200_000, maxTime: LONG });
  const shape = `ring A (N=${a.size}, M=${a.laps}) and ring B (N=${b.size}, M=${b.laps}) started in one system`;
  ctx.check(report.stoppedBy === 'idle', `with ${shape}, the system never went idle (${report.steps} steps, t=${report.now} ms)`);
  const trace = await s.trace();
  // Which ring each member belongs to: the processes each startRing call spawned.
  const ringOf = new Map<number, 'A' | 'B'>();
  for (const e of trace.events) {
    if (e.kind !== 'spawn' || e.seq <= before || isHarness(trace, e.pid as number)) continue;
    ringOf.set(e.pid as number, e.seq <= between ? 'A' : 'B');
  }
  const passes = tokenPasses(trace);
  const crossing = passes.find((p) => ringOf.get(p.from) !== undefined && ringOf.get(p.to) !== undefined && ringOf.get(p.from) !== ringOf.get(p.to));
  ctx.check(
    crossing === undefined,
    () =>
      `with ${shape}, ${nameOf(trace, crossing!.from)} of ring ${ringOf.get(crossing!.from)} passed the token to ${nameOf(trace, crossing!.to)} of ring ${ringOf.get(crossing!.to)}: ` +
      "the two rings are mixed up, as if they shared state (a module-level variable is shared by every ring in the system; keep each ring's state in its processes)",
  );
  for (const [ring, cfg] of [
    ['A', a],
    ['B', b],
  ] as const) {
    const hops = passes.filter((p) => ringOf.get(p.from) === ring).length;
    ctx.check(
      hops === cfg.size * cfg.laps,
      `with ${shape}, the token of ring ${ring} was passed ${hops} times between its members; expected ${cfg.size * cfg.laps}`,
    );
  }
  const got = dones(s)
    .map((d) => d.hops)
    .sort((x, y) => x - y);
  const want = [a.size * a.laps, b.size * b.laps].sort((x, y) => x - y);
  ctx.check(
    got.join() === want.join(),
    `with ${shape}, the Done messages reported ${got.length === 0 ? 'nothing' : got.join(' and ')} hops; expected one Done each: ${want.join(' and ')}`,
  );
});

// ---- The desk ---------------------------------------------------------------------------------

/** Sends `count` questions, then answers the office's lookups in a random order. */
async function askMany(s: Session, desk: Ref, count: number, shuffle: (n: number) => number) {
  for (let id = 1; id <= count; id++) await s.send(desk, { type: 'question', id, text: `q${id}`, replyTo: s.self });
  const lookups: Lookup[] = [];
  for (let i = 0; i < count; i++) {
    const l = await s.receive<Lookup>({ type: 'lookup' }, { timeout: 50 });
    if (l) lookups.push(l);
  }
  for (let i = lookups.length - 1; i > 0; i--) {
    const j = shuffle(i + 1);
    [lookups[i], lookups[j]] = [lookups[j]!, lookups[i]!];
  }
  for (const l of lookups) await s.send(l.replyTo, { type: 'found', text: l.text.toUpperCase() });
  return lookups.length;
}

t.property(
  'ring.desk-reordered',
  'every question gets exactly one answer, the right one, when the office answers out of order',
  async (ctx: PropertyContext) => {
    const s = await ctx.open();
    const desk = await s.start<Ref>('startDesk', { office: s.self, timeout: 1000 });
    const count = 8;
    const asked = await askMany(s, desk, count, (n) => ctx.random.int(n));
    ctx.check(asked === count, `only ${asked} of ${count} questions reached the office while all ${count} were open: questions must not wait for each other`);
    await s.runUntilIdle({ maxTime: LONG });
    const replies = s.inbox.filter(isReply) as DeskReply[];
    for (let id = 1; id <= count; id++) {
      const mine = replies.filter((r) => r.id === id);
      ctx.check(mine.length === 1, `question ${id} got ${mine.length} replies; expected exactly 1`);
      const r = mine[0]!;
      ctx.check(
        r.type === 'answer' && r.text === `Q${id}`,
        `question ${id} got ${JSON.stringify(r)}; expected the office's answer "Q${id}" (answers must go to the question that asked)`,
      );
    }
  },
);

t.property(
  'ring.two-desks',
  'two desks in one system keep their questions and their timeouts apart, even with the same question ids',
  async (ctx: PropertyContext) => {
    const s = await ctx.open();
    // Desk A waits 200 ms for the office, desk B 600 ms; the same question ids go to both.
    const desks = [
      { name: 'A', timeout: 200, ref: await s.start<Ref>('startDesk', { office: s.self, timeout: 200 }) },
      { name: 'B', timeout: 600, ref: await s.start<Ref>('startDesk', { office: s.self, timeout: 600 }) },
    ];
    const count = 4; // questions 1..3 are answered by the office, question 4 is not
    for (let id = 1; id <= count; id++) {
      for (const d of ctx.random.int(2) === 0 ? desks : desks.slice().reverse())
        await s.send(d.ref, { type: 'question', id, text: `${d.name}-${id}`, replyTo: s.self });
    }
    const lookups: Lookup[] = [];
    for (let i = 0; i < 2 * count; i++) {
      const l = await s.receive<Lookup>({ type: 'lookup' }, { timeout: 50 });
      if (l) lookups.push(l);
    }
    ctx.check(
      lookups.length === 2 * count,
      `${count} questions went to each of two desks and the office got ${lookups.length} lookups within 50 ms; expected ${2 * count}, one per question`,
    );
    const texts = lookups.map((l) => l.text).sort();
    const wantTexts = desks.flatMap((d) => Array.from({ length: count }, (_, i) => `${d.name}-${i + 1}`)).sort();
    ctx.check(
      texts.join() === wantTexts.join(),
      `the office was asked ${texts.join(', ')}; expected each of ${wantTexts.join(', ')} once (each desk asks about its own questions)`,
    );
    const answered = lookups.filter((l) => !l.text.endsWith(`-${count}`));
    for (let i = answered.length - 1; i > 0; i--) {
      const j = ctx.random.int(i + 1);
      [answered[i], answered[j]] = [answered[j]!, answered[i]!];
    }
    for (const l of answered) await s.send(l.replyTo, { type: 'found', text: l.text.toLowerCase() });
    await s.runUntilIdle({ maxTime: LONG });
    const replies = s.inbox.filter(isReply) as DeskReply[];
    const trace = await s.trace();
    for (const d of desks) {
      for (let id = 1; id < count; id++) {
        const want = `${d.name}-${id}`.toLowerCase();
        const got = replies.filter((r) => r.type === 'answer' && r.text === want && r.id === id).length;
        ctx.check(
          got === 1,
          () =>
            `desk ${d.name}'s question ${id} ("${d.name}-${id}") got ${got} answers "${want}"; expected exactly 1. Replies with id ${id}: ${replies
              .filter((r) => r.id === id)
              .map((r) => JSON.stringify(r))
              .join(', ')}` + (got === 0 ? '. Two desks in one system must not share anything: a module-level variable is shared by both' : ''),
        );
      }
    }
    const unavailable = messagesOf(trace, 'unavailable')
      .filter((e) => (e.msg as DeskReply).id === count)
      .map((e) => e.t)
      .sort((x, y) => x - y);
    // Whether and exactly when a desk times out is the timeout tests' business; here: if the
    // desks time out at all, both do, each after its own timeout.
    if (unavailable.length === 0) return;
    ctx.check(
      unavailable.length === 2,
      `question ${count}, asked at both desks and never answered by the office, got ${unavailable.length} "unavailable" replies (at t=${unavailable.join(', ')}); expected 2, one from each desk`,
    );
    ctx.check(
      unavailable[1]! - unavailable[0]! >= 300,
      `question ${count} was asked at desk A (timeout 200 ms) and desk B (timeout 600 ms) at t=0; "unavailable" was sent at t=${unavailable.join(' and t=')}; ` +
        'expected about 400 ms apart (at t=200 and t=600): each desk waits for its own config.timeout' +
        (unavailable[0] === unavailable[1] ? ', as if both desks shared one setting' : ''),
    );
  },
);

// ---- Timeouts ---------------------------------------------------------------------------------

t.property('ring.desk-timeout', 'a question the office never answers gets "unavailable" exactly when its timeout ends', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  const timeout = 200 + 50 * ctx.random.int(8);
  const desk = await s.start<Ref>('startDesk', { office: s.self, timeout });
  await s.send(desk, { type: 'question', id: 7, text: 'anyone?', replyTo: s.self });
  const reply = await s.receive<DeskReply>(isReply, { timeout: 3000 });
  ctx.check(reply !== undefined, `no reply within 3000 ms although the timeout is ${timeout} ms: the desk must stop waiting and say "unavailable"`);
  ctx.check(
    reply.type === 'unavailable' && reply.id === 7,
    `the reply was ${JSON.stringify(reply)}; expected { type: "unavailable", id: 7, reason: "timeout" }`,
  );
  const at = messagesOf(await s.trace(), 'unavailable')[0]?.t ?? Infinity;
  ctx.check(
    at === timeout,
    `the question arrived at t=0 and "unavailable" was sent at t=${at} ms; expected t=${timeout} (the timeout, ${timeout} ms after the question, not ${at > timeout ? 'later' : 'earlier'})`,
  );
});

t.property('ring.desk-late-reply', 'an office answer after the timeout is not passed on: still exactly one reply', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  const desk = await s.start<Ref>('startDesk', { office: s.self, timeout: 200 });
  await s.send(desk, { type: 'question', id: 3, text: 'slow', replyTo: s.self });
  const lookup = await s.receive<Lookup>({ type: 'lookup' }, { timeout: 50 });
  ctx.check(lookup !== undefined, 'the desk never asked the office');
  await s.advance(500);
  await s.send(lookup.replyTo, { type: 'found', text: 'too late' });
  await s.runUntilIdle({ maxTime: LONG });
  const replies = s.inbox.filter((m) => (m as DeskReply).id === 3) as DeskReply[];
  ctx.check(replies.length === 1, `question 3 got ${replies.length} replies (${replies.map((r) => r.type).join(', ')}); expected exactly 1`);
  ctx.check(
    replies[0]!.type === 'unavailable',
    `question 3 got "${replies[0]!.type}"; the office answered after the timeout, so the reply must be "unavailable"`,
  );
});

t.property('ring.timeout-each', "each question's timeout runs from its own arrival, whatever else the desk is doing", async (ctx: PropertyContext) => {
  const s = await ctx.open();
  const timeout = 300;
  const desk = await s.start<Ref>('startDesk', { office: s.self, timeout });
  // Question 1 is never answered. While it waits, questions 2..n arrive every 40-60 ms, and
  // the office answers each one 250 ms after the question arrived (in time), or at once if
  // the desk asks later than that.
  const n = 4 + ctx.random.int(3);
  const arrive = [0];
  for (let id = 2; id <= n; id++) arrive.push(arrive[arrive.length - 1]! + 40 + ctx.random.int(21));
  const due: { at: number; lookup: Lookup }[] = [];
  let now = 0;
  let next = 0;
  while (now < 2000) {
    while (next < n && arrive[next]! <= now) {
      await s.send(desk, { type: 'question', id: next + 1, text: `q${next + 1}`, replyTo: s.self });
      next++;
    }
    for (let l = await s.receive<Lookup>({ type: 'lookup' }, { timeout: 0 }); l; l = await s.receive<Lookup>({ type: 'lookup' }, { timeout: 0 })) {
      const id = Number(l.text.slice(1));
      if (id > 1) due.push({ at: Math.max(now, (arrive[id - 1] ?? now) + 250), lookup: l });
    }
    for (const d of due.filter((x) => x.at <= now)) {
      await s.send(d.lookup.replyTo, { type: 'found', text: d.lookup.text.toUpperCase() });
      due.splice(due.indexOf(d), 1);
    }
    const wake = Math.min(next < n ? arrive[next]! : Infinity, ...due.map((d) => d.at), now + 50);
    now = (await s.advance(Math.max(1, wake - now))).now;
  }
  const trace = await s.trace();
  const replies = messagesOf(trace, 'answer')
    .concat(messagesOf(trace, 'unavailable'))
    .map((e) => ({ t: e.t, r: e.msg as DeskReply }));
  const first = replies.filter((x) => x.r.id === 1);
  ctx.check(
    first.length === 1 && first[0]!.r.type === 'unavailable',
    `question 1 (never answered by the office) got ${first.map((x) => `"${x.r.type}" at t=${x.t}`).join(', ') || 'no reply'}; expected one "unavailable" at t=${timeout}`,
  );
  if (first[0]!.t !== timeout) {
    // A wait that restarts on every message ends one timeout after the last message before it.
    const restartedBy = sends(trace, (e) => e.from === s.self.pid && e.t > 0 && e.t + timeout === first[0]!.t)[0];
    ctx.fail(
      `question 1 arrived at t=0 and got "unavailable" at t=${first[0]!.t}; expected t=${timeout}: a question's timeout counts from its own arrival. ` +
        `Questions ${n > 2 ? `2..${n}` : '2'} arrived meanwhile (at t=${arrive.slice(1).join(', ')})` +
        (restartedBy
          ? `, and t=${first[0]!.t} is exactly ${timeout} ms after the "${typeOf(restartedBy.msg)}" message the test sent at t=${restartedBy.t}: the wait restarted when that message came`
          : ''),
    );
  }
  for (let id = 2; id <= n; id++) {
    const mine = replies.filter((x) => x.r.id === id);
    ctx.check(
      mine.length === 1 && mine[0]!.r.type === 'answer',
      `question ${id} (asked at t=${arrive[id - 1]}; the office answered its lookup by t=${arrive[id - 1]! + 250}, or at once if asked later) got ${mine.map((x) => `"${x.r.type}" at t=${x.t}`).join(', ') || 'no reply'}; ` +
        `expected one "answer": its own ${timeout} ms had not run out${mine.some((x) => x.r.type === 'unavailable' && x.t === first[0]!.t) ? " (it was declared unavailable at the moment question 1 timed out: one question's timeout must not end the others)" : ''}`,
    );
  }
});

// ---- No busy waiting ------------------------------------------------------------------------------

t.property('ring.idle', 'an idle system does no work: no timers left, nothing running', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  await s.start('startRing', { size: 5, laps: 2, reportTo: s.self });
  const desk = await s.start<Ref>('startDesk', { office: s.self, timeout: 400 });
  await askMany(s, desk, 3, () => 0);
  const first = await s.runUntilIdle({ maxSteps: 100_000, maxTime: LONG });
  ctx.check(
    first.stoppedBy === 'idle',
    `the system was still busy after 60 s of virtual time (${first.steps} steps): something keeps polling or re-arming a timer`,
  );
  const done = dones(s).length;
  const replies = s.inbox.filter(isReply).length;
  ctx.check(
    done === 1 && replies === 3,
    `the system went quiet without finishing its work (${done} Done, ${replies} of 3 desk replies): being idle only counts once the work is done`,
  );
  ctx.check(first.pendingTimers === 0, `${first.pendingTimers} timers are still set in an idle system: timers must be cancelled or not used for polling`);
  const second = await s.advance(10_000);
  ctx.check(second.steps === 0, `an idle system did ${second.steps} steps of work in 10 s: it should do nothing until a message arrives`);
});
