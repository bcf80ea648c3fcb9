// Waiting: selective receive (one pattern, or select's several clauses), ask (request/reply
// with a one-shot reply alias and a monitor), and sleep. A process that has ended waits for
// ever: its leftover code stops at its next wait and nothing it does reaches anyone.
import { AskTargetExitedError, AskTimeoutError } from '../errors.ts';
import type { DownMessage } from '../exit.ts';
import { matchAny, type Matcher } from '../pattern.ts';
import { makeRef, type Ref } from '../ref.ts';
import { resolve as resolveName, send } from './delivery.ts';
import type { Engine } from './engine.ts';
import { isUserEnvelope, type Envelope } from './envelope.ts';
import { resumeWith, taken } from './execution.ts';
import type { Proc, Wait } from './proc.ts';
import type { Timer } from '../timers.ts';
import { startTimer } from './process-timers.ts';
import { demonitor, monitor } from './signals.ts';

/** What the code of a process that has ended gets from a wait: a promise that never settles. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

/**
 * Waits for the first message (in mailbox order) for which `select` gives a clause (>= 0), and
 * resolves to `take(message, clause)`; after `after` ms without one, to undefined. Each message
 * is tested once per wait: a pattern with side effects runs once per message.
 */
export function receive<T>(
  k: Engine,
  proc: Proc,
  select: (msg: unknown) => number,
  after: number,
  take: (msg: unknown, clause: number) => T,
): Promise<T | undefined> {
  if (proc.exited) return never();
  const mailbox = proc.mailbox;
  if (mailbox.length > 0) {
    let found = -1;
    const i = select === anyClause ? mailbox.findIndex(isUserEnvelope) : mailbox.findIndex((env) => env.ask === undefined && (found = select(env.msg)) >= 0);
    if (i >= 0) {
      const env = mailbox.removeAt(i);
      k.trace?.received(proc.pid, env.id);
      taken(k, proc, env);
      return Promise.resolve(take(env.msg, select === anyClause ? 0 : found));
    }
  }
  if (after <= 0) return Promise.resolve(undefined);
  const promise = new Promise<T | undefined>(capture);
  const resolve = captured as (value: T | undefined) => void;
  captured = undefined;
  // The process's last satisfied receive, if it had no timer, serves again: one object less per message of a loop.
  let wait = proc.spareWait as Receiving<T | undefined> | undefined;
  if (wait === undefined) wait = new Receiving<T | undefined>(k, proc, select, take, resolve);
  else {
    proc.spareWait = undefined;
    wait.pick = select;
    wait.make = take;
    wait.resolve = resolve;
  }
  if (after !== Infinity) {
    wait.timer = startTimer(k, proc, after, () => {
      removeWait(proc, wait);
      resumeWith(k, resolve, undefined);
    });
  }
  proc.addWait(wait);
  return promise;
}

/**
 * The executor of every pending receive's promise: it hands over the resolving function
 * through a variable, so a receive makes no closure of its own (one per message, in a loop).
 */
let captured: ((value: never) => void) | undefined;
function capture(resolve: (value: never) => void): void {
  captured = resolve;
}

/** A pending receive or select: one object, no closures, for the most common wait there is. */
export class Receiving<T> implements Wait {
  timer: Timer | undefined = undefined;
  constructor(
    private readonly k: Engine,
    private readonly proc: Proc,
    public pick: (msg: unknown) => number,
    public make: (msg: unknown, clause: number) => T,
    public resolve: (value: T) => void,
  ) {}

  select(env: Envelope): number {
    return env.ask === undefined ? this.pick(env.msg) : -1;
  }

  take(env: Envelope, clause: number): void {
    const resolve = this.resolve;
    const value = this.make(env.msg, clause);
    if (this.timer === undefined) {
      // Out of the process's waits now, and referenced by no timer: free for its next receive.
      this.resolve = settledAlready;
      this.proc.spareWait = this as Receiving<unknown>;
    }
    resumeWith(this.k, resolve, value);
  }
}

/** What a spare receive holds in place of the resolving function it has used (so that it keeps no promise alive). */
function settledAlready(): void {}

/** The usual receive: one matcher, the message itself. */
export function receiveMatching(k: Engine, proc: Proc, match: Matcher, after: number): Promise<unknown> {
  return receive(k, proc, match === matchAny ? anyClause : (msg) => (match(msg) ? 0 : -1), after, identity);
}

/** The clause picker of a receive without a pattern: every message matches. */
function anyClause(): number {
  return 0;
}

function identity(msg: unknown): unknown {
  return msg;
}

export function sleep(k: Engine, proc: Proc, ms: number): Promise<void> {
  if (proc.exited) return never();
  return new Promise((resolve) => {
    startTimer(k, proc, ms, () => resumeWith(k, resolve, undefined));
  });
}

export function ask(k: Engine, proc: Proc, to: Ref | string, make: (replyTo: Ref) => unknown, timeout: number): Promise<unknown> {
  if (proc.exited) return never();
  const target = resolveName(k, to);
  const askId = k.scheduler.nextId();
  const replyTo = makeRef(k.id, proc.pid, askId);
  const request = make(replyTo);
  proc.aliases.add(askId);
  const mon = monitor(k, proc, target, askId);
  try {
    send(k, proc, target, request);
  } catch (err) {
    proc.aliases.delete(askId);
    demonitor(k, proc, mon);
    return Promise.reject(err);
  }
  const label = k.label(target);
  return new Promise((resolve, reject) => {
    const finish = () => {
      proc.aliases.delete(askId);
      demonitor(k, proc, mon);
    };
    const wait: Wait = {
      select: (env) => (env.ask === askId ? 0 : -1),
      take: (env: Envelope) => {
        finish();
        if (env.kind === 'down') resumeWith(k, reject, new AskTargetExitedError(label, (env.msg as DownMessage).reason));
        else resumeWith(k, resolve, env.msg);
      },
    };
    wait.timer = startTimer(k, proc, timeout, () => {
      removeWait(proc, wait);
      finish();
      resumeWith(k, reject, new AskTimeoutError(label, timeout));
    });
    proc.addWait(wait);
  });
}

function removeWait(proc: Proc, wait: Wait): void {
  const i = proc.waits.indexOf(wait);
  if (i >= 0) proc.waits.splice(i, 1);
}
