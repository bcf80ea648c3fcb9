// Supervisors, as in OTP: a process that starts children, links to them, traps their
// exits and restarts them according to a strategy. Built only from the public process API
// (startLink, trapExit, monitor, unlink, exit/2, selective receive): no special powers.
//
// Guarantees (OTP semantics; runtime/README.md lists them with their tests):
//  - Children start in the order given, each once the previous one has started (start_link);
//    a child that fails to start stops the supervisor's start: the children already started
//    are stopped and the supervisor exits { shutdown: 'failed to start child …' }.
//  - Strategies: one_for_one (restart the child that ended), one_for_all (stop the others,
//    restart all), rest_for_one (stop and restart the children started after it, and it),
//    simple_one_for_one (one template, children added at run time with startChild).
//  - Restart types: permanent (always restarted), transient (restarted unless it exited
//    normal / shutdown / {shutdown}), temporary (never restarted, and forgotten).
//  - Intensity: more than `intensity` restarts within `period` ms (a restart exactly `period`
//    ms ago still counts; default 1 in 5000): the supervisor stops all its children and exits
//    'shutdown'; its own supervisor, if any, sees that exit (escalation). A restart whose
//    start fails is tried again, and counts.
//  - It obeys only its parent and its children: an exit signal from its parent stops it (its
//    children first); an EXIT from a child is handled per strategy; any other is ignored.
//  - Stopping a child: unlink (an EXIT it already sent is discarded), exit signal 'shutdown',
//    then 'kill' if it has not ended after its `shutdown` ms ('brutal_kill': 'kill' at once).
//    A child supervisor gets infinity by default, a worker 5000. A restarted child is a new
//    process with a new Ref: messages and timers of the old incarnation never reach it.
import type { AnyBody, Body, Context } from './context.ts';
import { StartError } from './errors.ts';
import { errorReason, formatReason, isNormalExit, type DownMessage, type ExitMessage, type ExitReason, type MonitorRef } from './exit.ts';
import type { AskOptions } from './context.ts';
import type { Asker } from './reply.ts';
import { isRef, sameProcess, type Ref } from './ref.ts';

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';
export type Restart = 'permanent' | 'transient' | 'temporary';
export type ChildType = 'worker' | 'supervisor';

export interface ChildSpec<A = void> {
  /** Unique among the supervisor's children; used in traces and `whichChildren`. */
  readonly id: string;
  /** Makes a fresh body for each (re)start. simple_one_for_one passes startChild's argument. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly start: (arg: A) => AnyBody;
  readonly restart?: Restart;
  /**
   * Ms to wait after 'shutdown' before 'kill'; 'brutal_kill' kills at once; Infinity (or
   * 'infinity') waits for ever. Default: infinity for a supervisor, 5000 for a worker (OTP's).
   */
  readonly shutdown?: number | 'brutal_kill' | 'infinity';
  /** Default: 'supervisor' when `start` returns a supervisor(...) body, 'worker' otherwise. */
  readonly type?: ChildType;
}

export interface SupervisorOptions {
  readonly strategy?: Strategy;
  /** Max restarts within `period` before the supervisor gives up (default 1). */
  readonly intensity?: number;
  /** Ms (default 5000). */
  readonly period?: number;
  /** The children, in start order. For simple_one_for_one: exactly one template. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly children: readonly ChildSpec<any>[];
}

export interface ChildInfo {
  readonly id: string;
  /** Undefined while it is not running (a transient child that ended normally, a terminated child). */
  readonly ref: Ref | undefined;
  readonly restart: Restart;
  readonly type: ChildType;
}

export interface SupervisorReport {
  readonly children: readonly ChildInfo[];
  /** Restarts made since the supervisor started. */
  readonly restarts: number;
}

/** supervisor:count_children/1. */
export interface ChildCounts {
  /** Children the supervisor knows (running or not). */
  readonly specs: number;
  /** Children running. */
  readonly active: number;
  readonly supervisors: number;
  readonly workers: number;
}

type Reply = { readonly ok: true; readonly ref?: Ref } | { readonly ok: false; readonly error: string };

type Request =
  | { readonly $supervisor: 'which_children'; readonly replyTo: Ref<SupervisorReport> }
  | { readonly $supervisor: 'count_children'; readonly replyTo: Ref<ChildCounts> }
  | { readonly $supervisor: 'start_child'; readonly arg: unknown; readonly replyTo: Ref<Reply> }
  | { readonly $supervisor: 'terminate_child' | 'restart_child' | 'delete_child'; readonly id: string; readonly replyTo: Ref<Reply> };

export type SupervisorMessage = Request | ExitMessage;

interface Child {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly spec: ChildSpec<any>;
  readonly arg: unknown;
  readonly id: string;
  ref: Ref | undefined;
  type: ChildType | undefined;
}

/** Bodies made by supervisor(): a child whose start returns one is a supervisor child. */
const supervisorBodies = new WeakSet<object>();

/** A supervisor body: `system.spawn(supervisor({ strategy, children }))`, or a child of another. */
export function supervisor(options: SupervisorOptions): Body<SupervisorMessage> {
  const strategy = options.strategy ?? 'one_for_one';
  const intensity = options.intensity ?? 1;
  const period = options.period ?? 5000;
  if (!['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one'].includes(strategy)) {
    throw new TypeError(`unknown supervisor strategy "${strategy}"`);
  }
  if (!Number.isInteger(intensity) || intensity < 0) throw new RangeError(`intensity must be a whole number of restarts (0 or more), got ${intensity}`);
  if (!(period > 0)) throw new RangeError(`period must be a number of ms above 0, got ${period}`);
  if (strategy === 'simple_one_for_one' && options.children.length !== 1) {
    throw new TypeError('a simple_one_for_one supervisor needs exactly one child spec (the template)');
  }
  const ids = new Set<string>();
  for (const spec of options.children) {
    if (ids.has(spec.id)) throw new TypeError(`two children have the id "${spec.id}": ids must be unique`);
    ids.add(spec.id);
    const s = spec.shutdown;
    if (s !== undefined && s !== 'brutal_kill' && s !== 'infinity' && !(typeof s === 'number' && s >= 0)) {
      throw new RangeError(`child ${spec.id}: shutdown must be ms (0 or more), 'brutal_kill' or 'infinity', got ${String(s)}`);
    }
  }

  const body = async (self: Context<SupervisorMessage, ExitMessage | DownMessage>): Promise<void> => {
    self.trapExit(true);
    const parent = self.parent;
    const children: Child[] = [];
    const restartTimes: number[] = [];
    let restarts = 0;
    let dynamicCount = 0;

    /** Starts a child (start_link); returns why it failed to start, or undefined. */
    const startOne = async (child: Child, restartOf?: Ref): Promise<ExitReason | undefined> => {
      let made: AnyBody;
      try {
        made = child.spec.start(child.arg);
      } catch (err) {
        return errorReason(err);
      }
      child.type ??= child.spec.type ?? (typeof made === 'function' && supervisorBodies.has(made) ? 'supervisor' : 'worker');
      try {
        child.ref = await self.startLink(made, { name: child.id, restartOf });
        return undefined;
      } catch (err) {
        return err instanceof StartError ? err.reason : errorReason(err);
      }
    };

    const isDown =
      (monitor: MonitorRef) =>
      (m: unknown): m is DownMessage =>
        (m as DownMessage).type === 'DOWN' && (m as DownMessage).monitor?.monitor === monitor.monitor;
    const isExitOf =
      (ref: Ref) =>
      (m: unknown): m is ExitMessage =>
        (m as ExitMessage).type === 'EXIT' && isRef((m as ExitMessage).from) && sameProcess((m as ExitMessage).from, ref);

    const stopOne = async (child: Child): Promise<void> => {
      const ref = child.ref;
      if (ref === undefined) return;
      child.ref = undefined;
      const monitor = self.monitor(ref);
      self.unlink(ref); // an EXIT still on its way is now void…
      const gone = await self.receive(isExitOf(ref), { after: 0 }); // …and one already here is discarded (OTP's unlink_flush)
      if (gone !== undefined) {
        await self.receive(isDown(monitor)); // it had ended already: nothing to stop
        return;
      }
      const shutdown = shutdownOf(child);
      self.exit(ref, shutdown === 'brutal_kill' ? 'kill' : 'shutdown');
      const down = await self.receive(isDown(monitor), { after: shutdown === 'brutal_kill' ? Infinity : shutdown });
      if (down === undefined) {
        self.exit(ref, 'kill');
        await self.receive(isDown(monitor));
      }
    };

    const stopAll = async (list: readonly Child[]): Promise<void> => {
      for (const child of [...list].reverse()) await stopOne(child);
    };

    const giveUp = async (reason: ExitReason): Promise<never> => {
      await stopAll(children);
      return self.exit(reason);
    };

    const forget = (child: Child): void => {
      const i = children.indexOf(child);
      if (i >= 0) children.splice(i, 1);
    };

    /** Records a restart; false when that makes more than `intensity` within `period` (OTP counts one exactly `period` ago). */
    const addRestart = (): boolean => {
      const now = self.now();
      restartTimes.push(now);
      while (restartTimes.length > 0 && now - restartTimes[0]! > period) restartTimes.shift();
      return restartTimes.length <= intensity;
    };

    // Start the static children in order. One that fails to start fails the supervisor's start.
    if (strategy !== 'simple_one_for_one') {
      for (const spec of options.children) {
        const child: Child = { spec, arg: undefined, id: spec.id, ref: undefined, type: undefined };
        const failed = await startOne(child);
        if (failed !== undefined) {
          await stopAll(children);
          return self.exit({ shutdown: `failed to start child ${spec.id}: ${formatReason(failed)}` });
        }
        children.push(child);
      }
    }

    const restart = async (ended: Child, old: Ref | undefined): Promise<void> => {
      let child: Child | undefined = ended;
      while (child !== undefined) {
        if (!addRestart()) await giveUp('shutdown');
        const index = children.indexOf(child);
        const group: Child[] = strategy === 'one_for_all' ? [...children] : strategy === 'rest_for_one' ? children.slice(index) : [child];
        // Stop the rest of the group (reverse order), then start the group again in order.
        await stopAll(group.filter((c) => c !== child));
        const failing: Child = child;
        child = undefined;
        for (const c of group) {
          if (c !== failing && c.spec.restart === 'temporary') {
            forget(c);
            continue;
          }
          const failed = await startOne(c, c === failing ? old : undefined);
          if (failed !== undefined) {
            child = c; // a restart that fails to start is tried again, and counts (OTP)
            old = undefined;
            break;
          }
          if (c === failing) restarts++;
        }
      }
    };

    const childExited = async (child: Child, reason: ExitReason): Promise<void> => {
      const old = child.ref;
      child.ref = undefined;
      const type = child.spec.restart ?? 'permanent';
      const keep = type === 'permanent' || (type === 'transient' && !isNormalExit(reason));
      if (!keep) {
        if (type === 'temporary' || strategy === 'simple_one_for_one') forget(child);
        return;
      }
      await restart(child, old);
    };

    const isParent = (from: Ref): boolean => sameProcess(from, parent) || (parent.pid === 0 && from.pid === 0);

    for (;;) {
      const msg = await self.receive();
      if ('$supervisor' in msg) {
        await answer(msg);
        continue;
      }
      if (msg.type !== 'EXIT') continue; // a DOWN of a monitor already done with
      if (isParent(msg.from)) {
        await giveUp(msg.reason); // as OTP: the parent's exit signal stops the supervisor, children first
        return;
      }
      const child = children.find((c) => c.ref !== undefined && sameProcess(c.ref, msg.from));
      if (child !== undefined) await childExited(child, msg.reason);
      // Any other EXIT (a linked process that is neither parent nor child) is ignored, as OTP does.
    }

    async function answer(req: Request): Promise<void> {
      const refuse = (error: string) => self.send(req.replyTo as Ref<Reply>, { ok: false, error });
      switch (req.$supervisor) {
        case 'which_children':
          self.send(req.replyTo, {
            children: children.map((c) => ({ id: c.id, ref: c.ref, restart: c.spec.restart ?? 'permanent', type: typeOf(c) })),
            restarts,
          });
          return;
        case 'count_children': {
          const supervisors = children.filter((c) => typeOf(c) === 'supervisor').length;
          self.send(req.replyTo, {
            specs: children.length,
            active: children.filter((c) => c.ref !== undefined).length,
            supervisors,
            workers: children.length - supervisors,
          });
          return;
        }
        case 'start_child': {
          if (strategy !== 'simple_one_for_one') {
            refuse('startChild needs a simple_one_for_one supervisor (a child spec holds functions, which cannot be sent)');
            return;
          }
          const spec = options.children[0]!;
          const child: Child = { spec, arg: req.arg, id: `${spec.id}-${++dynamicCount}`, ref: undefined, type: undefined };
          const failed = await startOne(child);
          if (failed !== undefined) {
            refuse(`child ${child.id} failed to start: ${formatReason(failed)}`);
            return;
          }
          children.push(child);
          self.send(req.replyTo, { ok: true, ref: child.ref! });
          return;
        }
        case 'terminate_child': {
          const child = children.find((c) => c.id === req.id);
          if (child === undefined) {
            refuse('not_found');
            return;
          }
          await stopOne(child);
          if (strategy === 'simple_one_for_one' || child.spec.restart === 'temporary') forget(child);
          self.send(req.replyTo, { ok: true });
          return;
        }
        case 'restart_child':
        case 'delete_child': {
          if (strategy === 'simple_one_for_one') {
            refuse(
              `${req.$supervisor === 'restart_child' ? 'restartChild' : 'deleteChild'} does not apply to a simple_one_for_one supervisor (use startChild and terminateChild)`,
            );
            return;
          }
          const child = children.find((c) => c.id === req.id);
          if (child === undefined) {
            refuse('not_found');
            return;
          }
          if (child.ref !== undefined) {
            refuse('running');
            return;
          }
          if (req.$supervisor === 'delete_child') {
            forget(child);
            self.send(req.replyTo, { ok: true });
            return;
          }
          const failed = await startOne(child);
          if (failed !== undefined) refuse(`child ${child.id} failed to start: ${formatReason(failed)}`);
          else self.send(req.replyTo, { ok: true, ref: child.ref! });
          return;
        }
      }
    }
  };
  supervisorBodies.add(body);
  return body as Body<SupervisorMessage, ExitMessage | DownMessage> as Body<SupervisorMessage>;
}

function typeOf(child: Child): ChildType {
  return child.type ?? child.spec.type ?? 'worker';
}

function shutdownOf(child: Child): number | 'brutal_kill' {
  const s = child.spec.shutdown;
  if (s === 'brutal_kill') return s;
  if (s === 'infinity' || s === Infinity) return Infinity;
  return s ?? (typeOf(child) === 'supervisor' ? Infinity : 5000);
}

/** The supervisor's children (in start order) and its restart count. */
export function whichChildren(from: Asker, sup: Ref | string, options?: AskOptions): Promise<SupervisorReport> {
  return from.ask<SupervisorReport>(sup, (replyTo) => ({ $supervisor: 'which_children', replyTo }), options);
}

/** How many children it has, running, and of each type (supervisor:count_children/1). */
export function countChildren(from: Asker, sup: Ref | string, options?: AskOptions): Promise<ChildCounts> {
  return from.ask<ChildCounts>(sup, (replyTo) => ({ $supervisor: 'count_children', replyTo }), options);
}

/** simple_one_for_one: starts a child from the template with `arg`; resolves to its Ref. */
export async function startChild(from: Asker, sup: Ref | string, arg: unknown, options?: AskOptions): Promise<Ref> {
  const reply = await from.ask<Reply>(sup, (replyTo) => ({ $supervisor: 'start_child', arg, replyTo }), options);
  return refOf(reply, 'startChild');
}

/**
 * Stops the child with this id (reverse-order rules do not apply to a single child). Its spec
 * stays (restartChild starts it again), except for a temporary or simple_one_for_one child,
 * which is forgotten. False if there is no such child.
 */
export async function terminateChild(from: Asker, sup: Ref | string, id: string, options?: AskOptions): Promise<boolean> {
  const reply = await from.ask<Reply>(sup, (replyTo) => ({ $supervisor: 'terminate_child', id, replyTo }), options);
  return reply.ok;
}

/** Starts again a child that terminateChild stopped (or a transient child that ended normally). */
export async function restartChild(from: Asker, sup: Ref | string, id: string, options?: AskOptions): Promise<Ref> {
  const reply = await from.ask<Reply>(sup, (replyTo) => ({ $supervisor: 'restart_child', id, replyTo }), options);
  return refOf(reply, `restartChild("${id}")`);
}

/** Forgets a child that is not running. False if there is no such child; throws if it is running. */
export async function deleteChild(from: Asker, sup: Ref | string, id: string, options?: AskOptions): Promise<boolean> {
  const reply = await from.ask<Reply>(sup, (replyTo) => ({ $supervisor: 'delete_child', id, replyTo }), options);
  if (reply.ok) return true;
  if (reply.error === 'not_found') return false;
  throw new Error(`deleteChild("${id}"): ${reply.error === 'running' ? 'the child is running (terminate it first)' : reply.error}`);
}

function refOf(reply: Reply, what: string): Ref {
  if (!reply.ok)
    throw new Error(`${what}: ${reply.error === 'running' ? 'the child is already running' : reply.error === 'not_found' ? 'no such child' : reply.error}`);
  if (!isRef(reply.ref)) throw new Error(`${what}: the supervisor sent no reference`);
  return reply.ref;
}
