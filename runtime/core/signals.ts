// Links, monitors and exit signals (erlang:link/1, monitor/2, exit/2, trap_exit), and the
// end of a process: its timers are cancelled, its names released, its links and monitors told.
import { MessageError, NoProcError } from '../errors.ts';
import { errorReason, type ExitMessage, type ExitReason, type MonitorRef } from '../exit.ts';
import { seal } from '../message.ts';
import { makeRef, type Ref } from '../ref.ts';
import { enqueue, offer, transmit } from './delivery.ts';
import { TOMBSTONES, type Engine } from './engine.ts';
import type { Envelope } from './envelope.ts';
import type { Proc } from './proc.ts';
import { releaseNames } from './registry.ts';

/**
 * link/1. Linking to a process that is gone: a caller that traps exits gets an EXIT with
 * reason 'noproc'; any other caller gets a NoProcError it can catch (Erlang's error:noproc).
 * For a process in another thread nobody can tell at once: 'noproc' arrives as an exit signal.
 */
export function link(k: Engine, proc: Proc, to: Ref): void {
  if (to.pid === proc.pid) return;
  if (k.isFar(to)) {
    proc.links.set(to.pid, to);
    transmit(k, proc.pid, to, 'link', null);
    return;
  }
  const target = k.lookup(to);
  if (target === undefined || target.exited) {
    if (!proc.trapExit) throw new NoProcError(k.label(to), 'link to');
    proc.links.set(to.pid, to);
    transmit(k, to.pid, proc.ref, 'exit', 'noproc', undefined, 'link', to.kernel);
    return;
  }
  proc.links.set(to.pid, to);
  target.links.set(proc.pid, proc.ref);
}

export function unlink(k: Engine, proc: Proc, to: Ref): void {
  proc.links.delete(to.pid);
  if (k.isFar(to)) transmit(k, proc.pid, to, 'unlink', null);
  else k.lookup(to)?.links.delete(proc.pid);
}

export function monitor(k: Engine, proc: Proc, to: Ref, ask?: number): MonitorRef {
  const id = k.scheduler.nextId();
  proc.watching.set(id, { target: to, ask });
  if (k.isFar(to)) {
    transmit(k, proc.pid, to, 'monitor', null, id);
  } else {
    const target = k.lookup(to);
    if (target === undefined || target.exited) transmit(k, to.pid, proc.ref, 'down', 'noproc', id, undefined, to.kernel);
    else target.watchers.set(id, proc.ref);
  }
  return Object.freeze({ monitor: id });
}

/**
 * Removes a monitor; a DOWN still on its way is discarded. With `flush`, a DOWN already in the
 * mailbox goes too (erlang:demonitor(Ref, [flush])). True if the monitor was still active.
 */
export function demonitor(k: Engine, proc: Proc, monitor: MonitorRef, flush = false): boolean {
  const id = monitor.monitor;
  const held = proc.watching.get(id);
  if (flush) {
    const i = proc.mailbox.findIndex((env) => env.kind === 'down' && env.tag === id);
    if (i >= 0) proc.mailbox.removeAt(i);
  }
  if (held === undefined) return false;
  proc.watching.delete(id);
  if (k.isFar(held.target)) transmit(k, proc.pid, held.target, 'demonitor', null, id);
  else k.lookup(held.target)?.watchers.delete(id);
  return true;
}

/** A link or monitor request from a process in another thread. */
export function remoteControl(proc: Proc, env: Envelope): void {
  const from = makeRef(env.fromKernel, env.from);
  switch (env.kind) {
    case 'link':
      proc.links.set(env.from, from);
      return;
    case 'unlink':
      proc.links.delete(env.from);
      return;
    case 'monitor':
      proc.watchers.set(env.tag!, from);
      return;
    case 'demonitor':
      proc.watchers.delete(env.tag!);
      return;
  }
}

/** A request for a process that is gone: answer as Erlang does (noproc). */
export function refuseControl(k: Engine, env: Envelope): void {
  const from = makeRef(env.fromKernel, env.from);
  if (env.kind === 'link') transmit(k, env.to, from, 'exit', 'noproc', undefined, 'link');
  else if (env.kind === 'monitor') transmit(k, env.to, from, 'down', 'noproc', env.tag);
}

/**
 * Another thread's kernel is gone: everything linked to or monitoring its processes
 * learns it with reason 'noconnection', as when an Erlang node goes down.
 */
export function peerDown(k: Engine, kernel: number): void {
  for (const proc of k.procs.values()) {
    if (proc.exited) continue;
    for (const [id, held] of proc.watchingTable ?? []) {
      if (held.target.kernel === kernel)
        enqueue(k, { id: k.scheduler.nextId(), from: held.target.pid, fromKernel: kernel, to: proc.pid, kind: 'down', msg: 'noconnection', tag: id });
    }
    for (const linked of proc.linkTable?.values() ?? []) {
      if (linked.kernel === kernel)
        enqueue(k, { id: k.scheduler.nextId(), from: linked.pid, fromKernel: kernel, to: proc.pid, kind: 'exit', msg: 'noconnection', via: 'link' });
    }
  }
}

/** exit/2: send an exit signal to another process. */
export function signal(k: Engine, from: Proc | undefined, to: Ref, reason: ExitReason): void {
  const sender = from ?? k.outside;
  transmit(k, sender.pid, to, 'exit', seal(reason), undefined, reason === 'kill' ? 'kill' : 'exit');
}

export function exitSignal(k: Engine, proc: Proc, env: Envelope): void {
  const reason = env.msg as ExitReason;
  if (env.via === 'link') {
    if (proc.linkTable?.delete(env.from) !== true) return; // unlinked meanwhile: the signal is void
  }
  if (env.via === 'kill') {
    exit(k, proc, 'killed');
  } else if (proc.trapExit) {
    const message: ExitMessage = Object.freeze({ type: 'EXIT', from: makeRef(env.fromKernel, env.from), reason });
    offer(k, proc, { ...env, kind: 'msg', msg: message });
  } else if (reason === 'normal') {
    if (env.from === proc.pid) exit(k, proc, 'normal'); // exit(self(), normal) ends the caller
  } else {
    exit(k, proc, reason);
  }
}

/** Ends a process: its timers are cancelled, names released, links and monitors notified. */
export function exit(k: Engine, proc: Proc, reason: ExitReason): void {
  if (proc.exited || proc === k.outside) return;
  reason = sendable(reason);
  proc.exited = true;
  proc.reason = reason;
  for (const wake of proc.startWaiters.splice(0)) wake(); // ended before it started: nobody waits for ever
  proc.behavior = undefined;
  for (const timer of proc.timerTable ?? []) k.scheduler.cancelTimer(timer);
  proc.timerTable = undefined;
  proc.dropWaits();
  proc.mailbox.clear();
  proc.aliasTable = undefined;
  proc.stash = undefined;
  proc.keyed = undefined;
  proc.keyedIds = undefined;
  proc.receiveTimeout = undefined;
  releaseNames(k, proc);
  k.trace?.record({ kind: 'exit', pid: proc.pid, reason });
  for (const [id, held] of proc.watchingTable ?? []) k.lookup(held.target)?.watcherTable?.delete(id);
  proc.watchingTable = undefined;
  for (const linked of proc.linkTable?.values() ?? []) {
    transmit(k, proc.pid, linked, 'exit', reason, undefined, 'link');
  }
  proc.linkTable = undefined;
  for (const [id, watcher] of proc.watcherTable ?? []) transmit(k, proc.pid, watcher, 'down', reason, id);
  proc.watcherTable = undefined;
  proc.inboundTable = undefined;
  proc.lastChannel = undefined;
  k.procs.delete(proc.pid);
  k.tombstones.set(proc.pid, { name: proc.name, reason, trapExit: proc.trapExit });
  if (k.tombstones.size > TOMBSTONES) k.tombstones.delete(k.tombstones.keys().next().value!);
}

/** A kernel crash: every process on it ends with `reason` (for simulated kernels). */
export function crashAll(k: Engine, reason: ExitReason): void {
  for (const proc of k.procs.values()) exit(k, proc, reason);
}

/**
 * An exit reason as linked and monitoring processes get it: a frozen copy, as a message is
 * (on any kernel, in any thread). A reason that could not be sent becomes an error saying so.
 */
function sendable(reason: ExitReason): ExitReason {
  if (typeof reason === 'string') return reason;
  try {
    return seal(reason);
  } catch (err) {
    if (!(err instanceof MessageError)) throw err;
    return errorReason(new MessageError(`the process ended with a reason that cannot be sent to the processes linked to or monitoring it: ${err.message}`));
  }
}

/** Removes an EXIT message from `ref` that is already in the mailbox (OTP's unlink_flush). True if there was one. */
export function flushExit(proc: Proc, ref: Ref): boolean {
  const i = proc.mailbox.findIndex((env) => env.kind === 'msg' && env.via !== undefined && env.from === ref.pid && env.fromKernel === ref.kernel);
  if (i < 0) return false;
  proc.mailbox.removeAt(i);
  return true;
}
