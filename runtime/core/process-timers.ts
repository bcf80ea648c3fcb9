// Timers owned by a process: they die with it. Three kinds, all in virtual time:
//  - send_after (`setTimer`) and start_timer (`startTimer`, which wraps the message in
//    { type: 'timeout', timer, msg }), as in Erlang: cancel or read one by its TimerRef;
//  - keyed timers (Akka's TimerScheduler): starting a key again replaces its timer, and a
//    message of a cancelled or replaced timer is never received, even if it is already queued;
//  - the receive timeout: a message after `ms` without a message.
import type { TimerRef } from '../context.ts';
import { seal } from '../message.ts';
import type { Timer } from '../timers.ts';
import { transmit, transmitTimer } from './delivery.ts';
import type { Engine } from './engine.ts';
import type { Envelope } from './envelope.ts';
import type { KeyedTimer, Proc } from './proc.ts';

/** The timer behind each TimerRef handed to process code (the ref itself is plain frozen data). */
const timerRefs = new WeakMap<TimerRef, { readonly proc: Proc; readonly timer: Timer }>();

/** The key of the receive timeout among a process's keyed timers (no string key can clash with it). */
const RECEIVE_TIMEOUT = Symbol('receive timeout');

export function startTimer(k: Engine, proc: Proc, ms: number, fire: () => void): Timer {
  const id = k.scheduler.nextId();
  const timer: Timer = k.scheduler.setTimer(
    ms,
    () => {
      proc.timerTable?.delete(timer);
      if (proc.exited) return; // a timer never outlives its process
      k.trace?.record({ kind: 'timer', pid: proc.pid, op: 'fire', timer: id, due: timer.due });
      k.current = proc;
      fire();
    },
    id,
  );
  proc.timers.add(timer);
  k.trace?.record({ kind: 'timer', pid: proc.pid, op: 'set', timer: id, due: timer.due });
  return timer;
}

export function cancelTimer(k: Engine, proc: Proc, timer: Timer): void {
  if (proc.timerTable?.delete(timer) !== true) return;
  k.scheduler.cancelTimer(timer);
  k.trace?.record({ kind: 'timer', pid: proc.pid, op: 'cancel', timer: timer.id, due: timer.due });
}

/** erlang:send_after/3 to the process itself. */
export function sendAfter(k: Engine, proc: Proc, ms: number, message: unknown): TimerRef {
  const msg = seal(message);
  const timer = startTimer(k, proc, ms, () => transmit(k, proc.pid, proc.ref, 'msg', msg));
  const ref: TimerRef = Object.freeze({ timer: timer.id });
  timerRefs.set(ref, { proc, timer });
  return ref;
}

/** erlang:start_timer/3 to the process itself: the message arrives as { type: 'timeout', timer, msg }. */
export function startTimeout(k: Engine, proc: Proc, ms: number, message: unknown): TimerRef {
  const msg = seal(message);
  let ref: TimerRef | undefined;
  const timer = startTimer(k, proc, ms, () => transmit(k, proc.pid, proc.ref, 'msg', Object.freeze({ type: 'timeout', timer: ref!, msg })));
  ref = Object.freeze({ timer: timer.id });
  timerRefs.set(ref, { proc, timer });
  return ref;
}

/** erlang:read_timer/1: the ms left before a pending timer of this process fires, or false. */
export function readTimer(k: Engine, proc: Proc, ref: TimerRef): number | false {
  const held = timerRefs.get(ref);
  if (held === undefined || held.proc !== proc || proc.timerTable?.has(held.timer) !== true) return false;
  return Math.max(0, held.timer.due - k.scheduler.now());
}

/** erlang:cancel_timer/1: the ms that were left, or false if the timer had fired or was cancelled. */
export function cancelTimerRef(k: Engine, proc: Proc, ref: TimerRef): number | false {
  const left = readTimer(k, proc, ref);
  if (left !== false) cancelTimer(k, proc, timerRefs.get(ref)!.timer);
  return left;
}

// ---- keyed timers ------------------------------------------------------------------------

export function startKeyed(k: Engine, proc: Proc, key: string | symbol, ms: number, message: unknown, periodic: boolean): void {
  const msg = seal(message);
  cancelKeyed(k, proc, key);
  const keyed = (proc.keyed ??= new Map());
  const ids = (proc.keyedIds ??= new Map());
  const arm = (delay: number): Timer =>
    startTimer(k, proc, delay, () => {
      entry.timer = periodic ? arm(ms) : undefined;
      transmitTimer(k, proc, msg, entry.id);
    });
  const first = arm(ms);
  const entry: KeyedTimer = { key, id: first.id, timer: first, interval: periodic ? ms : undefined, msg };
  keyed.set(key, entry);
  ids.set(entry.id, entry);
}

/** Cancels the timer of `key`, and discards its message if it is already queued or stashed. */
export function cancelKeyed(k: Engine, proc: Proc, key: string | symbol): void {
  const entry = proc.keyed?.get(key);
  if (entry === undefined) return;
  proc.keyed!.delete(key);
  proc.keyedIds!.delete(entry.id);
  if (entry.timer !== undefined) cancelTimer(k, proc, entry.timer);
  const stale = (env: Envelope) => env.timer === entry.id;
  for (let i = proc.mailbox.findIndex(stale); i >= 0; i = proc.mailbox.findIndex(stale)) proc.mailbox.removeAt(i);
  if (proc.stash !== undefined) proc.stash = proc.stash.filter((env) => !stale(env));
}

export function cancelAllKeyed(k: Engine, proc: Proc): void {
  for (const key of [...(proc.keyed?.keys() ?? [])]) if (key !== RECEIVE_TIMEOUT) cancelKeyed(k, proc, key);
}

export function keyedActive(proc: Proc, key: string | symbol): boolean {
  return proc.keyed?.get(key)?.timer !== undefined;
}

/** True while a keyed timer's message is current (its timer was neither cancelled nor replaced). */
export function keyedCurrent(proc: Proc, id: number): boolean {
  return proc.keyedIds?.has(id) ?? false;
}

/** A keyed timer's message was taken: a single timer that has fired is done. */
export function keyedTaken(proc: Proc, id: number): void {
  const entry = proc.keyedIds?.get(id);
  if (entry === undefined || entry.interval !== undefined || entry.timer !== undefined) return;
  proc.keyedIds!.delete(id);
  if (proc.keyed!.get(entry.key) === entry) proc.keyed!.delete(entry.key);
}

// ---- receive timeout --------------------------------------------------------------------

/** After `ms` without a message, `message` arrives; each message taken restarts the wait. */
export function setReceiveTimeout(k: Engine, proc: Proc, ms: number, message: unknown): void {
  proc.receiveTimeout = { ms, msg: seal(message) };
  startKeyed(k, proc, RECEIVE_TIMEOUT, ms, proc.receiveTimeout.msg, false);
}

export function cancelReceiveTimeout(k: Engine, proc: Proc): void {
  proc.receiveTimeout = undefined;
  cancelKeyed(k, proc, RECEIVE_TIMEOUT);
}

/**
 * A message was taken: the receive timeout starts again, unless the message is the timeout
 * itself (it fires once per quiet spell, as gen_server's timeout; the next message re-arms it).
 */
export function restartReceiveTimeout(k: Engine, proc: Proc, env: Envelope): void {
  const timeout = proc.receiveTimeout!;
  if (env.timer !== undefined && proc.keyed?.get(RECEIVE_TIMEOUT)?.id === env.timer) return;
  startKeyed(k, proc, RECEIVE_TIMEOUT, timeout.ms, timeout.msg, false);
}
