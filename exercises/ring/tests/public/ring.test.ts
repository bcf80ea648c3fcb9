// Public tests for the ring exercise: run them with `npm test -- ring`.
import type { Ref } from '#runtime';
import { exerciseTests, type PropertyContext } from '#harness';
import { protocol, type DeskReply, type Done, type Lookup } from '../../protocol.ts';

const t = exerciseTests(import.meta.url, protocol);

t.property('ring.ring-small', 'a token goes 3 times round a ring of 4 and Done reports 12 hops', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  await s.start('startRing', { size: 4, laps: 3, reportTo: s.self });
  const done = await s.receive<Done>({ type: 'done' }, { timeout: 10_000 });
  ctx.check(done !== undefined, 'no Done message arrived: the token never came home (or nobody sent Done to reportTo)');
  ctx.check(done.hops === 12, `Done reported ${done.hops} hops; expected 12 (4 members × 3 laps)`);
});

t.property('ring.desk-answers', 'the desk asks the office and answers the question with its text', async (ctx: PropertyContext) => {
  const s = await ctx.open();
  const desk = await s.start<Ref>('startDesk', { office: s.self, timeout: 1000 });
  await s.send(desk, { type: 'question', id: 1, text: 'opening hours?', replyTo: s.self });
  const lookup = await s.receive<Lookup>({ type: 'lookup' }, { timeout: 100 });
  ctx.check(lookup !== undefined, 'the office got no lookup: the desk must ask the office (config.office) about each question');
  ctx.check(lookup.text === 'opening hours?', `the office was asked "${lookup.text}"; expected the question's text "opening hours?"`);
  await s.send(lookup.replyTo, { type: 'found', text: 'nine to five' });
  const reply = await s.receive<DeskReply>({ type: 'answer' }, { timeout: 100 });
  ctx.check(reply !== undefined, 'the desk never answered question 1 after the office replied');
  ctx.check(
    reply.type === 'answer' && reply.id === 1 && reply.text === 'nine to five',
    `the desk replied ${JSON.stringify(reply)}; expected { type: "answer", id: 1, text: "nine to five" }`,
  );
});
