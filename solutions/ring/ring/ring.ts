// Reference solution for the ring exercise.
import { behavior, type Context, type Ref } from '#runtime';
import type { DeskConfig, DeskReply, Done, Found, Lookup, Question, RingConfig, Token } from '#exercises/ring/protocol';

type Member = Token | { type: 'next'; next: Ref<Token> };

export function startRing(self: Context<never>, config: RingConfig): Ref<Token> {
  const total = config.size * config.laps;
  const member = (first: boolean) => async (me: Context<Member>) => {
    const { next } = (await me.receive({ type: 'next' })) as { type: 'next'; next: Ref<Token> };
    for (;;) {
      const token = (await me.receive({ type: 'token' })) as Token;
      if (first && token.hops === total) {
        me.send<Done>(config.reportTo, { type: 'done', hops: token.hops });
        return;
      }
      me.send<Token>(next, { type: 'token', hops: token.hops + 1 });
      if (token.hops + config.size > total) return; // this member's last pass
    }
  };
  const members: Ref<Member>[] = [];
  for (let i = 0; i < config.size; i++) members.push(self.spawn(member(i === 0), { name: `member-${i}` }));
  members.forEach((m, i) => self.send(m, { type: 'next', next: members[(i + 1) % members.length]! }));
  self.send<Token>(members[0]!, { type: 'token', hops: 0 });
  return members[0]!;
}

export function startDesk(self: Context<never>, config: DeskConfig): Ref<Question> {
  return self.spawn(
    behavior<Question>((desk, q) => {
      // One short-lived process per question: a slow office answer holds up nobody else.
      desk.spawn(
        async (worker) => {
          let reply: DeskReply;
          try {
            const found = await worker.ask<Found, Lookup>(config.office, (replyTo) => ({ type: 'lookup', text: q.text, replyTo }), { timeout: config.timeout });
            reply = { type: 'answer', id: q.id, text: found.text };
          } catch {
            reply = { type: 'unavailable', id: q.id, reason: 'timeout' };
          }
          worker.send(q.replyTo, reply);
        },
        { name: `question-${q.id}` },
      );
    }),
    { name: 'desk' },
  );
}
