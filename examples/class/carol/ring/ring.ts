// Carol finished the ring; the desk is still to do.
import { behavior, type Context, type Ref } from '#runtime';
import type { DeskConfig, Done, Question, RingConfig, Token } from '#exercises/ring/protocol';

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

/**
 * Part 2. Spawn a desk. For each Question, ask the office (config.office) with
 * `self.ask(office, (replyTo) => ({ type: 'lookup', text, replyTo }), { timeout })` and reply
 * to the question exactly once: { type: 'answer', id, text } or, when the office does not
 * answer in time, { type: 'unavailable', id, reason: 'timeout' }.
 */
export function startDesk(self: Context<never>, config: DeskConfig): Ref<Question> {
  return self.spawn(behavior<Question>((desk, question) => {
    // TODO: ask the office about question.text and reply to question.replyTo.
    // Careful: a slow office must not hold up the other questions.
    void desk;
    void question;
    void config;
  }), { name: 'desk' });
}
