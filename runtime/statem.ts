// State machines in the style of OTP's gen_statem (the tutorial's "pattern matching and state
// machines"): one handler per state (state functions), a state enter call, state timeouts and
// postponing. Built on behaviours, keyed timers and stash: no special powers.
//
//  - The handler of the current state gets each event (a message, or the state timeout) with
//    the data, and returns nextState(state, data?, actions?), keepState(data?, actions?),
//    postpone(), stop(reason), or nothing (keep state and data).
//  - On a change of state: the state timeout is cancelled, the transition's actions apply, the
//    new state's `enter` runs (it may update the data and set a state timeout, not change
//    state), and every postponed event is handled again, before newer ones, in its order.
//    `enter` also runs for the initial state (with `from` equal to it, as in gen_statem).
//  - A state timeout (actions { stateTimeout: ms }) delivers { type: 'state_timeout', state }
//    after ms unless the state changes first; setting it again restarts it; Infinity cancels it.
import { behavior, isStop, setup, type Behavior, type Stop } from './behavior.ts';
import type { Context, SystemMessage } from './context.ts';
import type { ExitReason } from './exit.ts';

const TRANSITION = Symbol.for('mp.runtime.transition');
/** The keyed timer behind the state timeout. */
const STATE_TIMEOUT = 'mp:state_timeout';

/** The event a state timeout delivers. */
export interface StateTimeout<State extends string = string> {
  readonly type: 'state_timeout';
  /** The state that set it (always the current one: a change of state cancels it). */
  readonly state: State;
}

export interface Actions {
  /** Ms until a state_timeout event in this state; Infinity cancels it. */
  readonly stateTimeout?: number;
}

export interface NextState<State, D> {
  readonly [TRANSITION]: 'next';
  readonly state: State;
  readonly data?: D;
  readonly actions?: Actions;
}

export interface KeepState<D> {
  readonly [TRANSITION]: 'keep';
  readonly data?: D;
  readonly actions?: Actions;
}

export interface Postpone {
  readonly [TRANSITION]: 'postpone';
}

export type Transition<State, D> = NextState<State, D> | KeepState<D> | Postpone | Stop | void | undefined;

export interface StateSpec<M, State extends string, D, S extends SystemMessage = never> {
  /** The state enter call: runs on entering this state; may return keepState(data, actions). */
  readonly enter?: (self: Context<M, S>, data: D, from: State) => KeepState<D> | void;
  /** Handles one event in this state. */
  readonly on: (self: Context<M, S>, event: M | S | StateTimeout<State>, data: D) => Transition<State, D> | Promise<Transition<State, D>>;
}

export interface StateMachineSpec<M, State extends string, D, S extends SystemMessage = never> {
  readonly initial: State;
  readonly data: D;
  readonly states: { readonly [K in State]: StateSpec<M, State, D, S> };
  /** Runs before the machine ends by itself (see behavior's terminate), with its last state and data. */
  readonly terminate?: (self: Context<M, S>, reason: ExitReason, state: State, data: D) => void | Promise<void>;
}

/** Go to `state` (with new `data`, if given). Going to the same state keeps its state timeout and runs no enter. */
export function nextState<State, D>(state: State, data?: D, actions?: Actions): NextState<State, D> {
  return Object.freeze({ [TRANSITION]: 'next' as const, state, data, actions });
}

/** Stay in the state (with new `data`, if given). */
export function keepState(): KeepState<never>;
export function keepState(data: undefined, actions: Actions): KeepState<never>;
export function keepState<D>(data: D, actions?: Actions): KeepState<D>;
export function keepState<D>(data?: D, actions?: Actions): KeepState<D> {
  return Object.freeze({ [TRANSITION]: 'keep' as const, data, actions });
}

/** Put this event aside until the state changes; it is then handled again, before newer events. */
export function postpone(): Postpone {
  return POSTPONE;
}

const POSTPONE: Postpone = Object.freeze({ [TRANSITION]: 'postpone' as const });

/** A behaviour running the state machine `spec`. */
export function stateMachine<M, State extends string, D, S extends SystemMessage = never>(spec: StateMachineSpec<M, State, D, S>): Behavior<M, S> {
  if (spec.states[spec.initial] === undefined) throw new TypeError(`the initial state "${spec.initial}" has no entry in states`);
  return setup<M, S>((self) => {
    let state = spec.initial;
    let data = spec.data;
    const timers = self.timers as unknown as Context<StateTimeout<State>>['timers'];

    const apply = (actions: Actions | undefined): void => {
      const ms = actions?.stateTimeout;
      if (ms === undefined) return;
      if (ms === Infinity) timers.cancel(STATE_TIMEOUT);
      else timers.start(STATE_TIMEOUT, ms, { type: 'state_timeout', state });
    };

    const enter = (from: State): void => {
      const result = spec.states[state].enter?.(self, data, from);
      if (result === undefined) return;
      if (!isTransition(result) || result[TRANSITION] !== 'keep') {
        throw new TypeError(`the enter call of state "${state}" may only return keepState(...) or nothing: it cannot change state or postpone`);
      }
      if (result.data !== undefined) data = result.data;
      apply(result.actions);
    };

    const step = (t: Transition<State, D>): Stop | undefined => {
      if (t === undefined || t === null) return undefined;
      if (isStop(t)) return t;
      if (!isTransition(t)) {
        throw new TypeError(`state "${state}" returned something that is not nextState(...), keepState(...), postpone(), stop(...) or nothing`);
      }
      switch (t[TRANSITION]) {
        case 'postpone':
          self.stash();
          return undefined;
        case 'keep':
          if (t.data !== undefined) data = t.data;
          apply(t.actions);
          return undefined;
        case 'next': {
          if (spec.states[t.state] === undefined) throw new TypeError(`nextState("${String(t.state)}"): no such state`);
          if (t.data !== undefined) data = t.data;
          if (t.state === state) {
            apply(t.actions);
            return undefined;
          }
          const from = state;
          timers.cancel(STATE_TIMEOUT);
          state = t.state;
          apply(t.actions);
          enter(from);
          self.unstashAll();
          return undefined;
        }
      }
    };

    enter(state);
    return behavior<M, S>(
      (ctx, event) => {
        const result = spec.states[state].on(ctx, event, data);
        return isThenable(result) ? Promise.resolve(result).then(step) : step(result);
      },
      {
        terminate: spec.terminate && ((ctx, reason) => spec.terminate!(ctx, reason, state, data)),
      },
    );
  });
}

function isTransition(value: unknown): value is NextState<unknown, unknown> | KeepState<unknown> | Postpone {
  return typeof value === 'object' && value !== null && TRANSITION in value;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}
