// Nothing the runtime hands to process code leads to the engine. A student's one line
// `(self as any).proc.kernel.trace…` must find nothing: the context, behaviours, supervisor
// bodies and reports, timer and monitor refs, the messages and errors a process gets, and
// every export of the runtime module are walked — every property, own and inherited, string
// and symbol keys, getters called — and no path may reach a Kernel (engine), a Proc, a
// Scheduler, a Trace, or a channel or timer heap of theirs.
import { describe, expect, it } from 'vitest';
import { Engine } from '../core/engine.ts';
import { Channel, Proc } from '../core/proc.ts';
import * as runtime from '../index.ts';
import { Scheduler } from '../scheduler.ts';
import { TimerHeap } from '../timers.ts';
import { Trace } from '../trace.ts';
import {
  behavior,
  countChildren,
  createSystem,
  keepState,
  nextState,
  postpone,
  setup,
  stateMachine,
  stop,
  supervisor,
  whichChildren,
  type Context,
  type DownMessage,
  type ExitMessage,
  type Ref,
  type TimeoutMessage,
} from '../index.ts';

const forbidden: [string, abstract new (...args: never[]) => unknown][] = [
  ['Kernel', Engine],
  ['Proc', Proc],
  ['Scheduler', Scheduler],
  ['Trace', Trace],
  ['Channel', Channel],
  ['TimerHeap', TimerHeap],
];

/**
 * Every object reachable from `roots` through properties (own and inherited, string and symbol
 * keys, getters called on the object they were found for, Map and Set entries). Returns the
 * paths that end at a forbidden instance, and how many objects were seen.
 */
function walk(roots: Record<string, unknown>): { leaks: string[]; seen: Set<unknown> } {
  const seen = new Set<unknown>();
  const leaks: string[] = [];
  const queue: [unknown, string][] = Object.entries(roots).map(([name, value]) => [value, name]);
  while (queue.length > 0) {
    const [value, path] = queue.shift()!;
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue;
    seen.add(value);
    for (const [name, type] of forbidden) if (value instanceof type) leaks.push(`${path} is a ${name}`);
    if (value instanceof Map) for (const [k, v] of value) queue.push([k, `${path}<key>`], [v, `${path}<value>`]);
    if (value instanceof Set) for (const v of value) queue.push([v, `${path}<item>`]);
    for (let owner: object | null = value; owner !== null; owner = Object.getPrototypeOf(owner)) {
      if (owner !== value) queue.push([owner, `${path}.__proto__`]);
      for (const key of Reflect.ownKeys(owner)) {
        const at = `${path}.${String(key)}`;
        const d = Object.getOwnPropertyDescriptor(owner, key)!;
        if ('value' in d) queue.push([d.value, at]);
        if (d.get) {
          queue.push([d.get, `${at}<get>`]);
          try {
            queue.push([d.get.call(value), at]);
          } catch {
            // a getter that refuses this receiver (a private-field brand check, a built-in's) reveals nothing
          }
        }
        if (d.set) queue.push([d.set, `${at}<set>`]);
      }
    }
  }
  return { leaks, seen };
}

describe('what process code can reach', () => {
  it('the walk finds the engine when there is a path to it (it can fail)', () => {
    const system = createSystem({ seed: 1 });
    expect(walk({ system }).leaks).toContain('system.kernel is a Kernel');
  });

  it('nothing handed to process code leads to a Kernel, Proc, Scheduler or Trace', async () => {
    const system = createSystem({ seed: 1 });
    const handed: Record<string, unknown> = { runtime };
    type Msg = { type: 'job'; n: number } | { type: 'ask'; replyTo: Ref<string> };

    const sup = system.spawn(supervisor({ children: [{ id: 'w', start: () => behavior<Msg>(() => undefined) }] }), { name: 'sup' });
    const server = system.spawn<Msg>(
      behavior<Msg>(
        (self, m) => {
          handed.behaviourSelf = self;
          handed.behaviourTimers = self.timers;
          if (m.type === 'ask') self.send(m.replyTo, 'answer');
        },
        { terminate: () => undefined },
      ),
    );

    system.spawn(async (self: Context<Msg, ExitMessage | DownMessage | TimeoutMessage<string>>) => {
      handed.self = self;
      handed.timers = self.timers;
      handed.ref = self.ref;
      handed.parent = self.parent;
      try {
        self.link({ kernel: 0, pid: 999 });
      } catch (err) {
        handed.errors = [err];
      }
      self.trapExit(true);
      handed.monitorRef = self.monitor(server);
      handed.spawnMonitor = self.spawnMonitor(async () => {});
      handed.timerRef = self.setTimer(5, { type: 'job', n: 1 });
      handed.startTimer = self.startTimer(5, 'tick');
      self.timers.start('k', 5, { type: 'job', n: 2 });
      handed.receivePromise = self.receive({ type: 'job', n: 1 });
      handed.job = await handed.receivePromise;
      handed.timeout = await self.receive({ type: 'timeout' });
      handed.selected = await self.select([
        [{ type: 'job' }, (m) => m],
        [{ type: 'DOWN' }, (m) => m],
      ]);
      handed.askPromise = self.ask<string>(server, (replyTo) => ({ type: 'ask', replyTo }));
      handed.reply = await handed.askPromise;
      const child = await self.startLink(async (c) => {
        await c.receive();
      });
      handed.child = child;
      self.exit(child, 'bye');
      handed.exit = await self.receive({ type: 'EXIT' });
      for (const attempt of [
        () => self.ask('nobody', () => 'x'),
        () => self.ask(server, () => 'late' as never, { timeout: 1 }),
        () => self.send(server, { type: 'job', n: () => 1 } as never),
        () =>
          self.startLink(async () => {
            throw new Error('no');
          }),
      ]) {
        try {
          await attempt();
        } catch (err) {
          (handed.errors as unknown[]).push(err);
        }
      }
      handed.report = await whichChildren(self, sup);
      handed.counts = await countChildren(self, sup);
      self.exit('done');
    });

    handed.behaviours = [
      behavior(() => undefined),
      setup(() => behavior(() => undefined)),
      stop('x'),
      supervisor({ children: [] }),
      stateMachine<string, 'a', null>({ initial: 'a', data: null, states: { a: { on: () => postpone() } } }),
      nextState('a', 1, { stateTimeout: 1 }),
      keepState(2),
    ];
    await system.runUntilIdle();

    // The walk saw what it was meant to: a context, a ref, messages, errors.
    expect(handed.self).toBeDefined();
    expect(handed.behaviourSelf).toBeDefined();
    expect((handed.errors as unknown[]).map((e) => (e as Error).name)).toEqual([
      'NoProcError',
      'NoSuchNameError',
      'AskTimeoutError',
      'MessageError',
      'StartError',
    ]);
    const { leaks, seen } = walk(handed);
    expect(leaks).toEqual([]);
    expect(seen.size).toBeGreaterThan(200);
  });
});
