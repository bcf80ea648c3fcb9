// The handler-per-message style (Akka Typed, gen_server): a behaviour handles one message
// and returns the behaviour for the next one ("become"), `undefined` to keep the same, or
// `stop(reason)` to end the process. The types (and brands) are in process.ts.
import type { ExitReason } from './exit.ts';
import { BEHAVIOR, STOP, type Behavior, type BehaviorOptions, type Context, type Next, type Stop, type SystemMessage } from './process.ts';

export type { Behavior, BehaviorOptions, Next, Stop } from './process.ts';

/** A behaviour: `handler(self, message)` runs for each message, in arrival order. */
export function behavior<M, S extends SystemMessage = never>(
  handler: (self: Context<M, S>, message: M | S) => Next<M, S> | Promise<Next<M, S>>,
  options?: BehaviorOptions<M, S>,
): Behavior<M, S> {
  // No default `{}`: a handler that returns a new behaviour per message (a counter's
  // `counter(n + 1)`) would make one more object per message for it.
  return Object.freeze({ [BEHAVIOR]: true as const, receive: handler, terminate: options?.terminate });
}

/** A behaviour that needs the process context first (to spawn children, start timers, register). */
export function setup<M, S extends SystemMessage = never>(init: (self: Context<M, S>) => Behavior<M, S> | Promise<Behavior<M, S>>): Behavior<M, S> {
  return Object.freeze({ [BEHAVIOR]: true as const, setup: init });
}

/** Return from a handler to end the process (reason defaults to 'normal'). */
export function stop(reason: ExitReason = 'normal'): Stop {
  return Object.freeze({ [STOP]: true as const, reason });
}

export function isBehavior(value: unknown): value is Behavior<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BEHAVIOR] === true;
}

export function isStop(value: unknown): value is Stop {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[STOP] === true;
}
