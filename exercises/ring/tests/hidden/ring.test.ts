// Hidden tests for the ring exercise (never in the student pack).
import type { Ref } from '#runtime';
import { exerciseTests, type PropertyContext, type Session } from '#harness';
import { protocol, type DeskReply, type Done, type Lookup } from '../../protocol.ts';

const t = exerciseTests(import.meta.url, protocol);

/** Token passes between ring members, read from the trace (the start-up send from 'main' is not a hop). */
async function tokenHops(s: Session): Promise<number> {
  const trace = await s.trace();
  return trace.events.filter((e) =>
    e.kind === 'send' && (e.msg as { type?: string })?.type === 'token' && trace.names[String(e.from)] !== 'main').length;
}

t.property('ring.ring-hops', 'exactly N×M token hops, and one Done with N×M, for rings of many sizes', async (ctx: PropertyContext) => {
  for (let round = 0; round < 3; round++) {
    const size = 2 + ctx.random.int(30), laps = 1 + ctx.random.int(5);
    const s = await ctx.open();
    await s.start('startRing', { size, laps, reportTo: s.self });
    const report = await s.runUntilIdle({ maxSteps: 200_000 });
    ctx.check(report.stoppedBy === 'idle', `with N=${size}, M=${laps} the system never went idle (${report.steps} steps): does the ring stop after the last lap?`);
    const dones = s.inbox.filter((m) => (m as Done).type === 'done') as Done[];
    ctx.check(dones.length === 1, `with N=${size}, M=${laps}: ${dones.length} Done messages arrived; expected exactly 1`);
    ctx.check(dones[0]!.hops === size * laps, `with N=${size}, M=${laps}: Done said ${dones[0]!.hops} hops; expected ${size * laps}`);
    const hops = await tokenHops(s);
    ctx.check(hops === size * laps, `with N=${size}, M=${laps}: the token was passed ${hops} times between members; expected exactly ${size * laps}`);
  }
});

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

t.property('ring.desk-reordered', 'every question gets exactly one answer, the right one, when the office answers out of order', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  const desk = await s.start<Ref>('startDesk', { office: s.self, timeout: 1000 });
  const count = 8;
  const asked = await askMany(s, desk, count, (n) => ctx.random.int(n));
  ctx.check(asked === count, `only ${asked} of ${count} questions reached the office while all ${count} were open: questions must not wait for each other`);
  await s.runUntilIdle();
  const replies = s.inbox.filter((m) => (m as DeskReply).type === 'answer' || (m as DeskReply).type === 'unavailable') as DeskReply[];
  for (let id = 1; id <= count; id++) {
    const mine = replies.filter((r) => r.id === id);
    ctx.check(mine.length === 1, `question ${id} got ${mine.length} replies; expected exactly 1`);
    const r = mine[0]!;
    ctx.check(r.type === 'answer' && r.text === `Q${id}`, `question ${id} got ${JSON.stringify(r)}; expected the office's answer "Q${id}" (answers must go to the question that asked)`);
  }
});

t.property('ring.desk-timeout', 'a question the office never answers gets "unavailable" once the timeout has passed', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  const desk = await s.start<Ref>('startDesk', { office: s.self, timeout: 300 });
  await s.send(desk, { type: 'question', id: 7, text: 'anyone?', replyTo: s.self });
  const reply = await s.receive<DeskReply>((m: DeskReply) => m.type === 'answer' || m.type === 'unavailable', { timeout: 2000 });
  ctx.check(reply !== undefined, 'no reply within 2000 ms although the timeout is 300 ms: the desk must stop waiting and say "unavailable"');
  ctx.check(reply.type === 'unavailable' && reply.id === 7, `the reply was ${JSON.stringify(reply)}; expected { type: "unavailable", id: 7, reason: "timeout" }`);
  const trace = await s.trace();
  const sent = trace.events.filter((e) => e.kind === 'send' && (e.msg as DeskReply)?.type === 'unavailable');
  const at = sent[0]?.t ?? Infinity;
  ctx.check(at >= 300 && at <= 400, `"unavailable" was sent at t=${at} ms; expected soon after the 300 ms timeout`);
});

t.property('ring.desk-late-reply', 'an office answer after the timeout is not passed on: still exactly one reply', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  const desk = await s.start<Ref>('startDesk', { office: s.self, timeout: 200 });
  await s.send(desk, { type: 'question', id: 3, text: 'slow', replyTo: s.self });
  const lookup = await s.receive<Lookup>({ type: 'lookup' }, { timeout: 50 });
  ctx.check(lookup !== undefined, 'the desk never asked the office');
  await s.advance(500);
  await s.send(lookup.replyTo, { type: 'found', text: 'too late' });
  await s.runUntilIdle();
  const replies = s.inbox.filter((m) => (m as DeskReply).id === 3) as DeskReply[];
  ctx.check(replies.length === 1, `question 3 got ${replies.length} replies (${replies.map((r) => r.type).join(', ')}); expected exactly 1`);
  ctx.check(replies[0]!.type === 'unavailable', `question 3 got "${replies[0]!.type}"; the office answered after the timeout, so the reply must be "unavailable"`);
});

t.property('ring.idle', 'an idle system does no work: no timers left, nothing running', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  await s.start('startRing', { size: 5, laps: 2, reportTo: s.self });
  const desk = await s.start<Ref>('startDesk', { office: s.self, timeout: 400 });
  await askMany(s, desk, 3, () => 0);
  const first = await s.runUntilIdle({ maxSteps: 100_000, maxTime: 60_000 });
  ctx.check(first.stoppedBy === 'idle', `the system was still busy after 60 s of virtual time (${first.steps} steps): something keeps polling or re-arming a timer`);
  const done = s.inbox.filter((m) => (m as Done).type === 'done').length;
  const replies = s.inbox.filter((m) => (m as DeskReply).type === 'answer' || (m as DeskReply).type === 'unavailable').length;
  ctx.check(done === 1 && replies === 3, `the system went quiet without finishing its work (${done} Done, ${replies} of 3 desk replies): being idle only counts once the work is done`);
  ctx.check(first.pendingTimers === 0, `${first.pendingTimers} timers are still set in an idle system: timers must be cancelled or not used for polling`);
  const second = await s.advance(10_000);
  ctx.check(second.steps === 0, `an idle system did ${second.steps} steps of work in 10 s: it should do nothing until a message arrives`);
});
