// MUTANT: one desk process keeps every open question and waits with receive(…, { after: timeout }): any message restarts the wait, so a question's timeout runs from the last message, not from its own arrival
import type { Context, Ref } from '#runtime';
import type { DeskConfig, DeskReply, Done, Found, Lookup, Question, RingConfig, Token } from '#exercises/ring/protocol';

type Member = Token | { type: 'next'; next: Ref<Token> };

export function startRing(self: Context<never>, config: RingConfig): Ref<Token> {
  const total = config.size * config.laps;
  const member = (first: boolean) => async (me: Context<Member>) => {
    const { next } = await me.receive({ type: 'next' }) as { type: 'next'; next: Ref<Token> };
    for (;;) {
      const token = await me.receive({ type: 'token' }) as Token;
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

/** What the desk receives: questions, and the office's answers tagged with the question. */
type DeskMsg = Question | { type: 'found'; text: string; q: number };

export function startDesk(self: Context<never>, config: DeskConfig): Ref<Question> {
  return self.spawn<DeskMsg>(async (desk) => {
    const open = new Map<number, Question>();
    for (;;) {
      // Wait for the next message; if nothing comes for a whole timeout, the open questions are late.
      const msg = await desk.receive(undefined, { after: open.size > 0 ? config.timeout : Infinity }) as DeskMsg | undefined;
      if (msg === undefined) {
        for (const q of open.values()) desk.send<DeskReply>(q.replyTo, { type: 'unavailable', id: q.id, reason: 'timeout' });
        open.clear();
      } else if (msg.type === 'question') {
        open.set(msg.id, msg);
        // A helper forwards the office's answer to the desk, tagged with the question's id.
        desk.spawn(async (helper) => {
          const found = await helper.ask<Found, Lookup>(config.office, (replyTo) => ({ type: 'lookup', text: msg.text, replyTo }));
          helper.send<DeskMsg>(desk.ref, { type: 'found', text: found.text, q: msg.id });
        });
      } else {
        const q = open.get(msg.q);
        if (q) {
          open.delete(msg.q);
          desk.send<DeskReply>(q.replyTo, { type: 'answer', id: q.id, text: msg.text });
        }
      }
    }
  }, { name: 'desk' });
}
