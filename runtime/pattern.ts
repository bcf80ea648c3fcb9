// Patterns for selective receive. A pattern is one of:
//  - a predicate `(m) => boolean` (a type guard `(m): m is X` narrows the result),
//  - a zod schema (anything with `safeParse`): the message matches if it parses,
//  - a shape, matched as Erlang matches a term against a pattern of literals:
//      an object matches an object (not an array) that has every listed key, each value
//        matching; other keys are allowed, as in an Erlang map pattern;
//      an array matches an array of the same length, element by element (as a list or tuple);
//      any other value matches the same value (Object.is: NaN matches NaN, 0 does not match -0);
//      `undefined` matches a key that is present with the value undefined, not a missing key.
// At the top level, an array of patterns matches when any of them does.

/** Anything with zod's `safeParse`; kept structural so that any zod instance works. */
export interface SchemaLike<T = unknown> {
  safeParse(value: unknown): { success: true; data: T } | { success: false };
}

type Primitive = string | number | boolean | null | undefined | bigint;
export type Shape<M> = M extends object ? { [K in keyof M]?: M[K] extends Primitive ? M[K] : Shape<M[K]> } : never;

/** A predicate on messages. Declared as a method so that a predicate on some of the messages fits a pattern on more. */
type Predicate<M> = { check(message: M): boolean }['check'];

export type Pattern<M> = Predicate<M> | SchemaLike | Shape<M>;

/** The messages a pattern selects out of `M`. */
export type Matched<M, P> = P extends readonly (infer Q)[]
  ? Matched<M, Q>
  : // eslint-disable-next-line @typescript-eslint/no-explicit-any
    P extends (message: any) => message is infer N
    ? Extract<M, N> extends never
      ? N & M
      : Extract<M, N>
    : P extends (message: never) => boolean
      ? M
      : P extends SchemaLike<infer T>
        ? T
        : P extends object
          ? [ShapeMatches<M, P>] extends [never]
            ? M
            : ShapeMatches<M, P>
          : M;

/** The members of M that a shape P can match: those whose fields P's fields fit. */
type ShapeMatches<M, P> = M extends unknown ? (P extends Shape<M> ? M : never) : never;

export type Matcher = (message: unknown) => boolean;

export const matchAny: Matcher = () => true;

export function toMatcher(pattern: unknown): Matcher {
  if (pattern === undefined) return matchAny;
  if (typeof pattern === 'function') return pattern as Matcher;
  if (Array.isArray(pattern)) {
    if (pattern.length === 0) throw new TypeError('an empty list of receive patterns matches nothing: give at least one pattern');
    const matchers = pattern.map(toMatcher);
    return (m) => matchers.some((match) => match(m));
  }
  if (typeof pattern === 'object' && pattern !== null) {
    if (typeof (pattern as SchemaLike).safeParse === 'function') {
      const schema = pattern as SchemaLike;
      return (m) => schema.safeParse(m).success;
    }
    return (m) => matchesShape(m, pattern as object, 0);
  }
  throw new TypeError(`a receive pattern must be a function, a zod schema or a shape object, got ${typeof pattern}`);
}

/** Erlang-style matching of a value against a shape of literals (see the top of this file). */
function matchesShape(value: unknown, shape: object, depth: number): boolean {
  if (typeof value !== 'object' || value === null || depth > 200) return false;
  if (Array.isArray(shape)) {
    if (!Array.isArray(value) || value.length !== shape.length) return false;
    for (let i = 0; i < shape.length; i++) if (!matchesValue(value[i], shape[i], depth)) return false;
    return true;
  }
  if (Array.isArray(value)) return false;
  for (const key of Object.keys(shape)) {
    if (!Object.hasOwn(value, key)) return false;
    if (!matchesValue((value as Record<string, unknown>)[key], (shape as Record<string, unknown>)[key], depth)) return false;
  }
  return true;
}

function matchesValue(got: unknown, want: unknown, depth: number): boolean {
  return typeof want === 'object' && want !== null ? matchesShape(got, want, depth + 1) : Object.is(got, want);
}
