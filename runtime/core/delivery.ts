// The life of a message: send (a frozen copy made at the send site) → channel (FIFO per
// sender-receiver pair) → the scheduler picks the channel → deliver (to a waiting receive, a
// behaviour, or the mailbox).
import { NoSuchNameError, ProcessEndedError } from '../errors.ts';
import type { DownMessage, ExitReason } from '../exit.ts';
import { seal, type SendOptions } from '../message.ts';
import { isRef, type Ref } from '../ref.ts';
import type { DropCause } from '../trace.ts';
import type { Engine } from './engine.ts';
import { plainEnvelope, type Envelope } from './envelope.ts';
import { handle, taken } from './execution.ts';
import { Channel, SWEEP_AT, type Proc } from './proc.ts';
import { exitSignal, refuseControl, remoteControl } from './signals.ts';
import { keyedCurrent } from './process-timers.ts';

export function send(k: Engine, from: Proc | undefined, to: Ref | string, message: unknown, options?: SendOptions): void {
  const sender = from ?? k.outside;
  if (sender.exited) throw new ProcessEndedError();
  const target = resolve(k, to); // an unknown name fails before anything is copied or moved
  // Across a thread the encoding is the snapshot, so no copy is needed (unless the trace records the message).
  if (target.kernel !== k.id && k.trace === undefined && options?.transfer === undefined && k.router?.sendFar?.(k, sender.pid, target, message)) return;
  const msg = seal(message, options?.transfer);
  transmit(k, sender.pid, target, 'msg', msg, target.alias, undefined, k.id, options?.transfer !== undefined && options.transfer.length > 0);
}

export function resolve(k: Engine, to: Ref | string): Ref {
  if (typeof to === 'string') {
    const pid = k.registry.get(to);
    if (pid === undefined) throw new NoSuchNameError(to);
    return k.procs.get(pid)!.ref;
  }
  if (!isRef(to)) {
    throw new TypeError(`cannot send to ${describe(to)}: expected a Ref (from spawn, self.ref or a message) or a registered name`);
  }
  return to;
}

/** Puts a message or signal on its way: into the channel from `from` to the target, or to the target's kernel. */
export function transmit(
  k: Engine,
  from: number,
  target: Ref,
  kind: Envelope['kind'],
  msg: unknown,
  tag?: number,
  via?: Envelope['via'],
  fromKernel = k.id,
  moved = false,
): void {
  const id = k.scheduler.nextId();
  if (kind === 'msg') k.trace?.sent(from, target.pid, id, msg);
  else if (kind === 'exit') k.trace?.record({ kind: 'signal', from, to: target.pid, reason: msg as ExitReason });
  if (target.kernel === k.id && kind === 'msg' && tag === undefined && via === undefined && !moved && fromKernel === k.id) {
    accept(k, from, target.pid, id, msg, undefined); // a plain message: no envelope unless it needs one
    return;
  }
  const env: Envelope = { id, from, fromKernel, to: target.pid, kind, msg, tag, via, moved };
  if (target.kernel !== k.id) {
    if (!k.router) throw new Error(`no route to kernel ${target.kernel}`);
    k.router.transmit(k, env, target);
    return;
  }
  enqueue(k, env);
}

/** A keyed timer's message to its own process: an envelope that says which timer sent it. */
export function transmitTimer(k: Engine, proc: Proc, msg: unknown, timer: number): void {
  const env: Envelope = { id: k.scheduler.nextId(), from: proc.pid, fromKernel: k.id, to: proc.pid, kind: 'msg', msg, timer };
  k.trace?.sent(proc.pid, proc.pid, env.id, msg);
  enqueue(k, env);
}

/** Accepts an envelope for a local process (from this kernel or from the network). */
export function enqueue(k: Engine, env: Envelope): void {
  accept(k, env.from, env.to, env.id, env.msg, env);
}

/**
 * Takes a message for a local process: its envelope, or undefined for a plain message sent on
 * this kernel (plainEnvelope), whose envelope is made only when one is needed here.
 */
function accept(k: Engine, from: number, to: number, id: number, msg: unknown, env: Envelope | undefined): void {
  if (!k.up) {
    drop(k, env ?? plainEnvelope(id, from, k.id, to, msg), 'kernel-down');
    return;
  }
  const proc = k.procs.get(to);
  if (proc === undefined || proc.exited) {
    undeliverable(k, env ?? plainEnvelope(id, from, k.id, to, msg));
    return;
  }
  let channel = proc.lastFrom === from ? proc.lastChannel! : proc.inboundTable?.get(from);
  // Real time, an async loop already waiting in receive, nothing from this sender still on its
  // way: hand the message over now (its code resumes as a microtask either way). Skips the run
  // queue and a turn of the scheduler's loop per message; the order per sender is kept, since
  // nothing from it is queued. Deterministic mode always goes through the scheduler's choice.
  if (
    proc.waits.length > 0 &&
    proc.code === 'loop' &&
    (env === undefined || env.kind === 'msg') &&
    k.scheduler.mode === 'realtime' &&
    (channel === undefined || (channel.empty && channel.readyIndex < 0)) &&
    k.scheduler.handOver()
  ) {
    deliver(k, proc, env ?? plainEnvelope(id, from, k.id, to, msg));
    return;
  }
  if (channel === undefined) {
    if ((proc.inboundTable?.size ?? 0) >= proc.sweepAt) sweepChannels(proc);
    channel = new Channel(k.deliverer, proc, from, k.id);
    proc.inbound.set(from, channel);
  }
  proc.lastFrom = from;
  proc.lastChannel = channel;
  channel.used = true;
  if (env === undefined) channel.pushPlain(id, msg);
  else channel.push(env);
  k.scheduler.makeReady(channel);
}

/**
 * A long-lived server hears from many short-lived senders: forget the channels that are
 * empty (an empty channel holds no order to keep) and unused since the last sweep (so that
 * steady senders keep theirs). Amortised: the next sweep waits until the table has doubled.
 */
function sweepChannels(proc: Proc): void {
  for (const [from, channel] of proc.inbound) {
    if (channel.used) channel.used = false;
    else if (channel.empty && channel.readyIndex < 0) proc.inbound.delete(from);
  }
  if (!proc.inbound.has(proc.lastFrom)) {
    proc.lastFrom = -1;
    proc.lastChannel = undefined;
  }
  proc.sweepAt = Math.max(SWEEP_AT, proc.inbound.size * 2);
}

export function drop(k: Engine, env: Envelope, cause: DropCause): void {
  if (env.kind !== 'msg' && env.kind !== 'exit') return; // control and DOWN envelopes for nobody
  k.trace?.record({ kind: 'drop', from: env.from, to: env.to, id: env.id, cause, msg: env.msg });
  if (env.kind !== 'msg') return;
  k.deadLetters.push({ t: k.scheduler.now(), from: env.from, to: env.to, msg: env.msg, cause });
  if (k.deadLetters.length > 1000) k.deadLetters.shift();
}

/** An envelope for a process that is gone. A reply to an ask counts as a late reply. */
function undeliverable(k: Engine, env: Envelope): void {
  if (env.kind === 'link' || env.kind === 'monitor') refuseControl(k, env);
  else drop(k, env, env.kind === 'msg' && env.tag !== undefined ? 'late-reply' : 'dead');
}

export function deliver(k: Engine, proc: Proc, env: Envelope): void {
  if (proc.exited) {
    undeliverable(k, env);
    return;
  }
  if (env.kind === 'msg') {
    // the common case first
    if (env.tag !== undefined) {
      if (proc.aliasTable?.has(env.tag) !== true) {
        drop(k, env, 'late-reply');
        return;
      }
      env.ask = env.tag;
    } else if (env.timer !== undefined && !keyedCurrent(proc, env.timer)) {
      return; // its timer was cancelled or replaced meanwhile: never received (Akka's guarantee)
    }
    offer(k, proc, env);
    return;
  }
  switch (env.kind) {
    case 'exit':
      exitSignal(k, proc, env);
      return;
    case 'link':
    case 'unlink':
    case 'monitor':
    case 'demonitor':
      remoteControl(proc, env);
      return;
    case 'down': {
      const held = proc.watchingTable?.get(env.tag!);
      if (held === undefined) return; // demonitored: discard
      proc.watching.delete(env.tag!);
      // A 'down' envelope carries the exit reason; the DOWN message is made here.
      const down: DownMessage = Object.freeze({
        type: 'DOWN',
        monitor: Object.freeze({ monitor: env.tag! }),
        ref: held.target,
        reason: env.msg as ExitReason,
      });
      offer(k, proc, { ...env, msg: down, ask: held.ask });
      return;
    }
  }
}

export function offer(k: Engine, proc: Proc, env: Envelope): void {
  if (proc.sink) {
    k.trace?.delivered(env.from, proc.pid, env.id, 0);
    proc.sink(env);
    return;
  }
  const waits = proc.waits;
  for (let i = 0; i < waits.length; i++) {
    const wait = waits[i]!;
    let clause: number;
    try {
      clause = wait.select(env);
    } catch (err) {
      // A receive pattern that throws is the receiving process's bug: it crashes, nobody else.
      waits.splice(i, 1);
      proc.mailbox.push(env);
      k.crash(proc, err);
      return;
    }
    if (clause >= 0) {
      if (i === waits.length - 1) waits.pop();
      else waits.splice(i, 1);
      if (wait.timer) k.cancelTimer(proc, wait.timer);
      k.trace?.delivered(env.from, proc.pid, env.id, 0);
      k.current = proc;
      if (env.ask === undefined) taken(k, proc, env);
      wait.take(env, clause);
      return;
    }
  }
  if (proc.behavior?.receive && !proc.busy && env.ask === undefined && proc.started && !proc.resumeQueued) {
    k.trace?.delivered(env.from, proc.pid, env.id, 0);
    taken(k, proc, env);
    handle(k, proc, env);
    return;
  }
  proc.mailbox.push(env);
  k.trace?.delivered(env.from, proc.pid, env.id, proc.mailbox.length);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object that is not a Ref' : `a ${typeof value}`;
}
