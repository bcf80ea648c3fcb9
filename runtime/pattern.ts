// Patterns for selective receive. A pattern is one of:
//  - a predicate `(m) => boolean` (a type guard `(m): m is X` narrows the result),
//  - a zod schema (anything with `safeParse`): the message matches if it parses,
//  - a shape `{ type: 'reply', id: 7 }`: every listed field equals (nested shapes recurse).
// An array of patterns matches when any of them does.

/** Anything with zod's `safeParse`; kept structural so that any zod instance works. */
export interface SchemaLike<T = unknown> {
  safeParse(value: unknown): { success: true; data: T } | { success: false };
}

type Primitive = string | number | boolean | null | undefined | bigint;
export type Shape<M> = M extends object ? { [K in keyof M]?: M[K] extends Primitive ? M[K] : Shape<M[K]> } : never;

export type Pattern<M> =
  | ((message: M) => boolean)
  | SchemaLike
  | Shape<M>;

/** The messages a pattern selects out of `M`. */
export type Matched<M, P> =
  P extends readonly (infer Q)[] ? Matched<M, Q> :
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  P extends (message: any) => message is infer N ? Extract<M, N> extends never ? N & M : Extract<M, N> :
  P extends (message: never) => boolean ? M :
  P extends SchemaLike<infer T> ? T :
  P extends object ? Extract<M, P> extends never ? M : Extract<M, P> :
  M;

export type Matcher = (message: unknown) => boolean;

export const matchAny: Matcher = () => true;

export function toMatcher(pattern: unknown): Matcher {
  if (pattern === undefined) return matchAny;
  if (typeof pattern === 'function') return pattern as Matcher;
  if (Array.isArray(pattern)) {
    const matchers = pattern.map(toMatcher);
    return (m) => matchers.some((match) => match(m));
  }
  if (typeof pattern === 'object' && pattern !== null) {
    if (typeof (pattern as SchemaLike).safeParse === 'function') {
      const schema = pattern as SchemaLike;
      return (m) => schema.safeParse(m).success;
    }
    return (m) => matchesShape(m, pattern as Record<string, unknown>);
  }
  throw new TypeError(`a receive pattern must be a function, a zod schema or a shape object, got ${typeof pattern}`);
}

function matchesShape(value: unknown, shape: Record<string, unknown>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const key of Object.keys(shape)) {
    const want = shape[key];
    const got = (value as Record<string, unknown>)[key];
    if (typeof want === 'object' && want !== null) {
      if (!matchesShape(got, want as Record<string, unknown>)) return false;
    } else if (!Object.is(got, want)) {
      return false;
    }
  }
  return true;
}
