// nact 7.6.2, the peer actor library, written the way its documentation does: stateful
// actors `spawn(parent, (state, msg, ctx) => nextState, name, { initialState })`,
// stateless ones with `spawnStateless`, messages sent with `dispatch`. nact runs each
// message in its own setImmediate, so it is slow per message; its sizes are scaled down.
import nact from 'nact';
import type { Ref as NactRef } from 'nact';
import { cpuMsSince, type Implementation, type Outcome } from '../lib/types.ts';

const { start, spawn, spawnStateless, dispatch, stop } = nact;

type PingerMsg = { type: 'start' } | { type: 'pong'; n: number };
type PongerMsg = { type: 'ping'; n: number; replyTo: NactRef<PingerMsg> };
type RingMsg = { type: 'next'; next: NactRef<RingMsg> } | { type: 'token'; hop: number };
type CounterMsg = { type: 'inc' } | { type: 'get'; replyTo: NactRef<ProducerMsg> };
type ProducerMsg = { type: 'start' } | { type: 'count'; n: number };
type WorkerMsg = { type: 'job'; round: number; n: number; replyTo: NactRef<MasterMsg> };
type MasterMsg = { type: 'start' } | { type: 'done'; round: number; n: number };

/** A run whose final actor never reports (a lost message, a crashed actor) fails instead of hanging. */
const TIMEOUT_MS = 60_000;

interface Done {
  result: number;
  detail?: number;
  at: number;
  cpuMs: number;
}

/**
 * Builds the actors in a fresh nact system (untimed, after one event-loop turn so that the
 * wiring messages are handled), times `kick()` until an actor calls `done`, then stops the system.
 */
async function timed(build: (system: NactRef<never>, done: (result: number, detail?: number) => void) => () => void): Promise<Outcome> {
  const system = start();
  let resolveDone!: (d: Done) => void;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finished = new Promise<Done>((resolve, reject) => {
    resolveDone = resolve;
    timer = setTimeout(() => reject(new Error(`nact run did not finish within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  let cpu = process.cpuUsage();
  const kick = build(system, (result, detail) => resolveDone({ result, detail, at: performance.now(), cpuMs: cpuMsSince(cpu) }));
  await new Promise<void>((resolve) => setTimeout(resolve, 5));
  cpu = process.cpuUsage();
  const t0 = performance.now();
  kick();
  try {
    const done = await finished;
    return { result: done.result, detail: done.detail, ms: done.at - t0, cpuMs: done.cpuMs };
  } finally {
    clearTimeout(timer);
    stop(system);
  }
}

export const nactPeer: Implementation = {
  id: 'nact',
  label: 'nact 7.6.2',
  scale: { min: 1 / 64, max: 1 },
  runners: {
    'ping-pong': ({ roundTrips }) =>
      timed((system, done) => {
        const ponger = spawnStateless(
          system,
          (msg: PongerMsg) => {
            dispatch(msg.replyTo, { type: 'pong', n: msg.n });
          },
          'ponger',
        );
        const pinger = spawnStateless(
          system,
          (msg: PingerMsg, ctx) => {
            if (msg.type === 'start') dispatch(ponger, { type: 'ping', n: 1, replyTo: ctx.self });
            else if (msg.n < roundTrips) dispatch(ponger, { type: 'ping', n: msg.n + 1, replyTo: ctx.self });
            else done(msg.n);
          },
          'pinger',
        );
        return () => dispatch(pinger, { type: 'start' });
      }),

    'thread-ring': ({ actors, hops }) =>
      timed((system, done) => {
        const ring: NactRef<RingMsg>[] = [];
        for (let index = 0; index < actors; index++) {
          ring.push(
            spawn(
              system,
              (next: NactRef<RingMsg> | undefined, msg: RingMsg) => {
                if (msg.type === 'next') return msg.next;
                if (msg.hop === hops) done(msg.hop, index);
                else dispatch(next!, { type: 'token', hop: msg.hop + 1 });
                return next;
              },
              `member-${index}`,
              { initialState: undefined as NactRef<RingMsg> | undefined },
            ),
          );
        }
        for (let i = 0; i < actors; i++) dispatch(ring[i]!, { type: 'next', next: ring[(i + 1) % actors]! });
        return () => dispatch(ring[0]!, { type: 'token', hop: 0 });
      }),

    counting: ({ messages }) =>
      timed((system, done) => {
        const counter = spawn(
          system,
          (count: number, msg: CounterMsg) => {
            if (msg.type === 'inc') return count + 1;
            dispatch(msg.replyTo, { type: 'count', n: count });
            return count;
          },
          'counter',
          { initialState: 0 },
        );
        const producer = spawnStateless(
          system,
          (msg: ProducerMsg, ctx) => {
            if (msg.type === 'start') {
              for (let i = 0; i < messages; i++) dispatch(counter, { type: 'inc' });
              dispatch(counter, { type: 'get', replyTo: ctx.self });
            } else {
              done(msg.n);
            }
          },
          'producer',
        );
        return () => dispatch(producer, { type: 'start' });
      }),

    'fan-out': ({ workers, rounds }) =>
      timed((system, done) => {
        const pool: NactRef<WorkerMsg>[] = [];
        for (let i = 0; i < workers; i++) {
          pool.push(
            spawnStateless(
              system,
              (msg: WorkerMsg) => {
                dispatch(msg.replyTo, { type: 'done', round: msg.round, n: msg.n * 2 });
              },
              `worker-${i}`,
            ),
          );
        }
        interface MasterState {
          round: number;
          pending: number;
          replies: number;
          sum: number;
        }
        const sendRound = (round: number, self: NactRef<MasterMsg>) => {
          for (let i = 0; i < workers; i++) dispatch(pool[i]!, { type: 'job', round, n: i, replyTo: self });
        };
        const master = spawn(
          system,
          (s: MasterState, msg: MasterMsg, ctx) => {
            if (msg.type === 'start') {
              sendRound(0, ctx.self);
              return { ...s, pending: workers };
            }
            if (msg.round !== s.round) throw new Error(`reply for round ${msg.round} during round ${s.round}`);
            const next = { round: s.round, pending: s.pending - 1, replies: s.replies + 1, sum: s.sum + msg.n };
            if (next.pending > 0) return next;
            next.round++;
            if (next.round === rounds) {
              done(next.replies, next.sum);
              return next;
            }
            sendRound(next.round, ctx.self);
            return { ...next, pending: workers };
          },
          'master',
          { initialState: { round: 0, pending: 0, replies: 0, sum: 0 } },
        );
        return () => dispatch(master, { type: 'start' });
      }),
  },
};
