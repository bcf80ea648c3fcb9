// Exercise 3, warm-up: a token ring and a front desk. Read exercises/ring/README.md first.
// Run the public tests with `npm test -- ring`.
import { behavior, type Context, type Ref } from '#runtime';
import type { DeskConfig, Question, RingConfig, Token } from '#exercises/ring/protocol';

/**
 * Part 1. Spawn `config.size` processes in a ring. Each member passes the token to the next
 * one, adding 1 to `hops`. When the token is back at the first member after `config.laps`
 * laps (size × laps hops), that member sends { type: 'done', hops } to `config.reportTo`.
 * Return the first member's Ref.
 */
export function startRing(self: Context<never>, config: RingConfig): Ref<Token> {
  const first = self.spawn<Token>(
    async (me) => {
      // TODO: receive the token, pass it on to the next member, report Done at the end.
      // Hint: a member needs to know the Ref of the next one: send it to each member in a
      // message after spawning them all.
      await me.receive();
    },
    { name: 'member-0' },
  );
  // TODO: spawn the other members, connect them into a ring, and start the token.
  void config;
  return first;
}

/**
 * Part 2. Spawn a desk. For each Question, ask the office (config.office) with
 * `self.ask(office, (replyTo) => ({ type: 'lookup', text, replyTo }), { timeout })` and reply
 * to the question exactly once: { type: 'answer', id, text } or, when the office does not
 * answer in time, { type: 'unavailable', id, reason: 'timeout' }.
 */
export function startDesk(self: Context<never>, config: DeskConfig): Ref<Question> {
  return self.spawn(
    behavior<Question>((desk, question) => {
      // TODO: ask the office about question.text and reply to question.replyTo.
      // Careful: a slow office must not hold up the other questions.
      void desk;
      void question;
      void config;
    }),
    { name: 'desk' },
  );
}
