// The ring exercise's protocol: every message, in both directions, as a zod schema (checked
// at run time by the tests) and as a TypeScript type (checked at compile time in your code).
import { z } from 'zod';
import { refOf, type Context, type Ref } from '#runtime';

// ---- Part 1: the token ring ----------------------------------------------------------------

/** Passed from each member of the ring to the next. `hops` counts the passes so far. */
export const Token = z.object({ type: z.literal('token'), hops: z.number().int().nonnegative() });
export type Token = z.infer<typeof Token>;

/** Sent once, to `reportTo`, when the token is back at the first member after the last lap. */
export const Done = z.object({ type: z.literal('done'), hops: z.number().int().nonnegative() });
export type Done = z.infer<typeof Done>;

export const RingConfig = z.object({
  /** Number of processes in the ring (N ≥ 2). */
  size: z.number().int().min(2),
  /** Times the token goes round (M ≥ 1): N×M hops in all. */
  laps: z.number().int().min(1),
  /** Who gets the Done message. */
  reportTo: refOf<Done>(),
});
export type RingConfig = z.infer<typeof RingConfig>;

/**
 * Entry point: spawn `size` processes in a ring, give the token to the first one, and
 * return its Ref. Each member passes the token on to the next, adding 1 to `hops`; after
 * `size × laps` hops the token is back at the first member, which sends Done to `reportTo`.
 */
export type StartRing = (self: Context<never>, config: RingConfig) => Ref<Token> | Promise<Ref<Token>>;

// ---- Part 2: the front desk (request/reply with a timeout) ---------------------------------

/** A client's question to the desk. `id` is chosen by the client. */
export const Question = z.object({
  type: z.literal('question'),
  id: z.number().int(),
  text: z.string(),
  replyTo: refOf<DeskReply>(),
});
export type Question = z.infer<typeof Question>;

/** The desk's one and only reply to a question. */
export const DeskReply = z.discriminatedUnion('type', [
  z.object({ type: z.literal('answer'), id: z.number().int(), text: z.string() }),
  z.object({ type: z.literal('unavailable'), id: z.number().int(), reason: z.literal('timeout') }),
]);
export type DeskReply = z.infer<typeof DeskReply>;

/** The desk asks the back office (with `self.ask`) ... */
export const Lookup = z.object({ type: z.literal('lookup'), text: z.string(), replyTo: refOf<Found>() });
export type Lookup = z.infer<typeof Lookup>;

/** ... which answers, or not in time. */
export const Found = z.object({ type: z.literal('found'), text: z.string() });
export type Found = z.infer<typeof Found>;

export const DeskConfig = z.object({
  /** The back office to ask. */
  office: refOf<Lookup>(),
  /** Ms to wait for the office before replying 'unavailable'. */
  timeout: z.number().int().positive(),
});
export type DeskConfig = z.infer<typeof DeskConfig>;

/**
 * Entry point: spawn the desk and return its Ref. For each Question the desk asks the office
 * (`{ type: 'lookup', text }`) and replies exactly once: `answer` with the office's text, or
 * `unavailable` if the office has not answered within `timeout` ms. Questions are independent:
 * a slow one must not hold up the others.
 */
export type StartDesk = (self: Context<never>, config: DeskConfig) => Ref<Question> | Promise<Ref<Question>>;

/** What the tests check every message against. */
export const protocol = {
  toSystem: z.union([Question, Found]),
  fromSystem: z.union([Done, DeskReply, Lookup]),
};
