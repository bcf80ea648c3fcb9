// Stash (Akka's StashBuffer): a behaviour puts aside the message it is handling, to handle it
// later, after a change of state; unstashAll puts the stashed messages back at the front of
// the mailbox, in their order. Bounded, as Akka's is: an unbounded stash is an unbounded mailbox.
import { StashOverflowError } from '../errors.ts';
import type { Engine } from './engine.ts';
import { resumeLater } from './execution.ts';
import type { Proc } from './proc.ts';

export const STASH_CAPACITY = 1000;

export function stash(proc: Proc): void {
  const env = proc.handling;
  if (proc.code !== 'behavior' || env === undefined) {
    throw new TypeError(
      'stash() puts aside the message a behaviour is handling: call it inside a behavior handler ' +
        '(an async loop leaves messages in the mailbox with a selective receive instead)',
    );
  }
  const stashed = (proc.stash ??= []);
  if (stashed.includes(env)) return;
  if (stashed.length >= STASH_CAPACITY) {
    throw new StashOverflowError(`the stash is full (${STASH_CAPACITY} messages): unstash before stashing more`);
  }
  stashed.push(env);
}

export function unstashAll(k: Engine, proc: Proc): void {
  const stashed = proc.stash;
  if (stashed === undefined || stashed.length === 0) return;
  proc.stash = undefined;
  proc.mailbox.unshiftAll(stashed);
  resumeLater(k, proc);
}
