// Supervisors, as in OTP: a process that starts children, links to them, traps their
// exits and restarts them according to a strategy. Built from the public process API
// (spawnLink, trapExit, monitor, exit/2, selective receive): no special powers.
//
// Guarantees (OTP semantics):
//  - Children start in the order given; they are stopped in reverse order.
//  - Strategies: one_for_one (restart the child that ended), one_for_all (stop the others,
//    restart all), rest_for_one (stop and restart the children started after it, and it),
//    simple_one_for_one (one template, children added at run time with startChild).
//  - Restart types: permanent (always restarted), transient (restarted unless it exited
//    normal / shutdown / {shutdown}), temporary (never restarted).
//  - Intensity: if more than `intensity` restarts happen within `period` ms (default 1 in
//    5000), the supervisor stops all its children and exits with reason 'shutdown'; its own
//    supervisor, if any, sees that exit and applies its own strategy (escalation).
//  - Stopping a child: exit signal 'shutdown', then 'kill' if it has not ended after its
//    `shutdown` ms ('brutal_kill': 'kill' at once). A restarted child is a new process with a
//    new Ref: messages and timers of the old incarnation never reach it.
import type { Body, Context } from './context.ts';
import type { DownMessage, ExitMessage, ExitReason } from './exit.ts';
import { isNormalExit } from './exit.ts';
import type { AskOptions } from './context.ts';
import { isRef, sameProcess, type Ref } from './ref.ts';

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';
export type Restart = 'permanent' | 'transient' | 'temporary';

export interface ChildSpec<A = void> {
  /** Unique among the supervisor's children; used in traces and `whichChildren`. */
  readonly id: string;
  /** Makes a fresh body for each (re)start. simple_one_for_one passes startChild's argument. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly start: (arg: A) => Body<any>;
  readonly restart?: Restart;
  /** Ms to wait after 'shutdown' before 'kill' (default 5000); 'brutal_kill' kills at once. */
  readonly shutdown?: number | 'brutal_kill';
}

export interface SupervisorOptions {
  readonly strategy?: Strategy;
  /** Max restarts within `period` before the supervisor gives up (default 1). */
  readonly intensity?: number;
  /** Ms (default 5000). */
  readonly period?: number;
  /** The children, in start order. For simple_one_for_one: exactly one template. */
  readonly children: readonly ChildSpec<any>[];
}

export interface ChildInfo {
  readonly id: string;
  readonly ref: Ref | undefined;
  readonly restart: Restart;
}

export interface SupervisorReport {
  readonly children: readonly ChildInfo[];
  /** Restarts made since the supervisor started. */
  readonly restarts: number;
}

type Request =
  | { readonly $supervisor: 'which_children'; readonly replyTo: Ref<SupervisorReport> }
  | { readonly $supervisor: 'start_child'; readonly arg: unknown; readonly replyTo: Ref<{ ok: true; ref: Ref } | { ok: false; error: string }> }
  | { readonly $supervisor: 'terminate_child'; readonly id: string; readonly replyTo: Ref<{ ok: boolean }> };

export type SupervisorMessage = Request | ExitMessage;

interface Child {
  readonly spec: ChildSpec<any>;
  readonly arg: unknown;
  readonly id: string;
  ref: Ref | undefined;
}

const RESTART_HOOK = Symbol.for('mp.runtime.restart');
const STARTED_HOOK = Symbol.for('mp.runtime.started');

/** A supervisor body: `system.spawn(supervisor({ strategy, children }))`, or a child of another. */
export function supervisor(options: SupervisorOptions): Body<SupervisorMessage> {
  const strategy = options.strategy ?? 'one_for_one';
  const intensity = options.intensity ?? 1;
  const period = options.period ?? 5000;
  if (strategy === 'simple_one_for_one' && options.children.length !== 1) {
    throw new TypeError('a simple_one_for_one supervisor needs exactly one child spec (the template)');
  }
  const ids = new Set<string>();
  for (const spec of options.children) {
    if (ids.has(spec.id)) throw new TypeError(`two children have the id "${spec.id}": ids must be unique`);
    ids.add(spec.id);
  }

  return async (self: Context<SupervisorMessage>) => {
    self.trapExit(true);
    const children: Child[] = [];
    const restartTimes: number[] = [];
    let restarts = 0;
    let dynamicCount = 0;
    const lastRef = new WeakMap<Child, Ref>();

    // As OTP's start_link: a child has started (its synchronous start-up code, e.g. register,
    // has run) before the next one is started.
    const started = (self as unknown as Record<symbol, ((ref: Ref) => Promise<void>) | undefined>)[STARTED_HOOK];
    const startOne = async (child: Child): Promise<void> => {
      child.ref = self.spawnLink(child.spec.start(child.arg as never), { name: child.id });
      await started?.call(self, child.ref);
    };

    const stopOne = async (child: Child): Promise<void> => {
      const ref = child.ref;
      if (ref === undefined) return;
      child.ref = undefined;
      const monitor = self.monitor(ref);
      self.unlink(ref);
      const shutdown = child.spec.shutdown ?? 5000;
      self.exit(ref, shutdown === 'brutal_kill' ? 'kill' : 'shutdown');
      const isDown = (m: SupervisorMessage | DownMessage): boolean =>
        (m as DownMessage).type === 'DOWN' && (m as DownMessage).monitor.monitor === monitor.monitor;
      const down = await (self as unknown as Context<SupervisorMessage | DownMessage>).receive(isDown, {
        after: shutdown === 'brutal_kill' ? Infinity : shutdown,
      });
      if (down === undefined) {
        self.exit(ref, 'kill');
        await (self as unknown as Context<SupervisorMessage | DownMessage>).receive(isDown);
      }
    };

    const stopAll = async (list: Child[]): Promise<void> => {
      for (const child of [...list].reverse()) await stopOne(child);
    };

    const giveUp = async (reason: ExitReason): Promise<never> => {
      await stopAll(children);
      return self.exit(reason);
    };

    // Start the static children in order. A child whose start() throws fails the supervisor.
    if (strategy !== 'simple_one_for_one') {
      for (const spec of options.children) {
        const child: Child = { spec, arg: undefined, id: spec.id, ref: undefined };
        children.push(child);
        try {
          await startOne(child);
        } catch (err) {
          await giveUp({ shutdown: `failed to start child ${spec.id}: ${err instanceof Error ? err.message : String(err)}` });
        }
      }
    }

    const restart = async (child: Child): Promise<void> => {
      const now = self.now();
      restartTimes.push(now);
      while (restartTimes.length > 0 && restartTimes[0]! <= now - period) restartTimes.shift();
      if (restartTimes.length > intensity) await giveUp('shutdown');
      const index = children.indexOf(child);
      const group =
        strategy === 'one_for_all' ? children :
        strategy === 'rest_for_one' ? children.slice(index) :
        [child];
      // Stop the rest of the group (reverse order), then start the group again in order.
      await stopAll(group.filter((c) => c !== child));
      for (const c of group) {
        if (c !== child && c.spec.restart === 'temporary') {
          children.splice(children.indexOf(c), 1);
          continue;
        }
        const old = c === child ? lastRef.get(child) : undefined;
        try {
          await startOne(c);
        } catch (err) {
          await giveUp({ shutdown: `failed to restart child ${c.id}: ${err instanceof Error ? err.message : String(err)}` });
        }
        if (c === child) {
          restarts++;
          const hook = (self as unknown as Record<symbol, ((id: string, old: Ref | undefined, now: Ref) => void) | undefined>)[RESTART_HOOK];
          hook?.call(self, c.id, old, c.ref!);
        }
      }
    };

    for (;;) {
      const msg = await self.receive();
      if ('$supervisor' in msg) {
        await answer(msg);
        continue;
      }
      if (msg.type !== 'EXIT') continue;
      const child = children.find((c) => c.ref !== undefined && sameProcess(c.ref, msg.from));
      if (child === undefined) {
        // Not a child: our parent (or another linked process) ended. Stop, as OTP does.
        await giveUp(msg.reason);
        return;
      }
      lastRef.set(child, child.ref!);
      child.ref = undefined;
      const type = child.spec.restart ?? 'permanent';
      const keep = type === 'permanent' || (type === 'transient' && !isNormalExit(msg.reason));
      if (!keep) {
        if (type === 'temporary' || strategy === 'simple_one_for_one') children.splice(children.indexOf(child), 1);
        continue;
      }
      await restart(child);
    }

    async function answer(req: Request): Promise<void> {
      switch (req.$supervisor) {
        case 'which_children':
          self.send(req.replyTo, {
            children: children.map((c) => ({ id: c.id, ref: c.ref, restart: c.spec.restart ?? 'permanent' })),
            restarts,
          });
          return;
        case 'start_child': {
          if (strategy !== 'simple_one_for_one') {
            self.send(req.replyTo, { ok: false, error: 'startChild needs a simple_one_for_one supervisor' });
            return;
          }
          const spec = options.children[0]!;
          const child: Child = { spec, arg: req.arg, id: `${spec.id}-${++dynamicCount}`, ref: undefined };
          try {
            await startOne(child);
          } catch (err) {
            self.send(req.replyTo, { ok: false, error: err instanceof Error ? err.message : String(err) });
            return;
          }
          children.push(child);
          self.send(req.replyTo, { ok: true, ref: child.ref! });
          return;
        }
        case 'terminate_child': {
          const child = children.find((c) => c.id === req.id);
          if (child === undefined) {
            self.send(req.replyTo, { ok: false });
            return;
          }
          await stopOne(child);
          if (strategy === 'simple_one_for_one') children.splice(children.indexOf(child), 1);
          self.send(req.replyTo, { ok: true });
          return;
        }
      }
    }
  };
}

/** Anything that can ask: a process context or a system. */
interface Asker {
  ask<R, T = any>(to: Ref<T> | string, make: (replyTo: Ref<R>) => T, options?: AskOptions): Promise<R>;
}

/** The supervisor's children (in start order) and its restart count. */
export function whichChildren(from: Asker, sup: Ref | string, options?: AskOptions): Promise<SupervisorReport> {
  return from.ask<SupervisorReport>(sup, (replyTo) => ({ $supervisor: 'which_children', replyTo }), options);
}

/** simple_one_for_one: starts a child from the template with `arg`; resolves to its Ref. */
export async function startChild(from: Asker, sup: Ref | string, arg: unknown, options?: AskOptions): Promise<Ref> {
  const reply = await from.ask<{ ok: true; ref: Ref } | { ok: false; error: string }>(
    sup, (replyTo) => ({ $supervisor: 'start_child', arg, replyTo }), options);
  if (!reply.ok) throw new Error(reply.error);
  if (!isRef(reply.ref)) throw new Error('startChild: the supervisor sent no reference');
  return reply.ref;
}

/** Stops the child with this id (reverse-order rules do not apply to a single child). */
export async function terminateChild(from: Asker, sup: Ref | string, id: string, options?: AskOptions): Promise<boolean> {
  const reply = await from.ask<{ ok: boolean }>(sup, (replyTo) => ({ $supervisor: 'terminate_child', id, replyTo }), options);
  return reply.ok;
}
