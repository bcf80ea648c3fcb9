// The handler-per-message style (Akka Typed, gen_server): a behaviour handles one message
// and returns the behaviour for the next one ("become"), `undefined` to keep the same, or
// `stop(reason)` to end the process. Brands use Symbol.for so that behaviours made by one
// copy of this module are recognised by another (each kernel may load its own copy).
import type { ExitReason } from './exit.ts';
import type { Context } from './context.ts';

const BEHAVIOR = Symbol.for('mp.runtime.behavior');
const STOP = Symbol.for('mp.runtime.stop');

export type Next<M> = Behavior<M> | Stop | void | undefined;

export interface Behavior<M> {
  readonly [BEHAVIOR]: true;
  /** Runs once when the process starts (or when this behaviour is made by `setup`). */
  readonly setup?: (self: Context<M>) => Behavior<M> | void | Promise<Behavior<M> | void>;
  readonly receive?: (self: Context<M>, message: M) => Next<M> | Promise<Next<M>>;
}

export interface Stop {
  readonly [STOP]: true;
  readonly reason: ExitReason;
}

/** A behaviour: `handler(self, message)` runs for each message, in arrival order. */
export function behavior<M>(handler: (self: Context<M>, message: M) => Next<M> | Promise<Next<M>>): Behavior<M> {
  return { [BEHAVIOR]: true, receive: handler };
}

/** A behaviour that needs the process context first (to spawn children, start timers, register). */
export function setup<M>(init: (self: Context<M>) => Behavior<M> | Promise<Behavior<M>>): Behavior<M> {
  return { [BEHAVIOR]: true, setup: init };
}

/** Return from a handler to end the process (reason defaults to 'normal'). */
export function stop(reason: ExitReason = 'normal'): Stop {
  return { [STOP]: true, reason };
}

export function isBehavior(value: unknown): value is Behavior<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BEHAVIOR] === true;
}

export function isStop(value: unknown): value is Stop {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[STOP] === true;
}
