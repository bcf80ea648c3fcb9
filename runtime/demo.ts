// `npm run tour`: a tour of the runtime in one deterministic run. Same seed, same output.
import { behavior, createSystem, keepState, nextState, postpone, stateMachine, supervisor, whichChildren, type Behavior, type Ref } from '#runtime';

const seed = Number(process.env.SEED ?? 42);
const system = createSystem({ seed });

// 1. Erlang style: a process is an async loop with selective receive.
type Token = { type: 'token'; hops: number; done: Ref<{ type: 'done'; hops: number }> };
const ringSize = 5;
const laps = 3;
const members: Ref<Token | { type: 'next'; next: Ref<Token> }>[] = [];
for (let i = 0; i < ringSize; i++) {
  members.push(
    system.spawn(
      async (self) => {
        const { next } = (await self.receive({ type: 'next' })) as { type: 'next'; next: Ref<Token> };
        for (;;) {
          const token = (await self.receive({ type: 'token' })) as Token;
          if (token.hops + 1 === ringSize * laps) self.send(token.done, { type: 'done', hops: token.hops + 1 });
          else self.send(next, { ...token, hops: token.hops + 1 });
        }
      },
      { name: `ring-${i}` },
    ),
  );
}
members.forEach((m, i) => system.send(m, { type: 'next', next: members[(i + 1) % ringSize]! }));

// 2. Handler-per-message style (Akka/gen_server): a state machine that returns its next state.
type CounterMsg = { type: 'done'; hops: number } | { type: 'get'; replyTo: Ref<number> };
const counter = (total: number): Behavior<CounterMsg> =>
  behavior<CounterMsg>((self, msg) => {
    if (msg.type === 'done') return counter(total + msg.hops);
    self.send(msg.replyTo, total);
  });
const tally = system.spawn(counter(0), { name: 'tally' });
system.send(members[0]!, { type: 'token', hops: 0, done: tally });
await system.runUntilIdle();
const total = system.ask<number>(tally, (replyTo) => ({ type: 'get', replyTo }));
await system.runUntilIdle();

// 3. A state machine (gen_statem): a code lock that opens on '42' and locks again after 5 s.
type LockMsg = { type: 'button'; digit: string } | { type: 'status'; replyTo: Ref<string> };
const lock = system.spawn(
  stateMachine<LockMsg, 'locked' | 'open', string>({
    initial: 'locked',
    data: '',
    states: {
      locked: {
        on: (self, event, typed) => {
          if (event.type === 'status') return void self.send(event.replyTo, 'locked');
          if (event.type !== 'button') return;
          return typed + event.digit === '42' ? nextState('open', '') : keepState('42'.startsWith(typed + event.digit) ? typed + event.digit : '');
        },
      },
      open: {
        enter: () => keepState(undefined, { stateTimeout: 5000 }),
        on: (self, event) => {
          if (event.type === 'status') return void self.send(event.replyTo, 'open');
          return event.type === 'state_timeout' ? nextState('locked') : postpone();
        },
      },
    },
  }),
  { name: 'lock' },
);
for (const digit of '142') system.send(lock, { type: 'button', digit });
await system.runUntilIdle({ maxTime: 0 });
const opened = system.ask<string>(lock, (replyTo) => ({ type: 'status', replyTo }));
await system.runUntilIdle({ maxTime: 0 });
const lockedAt = (await opened) === 'open' ? system.now() : -1;
await system.advance(5000);
const relocked = system.ask<string>(lock, (replyTo) => ({ type: 'status', replyTo }));
await system.runUntilIdle();

// 4. Let it crash: a supervisor restarts a worker that throws.
type Job = { type: 'job'; n: number };
const worker = () =>
  behavior<Job>((self, msg) => {
    if (msg.n === 13) throw new Error(`unlucky job ${msg.n}`);
  });
const sup = system.spawn(supervisor({ strategy: 'one_for_one', children: [{ id: 'worker', start: worker }] }), { name: 'sup' });
await system.runUntilIdle();
const before = whichChildren(system, sup);
await system.runUntilIdle();
system.send((await before).children[0]!.ref!, { type: 'job', n: 13 });
await system.advance(10);
const after = whichChildren(system, sup);
await system.runUntilIdle();

console.log(`Message-passing runtime demo (seed ${seed})\n`);
console.log(`Token ring: ${ringSize} processes, ${laps} laps; the tally counted ${await total} hops.`);
console.log(`State machine: the lock opened at t=${lockedAt} ms on "4", "2" and was ${await relocked} again 5 s later.`);
console.log(
  `Supervisor: ${(await after).restarts} restart(s); the worker is a new process ${JSON.stringify((await after).children[0]!.ref)} (was ${JSON.stringify((await before).children[0]!.ref)}).\n`,
);
console.log('Sequence chart (last 14 events):');
console.log(system.trace!.toChart({ last: 14 }));
console.log(`\n${system.trace!.length} trace events, virtual time ${system.now()} ms. Run again with SEED=7 npm run tour for another interleaving.`);
