// Running process code. An async loop runs until it awaits something; a behaviour handles
// one message at a time, each as its own scheduler event. A throw or a rejection in either
// ends the process with an error reason (let it crash), never the system. A behaviour that
// ends by itself (stop(), a crash in its handler, or an exit signal from its parent while it
// traps exits) runs its terminate hook first, as OTP's terminate/2 and Akka's PostStop.
import { isBehavior, isStop, type Behavior } from '../behavior.ts';
import { ProcessContext, type AnyBody, type SpawnOptions } from '../context.ts';
import { errorReason, type ExitMessage, type ExitReason } from '../exit.ts';
import { makeRef, type Ref } from '../ref.ts';
import { isUserEnvelope, type Envelope } from './envelope.ts';
import type { Engine } from './engine.ts';
import { Proc } from './proc.ts';
import { exit, monitor } from './signals.ts';
import { keyedTaken, restartReceiveTimeout } from './process-timers.ts';

export function spawn(k: Engine, parent: Proc | undefined, body: AnyBody, options: SpawnOptions = {}): Ref {
  if (typeof body !== 'function' && !isBehavior(body)) {
    throw new TypeError('spawn needs an async function (self) => { ... } or a behavior(...)');
  }
  const pid = k.scheduler.nextPid();
  const proc = new Proc(k, pid, makeRef(k.id, pid), options.name, (parent ?? k.outside).ref);
  k.procs.set(pid, proc);
  if (options.name !== undefined) k.trace?.label(pid, options.name);
  k.trace?.record({ kind: 'spawn', pid, parent: parent?.pid ?? 0, name: options.name });
  if (options.link && parent) {
    parent.links.set(pid, proc.ref);
    proc.links.set(parent.pid, parent.ref);
  }
  k.scheduler.task(() => start(k, proc, body));
  return proc.ref;
}

/** spawn_monitor: spawns and monitors in one step, before the new process can run. */
export function spawnMonitor(k: Engine, parent: Proc, body: AnyBody, options: SpawnOptions = {}) {
  const ref = spawn(k, parent, body, options);
  return Object.freeze({ ref, monitor: monitor(k, parent, ref) });
}

/** Resolves once the process's code has started (its synchronous part has run), or it has ended. */
export function whenStarted(k: Engine, ref: Ref): Promise<void> {
  const proc = k.local(ref);
  if (proc === undefined || proc.started || proc.exited) return Promise.resolve();
  return new Promise((resolve) => proc.startWaiters.push(() => resumeWith(k, resolve, undefined)));
}

function start(k: Engine, proc: Proc, body: AnyBody): void {
  if (proc.exited) return;
  proc.started = true;
  proc.ctx = new ProcessContext(proc);
  k.current = proc;
  try {
    run(k, proc, body);
  } finally {
    for (const wake of proc.startWaiters.splice(0)) wake();
  }
}

function run(k: Engine, proc: Proc, body: AnyBody): void {
  if (typeof body === 'function') {
    proc.code = 'loop';
    k.scheduler.settleNeeded = true;
    let result: unknown;
    try {
      result = body(proc.ctx!);
    } catch (err) {
      ended(k, proc, err);
      return;
    }
    Promise.resolve(result).then(
      () => exit(k, proc, 'normal'),
      (err) => ended(k, proc, err),
    );
    return;
  }
  proc.code = 'behavior';
  proc.behavior = body;
  become(k, proc, body);
}

/** Ends a process because code running on its behalf threw `err` (let it crash). */
export function crash(k: Engine, proc: Proc, err: unknown): void {
  ended(k, proc, err);
}

/**
 * A process's code threw or rejected: it ends with an error reason. Once a process has ended,
 * whatever its leftover code throws (the ProcessEndedError its calls throw, say) changes nothing.
 */
function ended(k: Engine, proc: Proc, err: unknown): void {
  if (proc.exited) return;
  if (proc.code === 'behavior') finish(k, proc, errorReason(err));
  else exit(k, proc, errorReason(err));
}

/** Resumes async process code; the scheduler lets it run before picking the next event. */
export function resumeWith<T>(k: Engine, resolve: (value: T) => void, value: T): void {
  k.scheduler.settleNeeded = true;
  resolve(value);
}

/** Process code ran while no run of the scheduler was in progress: resumed by real time, not by the seed (traced once per process between runs). */
export function ranOutside(k: Engine, proc: Proc): void {
  if (k.scheduler.ranOutside(proc.pid)) k.trace?.record({ kind: 'outside', pid: proc.pid });
}

// ---- behaviours --------------------------------------------------------------------------

/** Installs a behaviour, running its setup if it has one, then handles waiting messages. */
function become(k: Engine, proc: Proc, next: Behavior<unknown>): void {
  let current = next;
  for (let guard = 0; current.setup; guard++) {
    if (guard > 1000) throw new Error('setup() keeps returning setup behaviours');
    let made: unknown;
    try {
      made = current.setup(proc.ctx!);
    } catch (err) {
      exit(k, proc, errorReason(err)); // a failed setup is a failed start: no terminate (as OTP's init/1)
      return;
    }
    if (isThenable(made)) {
      proc.busy = true;
      k.scheduler.settleNeeded = true;
      made.then(
        (b) => {
          proc.busy = false;
          if (proc.exited) return;
          if (!isBehavior(b)) {
            exit(k, proc, errorReason(new TypeError('setup() must return a behavior')));
            return;
          }
          become(k, proc, b);
        },
        (err) => {
          if (!proc.exited) exit(k, proc, errorReason(err));
        },
      );
      return;
    }
    if (!isBehavior(made)) {
      exit(k, proc, errorReason(new TypeError('setup() must return a behavior(...)')));
      return;
    }
    current = made;
  }
  proc.behavior = current;
  resumeLater(k, proc);
}

/** Hands one message to the current behaviour's handler. */
export function handle(k: Engine, proc: Proc, env: Envelope): void {
  const behavior = proc.behavior!;
  if (env.via !== undefined && fromParent(proc, env)) {
    // OTP: a gen_server that traps exits stops when its parent tells it to, whatever the handler would do.
    finish(k, proc, (env.msg as ExitMessage).reason);
    return;
  }
  k.current = proc;
  proc.handling = env;
  let next: unknown;
  try {
    next = behavior.receive!(proc.ctx!, env.msg);
  } catch (err) {
    proc.handling = undefined;
    ended(k, proc, err);
    return;
  }
  if (isThenable(next)) {
    proc.busy = true;
    k.scheduler.settleNeeded = true;
    next.then(
      (n) => {
        proc.busy = false;
        proc.handling = undefined;
        if (!proc.exited) afterHandler(k, proc, n);
      },
      (err) => {
        proc.busy = false;
        proc.handling = undefined;
        ended(k, proc, err);
      },
    );
    return;
  }
  proc.handling = undefined;
  if (next !== undefined) afterHandler(k, proc, next);
}

/** An EXIT message made from an exit signal of the process's parent. */
function fromParent(proc: Proc, env: Envelope): boolean {
  const parent = proc.parent;
  return env.from === parent.pid && (env.fromKernel === parent.kernel || parent.pid === 0);
}

function afterHandler(k: Engine, proc: Proc, next: unknown): void {
  if (next === undefined || next === null) {
    resumeLater(k, proc);
  } else if (isStop(next)) {
    finish(k, proc, next.reason);
  } else if (isBehavior(next)) {
    if (next.setup) become(k, proc, next);
    else {
      proc.behavior = next;
      resumeLater(k, proc);
    }
  } else {
    exit(k, proc, errorReason(new TypeError('a behavior handler must return a behavior, stop(...), or nothing')));
  }
}

/**
 * A behaviour ends by itself with `reason`: its terminate hook runs first (it can still send),
 * then the process ends. A hook that throws ends it with that error instead.
 */
export function finish(k: Engine, proc: Proc, reason: ExitReason): void {
  if (proc.exited) return;
  const terminate = proc.behavior?.terminate;
  proc.behavior = undefined; // no more messages are handled
  if (terminate === undefined) {
    exit(k, proc, reason);
    return;
  }
  k.current = proc;
  let result: unknown;
  try {
    result = terminate(proc.ctx!, reason);
  } catch (err) {
    exit(k, proc, errorReason(err));
    return;
  }
  if (!isThenable(result)) {
    exit(k, proc, reason);
    return;
  }
  proc.busy = true;
  k.scheduler.settleNeeded = true;
  result.then(
    () => exit(k, proc, reason),
    (err) => exit(k, proc, errorReason(err)),
  );
}

/** A behaviour became free with messages waiting: handle the next one as a separate event. */
export function resumeLater(k: Engine, proc: Proc): void {
  if (proc.resumeQueued || proc.busy || proc.exited) return;
  if (proc.mailbox.findIndex(isUserEnvelope) < 0) return;
  proc.resumeQueued = true;
  k.scheduler.task(() => {
    proc.resumeQueued = false;
    if (proc.exited || proc.busy || !proc.behavior?.receive) return;
    const i = proc.mailbox.findIndex(isUserEnvelope);
    if (i < 0) return;
    const env = proc.mailbox.removeAt(i);
    k.trace?.received(proc.pid, env.id);
    taken(k, proc, env);
    handle(k, proc, env);
    resumeLater(k, proc);
  });
}

/** A user message was taken (by a receive or a handler): receive timeouts and keyed timers take note. */
export function taken(k: Engine, proc: Proc, env: Envelope): void {
  if (proc.receiveTimeout !== undefined) restartReceiveTimeout(k, proc, env); // first: it must still know its own timer
  if (env.timer !== undefined) keyedTaken(proc, env.timer);
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}
