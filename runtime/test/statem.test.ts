// State machines in the style of gen_statem: state functions, state enter calls, state
// timeouts, postpone. The example is gen_statem's own: a code lock.
import { describe, expect, it } from 'vitest';
import { behavior, createSystem, keepState, nextState, postpone, stateMachine, stop, type Ref } from '../index.ts';
import { errorOf, fate } from './helpers.ts';

type LockMsg = { type: 'button'; digit: string } | { type: 'status'; replyTo: Ref<string> } | { type: 'halt' };
type LockState = 'locked' | 'open';

function codeLock(code: string, log: string[]) {
  return stateMachine<LockMsg, LockState, { typed: string }>({
    initial: 'locked',
    data: { typed: '' },
    states: {
      locked: {
        enter: (self, _data, from) => {
          log.push(`enter locked from ${from} at ${self.now()}`);
          return keepState({ typed: '' });
        },
        on: (self, event, data) => {
          switch (event.type) {
            case 'button': {
              const typed = data.typed + event.digit;
              if (typed === code) return nextState('open', { typed: '' });
              // Forget a half-typed code after 3 s without a button (a state timeout).
              return keepState({ typed: code.startsWith(typed) ? typed : '' }, { stateTimeout: 3000 });
            }
            case 'state_timeout':
              log.push(`forgot ${data.typed} at ${self.now()}`);
              return keepState({ typed: '' });
            case 'status':
              self.send(event.replyTo, 'locked');
              return;
            case 'halt':
              return stop('halted');
          }
        },
      },
      open: {
        enter: (self, _data, from) => {
          log.push(`enter open from ${from} at ${self.now()}`);
          return keepState(undefined, { stateTimeout: 10_000 }); // relock after 10 s
        },
        on: (self, event) => {
          switch (event.type) {
            case 'state_timeout':
              return nextState('locked');
            case 'button':
              return postpone(); // handled again once locked
            case 'status':
              self.send(event.replyTo, 'open');
              return;
            case 'halt':
              return stop('halted');
          }
        },
      },
    },
    terminate: (self, reason, state) => {
      log.push(`terminate ${String(reason)} in ${state} at ${self.now()}`);
    },
  });
}

async function status(system: ReturnType<typeof createSystem>, lock: Ref<LockMsg>): Promise<string> {
  const reply = system.ask<string, LockMsg>(lock, (replyTo) => ({ type: 'status', replyTo }));
  await system.runUntilIdle({ maxTime: 0 });
  return reply;
}

describe('state machines (gen_statem)', () => {
  it("runs the current state's handler; a change of state runs the enter call, which may set a state timeout", async () => {
    const system = createSystem({ seed: 1 });
    const log: string[] = [];
    const lock = system.spawn(codeLock('123', log), { name: 'lock' });
    await system.runUntilIdle();
    for (const digit of '123') system.send(lock, { type: 'button', digit });
    await system.runUntilIdle({ maxTime: 0 });
    expect(await status(system, lock)).toBe('open');
    await system.advance(10_000);
    expect(await status(system, lock)).toBe('locked');
    expect(log).toEqual(['enter locked from locked at 0', 'enter open from locked at 0', 'enter locked from open at 10000']);
  });

  it('a state timeout fires in its state, is restarted by setting it again, and is cancelled by a change of state', async () => {
    const system = createSystem({ seed: 1 });
    const log: string[] = [];
    const lock = system.spawn(codeLock('123', log));
    system.send(lock, { type: 'button', digit: '1' });
    await system.advance(2000);
    system.send(lock, { type: 'button', digit: '2' }); // restarts the 3 s timeout
    await system.advance(2999);
    expect(log.filter((l) => l.startsWith('forgot'))).toEqual([]);
    await system.advance(1);
    expect(log.filter((l) => l.startsWith('forgot'))).toEqual(['forgot 12 at 5000']);
    // '1' sets the timeout in locked, then '23' opens: the locked state's timeout is cancelled.
    for (const digit of '123') system.send(lock, { type: 'button', digit });
    await system.advance(5000);
    expect(log.filter((l) => l.startsWith('forgot'))).toEqual(['forgot 12 at 5000']);
    // Only the timeout that made it forget '12' was ever sent: the one '1' set was cancelled by opening.
    expect(system.trace!.of('send').filter((e) => (e.msg as { type?: string }).type === 'state_timeout')).toHaveLength(1);
  });

  it('postponed events are handled again after the next change of state, before newer ones, in their order', async () => {
    const system = createSystem({ seed: 1 });
    const log: string[] = [];
    const lock = system.spawn(codeLock('1', log));
    system.send(lock, { type: 'button', digit: '1' }); // opens
    await system.runUntilIdle({ maxTime: 0 });
    // While open, buttons are postponed; after the relock they are typed, in order: '1' opens again.
    system.send(lock, { type: 'button', digit: '1' });
    await system.advance(10_000);
    expect(log).toEqual(['enter locked from locked at 0', 'enter open from locked at 0', 'enter locked from open at 10000', 'enter open from locked at 10000']);
  });

  it('stop ends it after its terminate call, which sees the last state', async () => {
    const system = createSystem({ seed: 1 });
    const log: string[] = [];
    const lock = system.spawn(codeLock('1', log));
    system.send(lock, { type: 'button', digit: '1' });
    system.send(lock, { type: 'halt' });
    await system.runUntilIdle();
    expect(fate(system, lock)).toBe('halted');
    expect(log.at(-1)).toBe('terminate halted in open at 0');
  });

  it('an enter call that tries to change state, or a transition to an unknown state, crashes the machine with a plain error', async () => {
    const system = createSystem({ seed: 1 });
    const bad = system.spawn(
      stateMachine<string, 'a' | 'b', null>({
        initial: 'a',
        data: null,
        states: {
          a: { enter: () => nextState('b') as never, on: () => undefined },
          b: { on: () => undefined },
        },
      }),
    );
    const lost = system.spawn(
      stateMachine<string, 'a', null>({
        initial: 'a',
        data: null,
        states: { a: { on: () => nextState('nowhere' as 'a') } },
      }),
    );
    system.send(lost, 'go');
    await system.runUntilIdle();
    expect(errorOf(fate(system, bad)).message).toMatch(/may only return keepState/);
    expect(errorOf(fate(system, lost)).message).toMatch(/no such state/);
    expect(behavior).toBeDefined();
  });
});
