// A reference to a process: plain, frozen data, so it can travel inside messages and
// across kernel boundaries (structured clone keeps it intact). Location-transparent:
// `kernel` says where the process lives; `send` routes by it.
import { z } from 'zod';

declare const messageType: unique symbol;

/**
 * A reference to a process that accepts messages of type `M`. Sending checks the message
 * type at compile time. A bare `Ref` (M = any) stands for a reference to any process.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Ref<M = any> {
  readonly kernel: number;
  readonly pid: number;
  /** Set on reply references made by `ask`: valid for one reply, until the ask ends. */
  readonly alias?: number;
  /** Compile-time only: the messages this process accepts. Never present at run time. */
  readonly [messageType]?: (message: M) => void;
}

/** Marks values that are immutable by construction, so a send shares them without a look inside. */
export const SEALED = Symbol.for('mp.runtime.sealed');

/** True for a value marked immutable by construction (a Ref): a send shares it without a look inside. */
export function isSealed(value: object): boolean {
  return (value as Record<symbol, unknown>)[SEALED] === true && Object.isFrozen(value);
}

export function makeRef<M>(kernel: number, pid: number, alias?: number): Ref<M> {
  const ref = alias === undefined ? { kernel, pid } : { kernel, pid, alias };
  Object.defineProperty(ref, SEALED, { value: true }); // not enumerable: invisible to JSON and structured clone
  return Object.freeze(ref) as Ref<M>;
}

export function isRef(value: unknown): value is Ref {
  return typeof value === 'object' && value !== null && typeof (value as Ref).pid === 'number' && typeof (value as Ref).kernel === 'number';
}

export function sameProcess(a: Ref, b: Ref): boolean {
  return a.pid === b.pid && a.kernel === b.kernel;
}

/** Erlang-style display: <kernel.pid>, with the alias when there is one. */
export function formatRef(ref: Ref): string {
  return ref.alias === undefined ? `<${ref.kernel}.${ref.pid}>` : `<${ref.kernel}.${ref.pid}#${ref.alias}>`;
}

const refShape = z.object({ kernel: z.number().int(), pid: z.number().int(), alias: z.number().int().optional() });

/** A zod schema for a process reference inside a message: `replyTo: refOf<Reply>()`. */
export function refOf<M>(): z.ZodType<Ref<M>> {
  return refShape as unknown as z.ZodType<Ref<M>>;
}

export const RefSchema = refOf<unknown>();
