// The handler-per-message style (Akka Typed, gen_server): a behaviour handles one message
// and returns the behaviour for the next one ("become"), `undefined` to keep the same, or
// `stop(reason)` to end the process. Brands use Symbol.for so that behaviours made by one
// copy of this module are recognised by another (each kernel may load its own copy).
import type { Context, SystemMessage } from './context.ts';
import type { ExitReason } from './exit.ts';

const BEHAVIOR = Symbol.for('mp.runtime.behavior');
const STOP = Symbol.for('mp.runtime.stop');

export type Next<M, S extends SystemMessage = never> = Behavior<M, S> | Stop | void | undefined;

/** `S`: the system messages it handles (EXIT when it traps exits, DOWN when it monitors). */
export interface Behavior<M, S extends SystemMessage = never> {
  readonly [BEHAVIOR]: true;
  // Methods, not function-valued fields: a behaviour of some messages fits where one of any is expected.
  /** Runs once when the process starts (or when this behaviour is made by `setup`). */
  setup?(self: Context<M, S>): Behavior<M, S> | void | Promise<Behavior<M, S> | void>;
  receive?(self: Context<M, S>, message: M | S): Next<M, S> | Promise<Next<M, S>>;
  /** Runs before the process ends by itself (see BehaviorOptions.terminate). */
  terminate?(self: Context<M, S>, reason: ExitReason): void | Promise<void>;
}

export interface BehaviorOptions<M, S extends SystemMessage = never> {
  /**
   * Clean-up, as OTP's terminate/2 and Akka's PostStop: runs when the behaviour ends by itself —
   * it returns stop(reason), its handler throws, or (trapping exits) its parent sends it an exit
   * signal such as a supervisor's 'shutdown' — and can still send. Not run when the process is
   * killed, or ended by an exit signal it does not trap, or by self.exit.
   */
  readonly terminate?: (self: Context<M, S>, reason: ExitReason) => void | Promise<void>;
}

export interface Stop {
  readonly [STOP]: true;
  readonly reason: ExitReason;
}

/** A behaviour: `handler(self, message)` runs for each message, in arrival order. */
export function behavior<M, S extends SystemMessage = never>(
  handler: (self: Context<M, S>, message: M | S) => Next<M, S> | Promise<Next<M, S>>,
  options: BehaviorOptions<M, S> = {},
): Behavior<M, S> {
  return Object.freeze({ [BEHAVIOR]: true as const, receive: handler, terminate: options.terminate });
}

/** A behaviour that needs the process context first (to spawn children, start timers, register). */
export function setup<M, S extends SystemMessage = never>(
  init: (self: Context<M, S>) => Behavior<M, S> | Promise<Behavior<M, S>>,
): Behavior<M, S> {
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
