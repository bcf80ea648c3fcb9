// A small program run by frozen.test.ts in a child process: `node --frozen-intrinsics`, with
// FREEZE=1 deep-freezing every export of every runtime module, and the prototype of every
// class, before the program runs (as the kernel host does before student code loads). It
// prints what happened and the trace; the test compares that with an unfrozen run.
import { createHash } from 'node:crypto';
import * as behaviorModule from '../behavior.ts';
import * as contextModule from '../context.ts';
import * as delivery from '../core/delivery.ts';
import * as engine from '../core/engine.ts';
import * as envelope from '../core/envelope.ts';
import * as execution from '../core/execution.ts';
import * as proc from '../core/proc.ts';
import * as processTimers from '../core/process-timers.ts';
import * as registry from '../core/registry.ts';
import * as signals from '../core/signals.ts';
import * as stashModule from '../core/stash.ts';
import * as waits from '../core/waits.ts';
import * as errors from '../errors.ts';
import * as exit from '../exit.ts';
import * as index from '../index.ts';
import * as kernel from '../kernel.ts';
import * as message from '../message.ts';
import * as pattern from '../pattern.ts';
import * as prng from '../prng.ts';
import * as processModule from '../process.ts';
import * as queue from '../queue.ts';
import * as ref from '../ref.ts';
import * as scheduler from '../scheduler.ts';
import * as sequenceChart from '../sequence-chart.ts';
import * as statem from '../statem.ts';
import * as supervisorModule from '../supervisor.ts';
import * as system from '../system.ts';
import * as timers from '../timers.ts';
import * as trace from '../trace.ts';
import type { Context, ExitMessage, Ref } from '../index.ts';

const modules: Record<string, object> = {
  behavior: behaviorModule,
  context: contextModule,
  'core/delivery': delivery,
  'core/engine': engine,
  'core/envelope': envelope,
  'core/execution': execution,
  'core/proc': proc,
  'core/process-timers': processTimers,
  'core/registry': registry,
  'core/signals': signals,
  'core/stash': stashModule,
  'core/waits': waits,
  errors,
  exit,
  index,
  kernel,
  message,
  pattern,
  prng,
  process: processModule,
  queue,
  ref,
  scheduler,
  'sequence-chart': sequenceChart,
  statem,
  supervisor: supervisorModule,
  system,
  timers,
  trace,
};

/** Freezes `value`, everything reachable from its properties, and (for a class) its prototype. */
function deepFreeze(value: unknown, seen: Set<unknown>, classes: Set<string>): void {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
  seen.add(value);
  if (typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value))) classes.add(value.name);
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key)!;
    if ('value' in d) deepFreeze(d.value, seen, classes);
    deepFreeze(d.get, seen, classes);
    deepFreeze(d.set, seen, classes);
  }
}

/**
 * A zod schema (RefSchema) is zod's object: zod completes its schemas lazily, in place, so a
 * frozen one cannot parse. It is the one export a host must leave unfrozen.
 */
function isZodSchema(value: unknown): boolean {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

const frozenClasses = new Set<string>();
if (process.env.FREEZE === '1') {
  const seen = new Set<unknown>([Object.prototype, Function.prototype, Error.prototype, Error]);
  for (const namespace of Object.values(modules)) {
    for (const name of Object.keys(namespace)) {
      const value = (namespace as Record<string, unknown>)[name];
      if (!isZodSchema(value)) deepFreeze(value, seen, frozenClasses);
    }
  }
}

const { behavior, createSystem, setup, stateMachine, keepState, nextState, supervisor, whichChildren, AskTimeoutError } = index;
const facts: Record<string, unknown> = {};
const sys = createSystem({ seed: 7 });

// A supervisor restarting a crashed child.
type Job = { type: 'job'; n: number };
const sup = sys.spawn(
  supervisor({
    strategy: 'one_for_all',
    children: [
      {
        id: 'a',
        start: () =>
          behavior<Job>((_self, m) => {
            if (m.n === 13) throw new Error('unlucky');
          }),
      },
      {
        id: 'b',
        start: () =>
          setup<Job>((self) => {
            self.trapExit(true);
            return behavior<Job>(() => undefined, { terminate: () => undefined });
          }),
      },
    ],
  }),
  { name: 'sup' },
);
await sys.runUntilIdle();
const before = whichChildren(sys, sup);
await sys.runUntilIdle();
sys.send((await before).children[0]!.ref!, { type: 'job', n: 13 });
await sys.runUntilIdle();
const after = whichChildren(sys, sup);
await sys.runUntilIdle();
facts.restarts = (await after).restarts;
facts.supervisorAlive = sys.isAlive(sup);

// An ask with a timeout, a selective receive, a select, keyed timers, a state machine.
const silent = sys.spawn<{ replyTo: Ref<string> }>(
  async (self) => {
    await self.receive(() => false);
  },
  { name: 'silent' },
);
type M = { type: 'x' | 'y'; n: number };
const picker = sys.spawn<M>(
  async (self: Context<M, ExitMessage>) => {
    try {
      await self.ask<string>(silent, (replyTo) => ({ replyTo }), { timeout: 100 });
    } catch (err) {
      facts.askTimedOut = err instanceof AskTimeoutError && self.now() === 100;
    }
    const y = await self.receive({ type: 'y' });
    const x = await self.select([
      [{ type: 'x', n: 2 }, (m) => `x${m.n}`],
      [{ type: 'x' }, (m) => `first x${m.n}`],
    ]);
    self.timers.start('t', 10, { type: 'y', n: 9 });
    self.timers.start('t', 20, { type: 'y', n: 10 });
    const timed = await self.receive({ type: 'y' });
    facts.received = [y.n, x, timed.n, self.now()];
  },
  { name: 'picker' },
);
for (const m of [
  { type: 'x', n: 1 },
  { type: 'x', n: 2 },
  { type: 'y', n: 3 },
] as const)
  sys.send(picker, m);
const lock = sys.spawn(
  stateMachine<string, 'closed' | 'open', number>({
    initial: 'closed',
    data: 0,
    states: {
      closed: { on: (_self, e, n) => (e === 'open' ? nextState('open', n + 1) : undefined) },
      open: { enter: () => keepState(undefined, { stateTimeout: 50 }), on: (_self, e) => (typeof e === 'object' ? nextState('closed') : undefined) },
    },
  }),
);
sys.send(lock, 'open');
const report = await sys.runUntilIdle();
facts.idle = report.idle;
facts.now = sys.now();
const json = JSON.stringify(sys.trace!.toJSON());
console.log(
  JSON.stringify({
    facts,
    frozenClasses: [...frozenClasses].sort(),
    trace: createHash('sha256').update(json).digest('hex'),
    events: sys.trace!.length,
  }),
);
