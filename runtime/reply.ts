// The types of request/reply (`ask`): which reply an ask resolves to, read off the protocol.
// Type-only: nothing here exists at run time.
import type { Ref } from './ref.ts';

export interface AskOptions {
  /** Milliseconds to wait for the reply (default 5000). A reply after that is dropped. */
  readonly timeout?: number;
}

declare const replyRef: unique symbol;

/**
 * The reference `ask` hands to `make`: put it in the request (in whichever field the protocol
 * gives the reply's address, `replyTo` or another), and the ask resolves to the reply that
 * field's `Ref<R>` names. It fits any `Ref<R>` field; it takes one reply, until the ask ends.
 */
export interface ReplyRef extends Ref<unknown> {
  /** Compile-time only: marks the field of a request that carries the reply reference. */
  readonly [replyRef]: true;
}

/** The members of the union T that the request M (as built by `make`) is one of. */
type MemberOf<T, M> = T extends unknown ? ([M] extends [T] ? T : never) : never;

/** The fields of M that hold the ReplyRef handed to `make`. */
type ReplyFields<M> = { [K in keyof M]-?: M[K] extends ReplyRef ? K : never }[keyof M];

/** What a `Ref<R>` (or `Ref<R> | undefined`) accepts: R. */
type Accepts<F> = F extends Ref<infer R> ? R : never;

/** R of the member's `Ref<R>` field that holds the ReplyRef; its `replyTo` field when M's type hides which one. */
type ReplyIn<P, M> = [ReplyFields<M>] extends [never] ? ('replyTo' extends keyof P ? Accepts<P['replyTo']> : unknown) : Accepts<P[ReplyFields<M> & keyof P]>;

/**
 * The reply to the request M sent to a process that accepts T: the message type R of the
 * `Ref<R>` field in which M carries its ReplyRef (`unknown` when the protocol does not say).
 */
export type ReplyOf<T, M> = unknown extends T
  ? unknown
  : [MemberOf<T, M>] extends [never]
    ? unknown
    : MemberOf<T, M> extends infer P
      ? P extends unknown
        ? ReplyIn<P, M>
        : never
      : never;

/** `ask`'s result: R when it is given (`ask<Found>(…)`), otherwise read off the protocol. */
export type AskReply<R, T, M> = [R] extends [never] ? ReplyOf<T, M> : R;

/** Anything that can ask: a process context or a system. */
export interface Asker {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ask<R = never, T = any, const M extends T = T>(to: Ref<T> | string, make: (replyTo: ReplyRef) => M, options?: AskOptions): Promise<AskReply<R, T, M>>;
}
