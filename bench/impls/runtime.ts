// This runtime ('#runtime'), written the way students write it: behaviours (a handler per
// message, the fast path) for every workload, and the async-loop style
// (`for (;;) { const m = await self.receive(); ... }`) for ping-pong and thread ring.
// Each runner builds a fresh system, spawns and wires the actors, lets them start
// (untimed), then times the traffic from the kick-off message to the final result.
import { behavior, createSystem, stop, type Behavior, type Mode, type Ref, type System } from '#runtime';
import { cpuMsSince, type Implementation, type Outcome, type Runners } from '../lib/types.ts';

/** No step limit: the benchmark runs are far longer than runUntilIdle's default safety net. */
const UNLIMITED = { maxSteps: Number.MAX_SAFE_INTEGER };

/** Where a workload's final actor writes its result (the benchmark's probe, not part of the program). */
interface Probe {
  result?: number;
  detail?: number;
  at?: number;
  cpu?: NodeJS.CpuUsage;
  cpuMs?: number;
}

function finish(probe: Probe, result: number, detail?: number): void {
  probe.at = performance.now();
  if (probe.cpu) probe.cpuMs = cpuMsSince(probe.cpu);
  probe.result = result;
  probe.detail = detail;
}

async function timed(system: System, probe: Probe, kick: () => void): Promise<Outcome> {
  await system.runUntilIdle(UNLIMITED); // start every process and deliver the wiring messages
  probe.cpu = process.cpuUsage();
  const t0 = performance.now();
  kick();
  await system.runUntilIdle(UNLIMITED);
  const end = probe.at ?? performance.now();
  return {
    result: probe.result ?? -1,
    detail: probe.detail,
    ms: end - t0,
    cpuMs: probe.cpuMs ?? cpuMsSince(probe.cpu),
    traceEvents: system.trace?.length,
    traceTruncated: system.trace?.truncated,
  };
}

// ---- message shapes --------------------------------------------------------------------------

type PingerMsg = { type: 'start' } | { type: 'pong'; n: number };
type PongerMsg = { type: 'ping'; n: number; replyTo: Ref<PingerMsg> } | { type: 'stop' };
type RingMsg = { type: 'next'; next: Ref<RingMsg> } | { type: 'token'; hop: number };
type CounterMsg = { type: 'inc' } | { type: 'get'; replyTo: Ref<ProducerMsg> };
type ProducerMsg = { type: 'start' } | { type: 'count'; n: number };
type WorkerMsg = { type: 'job'; round: number; n: number; replyTo: Ref<MasterMsg> };
type MasterMsg = { type: 'start' } | { type: 'done'; round: number; n: number };

// ---- behaviour style -------------------------------------------------------------------------

function behaviourRunners(mode: Mode, trace?: boolean): Runners {
  return {
    'ping-pong': async ({ roundTrips }) => {
      const system = createSystem({ mode, trace });
      const probe: Probe = {};
      const ponger = system.spawn<PongerMsg>(
        behavior((self, msg) => {
          if (msg.type === 'ping') self.send(msg.replyTo, { type: 'pong', n: msg.n });
          else return stop();
        }),
      );
      const pinger = system.spawn<PingerMsg>(
        behavior((self, msg) => {
          if (msg.type === 'start') {
            self.send(ponger, { type: 'ping', n: 1, replyTo: self.ref });
          } else if (msg.n < roundTrips) {
            self.send(ponger, { type: 'ping', n: msg.n + 1, replyTo: self.ref });
          } else {
            finish(probe, msg.n);
            self.send(ponger, { type: 'stop' });
            return stop();
          }
        }),
      );
      return timed(system, probe, () => system.send(pinger, { type: 'start' }));
    },

    'thread-ring': async ({ actors, hops }) => {
      const system = createSystem({ mode, trace });
      const probe: Probe = {};
      const member = (index: number, next: Ref<RingMsg>): Behavior<RingMsg> =>
        behavior((self, msg) => {
          if (msg.type !== 'token') return;
          if (msg.hop === hops) finish(probe, msg.hop, index);
          else self.send(next, { type: 'token', hop: msg.hop + 1 });
        });
      const unlinked = (index: number): Behavior<RingMsg> => behavior((_self, msg) => (msg.type === 'next' ? member(index, msg.next) : undefined));
      const ring: Ref<RingMsg>[] = [];
      for (let i = 0; i < actors; i++) ring.push(system.spawn(unlinked(i)));
      for (let i = 0; i < actors; i++) system.send(ring[i]!, { type: 'next', next: ring[(i + 1) % actors]! });
      return timed(system, probe, () => system.send(ring[0]!, { type: 'token', hop: 0 }));
    },

    counting: async ({ messages }) => {
      const system = createSystem({ mode, trace });
      const probe: Probe = {};
      const counter = (n: number): Behavior<CounterMsg> =>
        behavior((self, msg) => {
          if (msg.type === 'inc') return counter(n + 1);
          self.send(msg.replyTo, { type: 'count', n });
        });
      const c = system.spawn(counter(0));
      const producer = system.spawn<ProducerMsg>(
        behavior((self, msg) => {
          if (msg.type === 'start') {
            for (let i = 0; i < messages; i++) self.send(c, { type: 'inc' });
            self.send(c, { type: 'get', replyTo: self.ref });
          } else {
            finish(probe, msg.n);
          }
        }),
      );
      return timed(system, probe, () => system.send(producer, { type: 'start' }));
    },

    'fan-out': async ({ workers, rounds }) => {
      const system = createSystem({ mode, trace });
      const probe: Probe = {};
      const pool: Ref<WorkerMsg>[] = [];
      for (let i = 0; i < workers; i++) {
        pool.push(
          system.spawn<WorkerMsg>(
            behavior((self, msg) => {
              self.send(msg.replyTo, { type: 'done', round: msg.round, n: msg.n * 2 });
            }),
          ),
        );
      }
      let round = 0,
        pending = 0,
        replies = 0,
        sum = 0;
      const master = system.spawn<MasterMsg>(
        behavior((self, msg) => {
          if (msg.type === 'done') {
            if (msg.round !== round) throw new Error(`reply for round ${msg.round} during round ${round}`);
            replies++;
            sum += msg.n;
            if (--pending > 0) return;
            if (++round === rounds) {
              finish(probe, replies, sum);
              return;
            }
          }
          pending = workers;
          for (let i = 0; i < workers; i++) self.send(pool[i]!, { type: 'job', round, n: i, replyTo: self.ref });
        }),
      );
      return timed(system, probe, () => system.send(master, { type: 'start' }));
    },
  };
}

// ---- async-loop style --------------------------------------------------------------------------

function asyncRunners(mode: Mode, trace?: boolean): Runners {
  return {
    'ping-pong': async ({ roundTrips }) => {
      const system = createSystem({ mode, trace });
      const probe: Probe = {};
      const ponger = system.spawn<PongerMsg>(async (self) => {
        for (;;) {
          const msg = await self.receive();
          if (msg.type === 'stop') return;
          self.send(msg.replyTo, { type: 'pong', n: msg.n });
        }
      });
      const pinger = system.spawn<PingerMsg>(async (self) => {
        await self.receive();
        let n = 0;
        while (n < roundTrips) {
          self.send(ponger, { type: 'ping', n: n + 1, replyTo: self.ref });
          const reply = await self.receive();
          if (reply.type !== 'pong' || reply.n !== n + 1) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
          n = reply.n;
        }
        finish(probe, n);
        self.send(ponger, { type: 'stop' });
      });
      return timed(system, probe, () => system.send(pinger, { type: 'start' }));
    },

    'thread-ring': async ({ actors, hops }) => {
      const system = createSystem({ mode, trace });
      const probe: Probe = {};
      const ring: Ref<RingMsg>[] = [];
      for (let index = 0; index < actors; index++) {
        ring.push(
          system.spawn<RingMsg>(async (self) => {
            let next: Ref<RingMsg> | undefined;
            for (;;) {
              const msg = await self.receive();
              if (msg.type === 'next') {
                next = msg.next;
              } else if (msg.hop === hops) {
                finish(probe, msg.hop, index);
              } else {
                self.send(next!, { type: 'token', hop: msg.hop + 1 });
              }
            }
          }),
        );
      }
      for (let i = 0; i < actors; i++) system.send(ring[i]!, { type: 'next', next: ring[(i + 1) % actors]! });
      return timed(system, probe, () => system.send(ring[0]!, { type: 'token', hop: 0 }));
    },
  };
}

const RUNTIME_SCALE = { min: 1, max: 1 };

export const runtimeRealtime: Implementation = {
  id: 'runtime-rt',
  label: 'runtime real-time',
  runners: behaviourRunners('realtime'),
  scale: RUNTIME_SCALE,
};

export const runtimeDeterministic: Implementation = {
  id: 'runtime-det',
  label: 'runtime deterministic+trace',
  runners: behaviourRunners('deterministic'),
  scale: RUNTIME_SCALE,
};

export const runtimeDeterministicNoTrace: Implementation = {
  id: 'runtime-det-notrace',
  label: 'runtime deterministic, trace: false',
  runners: behaviourRunners('deterministic', false),
  scale: RUNTIME_SCALE,
};

/** The async-loop style is much slower per message: allow calibration to shrink the size. */
const ASYNC_SCALE = { min: 1 / 16, max: 1 };

export const runtimeRealtimeAsync: Implementation = {
  id: 'runtime-rt-async',
  label: 'runtime real-time, async loop',
  runners: asyncRunners('realtime'),
  scale: ASYNC_SCALE,
};

export const runtimeDeterministicAsync: Implementation = {
  id: 'runtime-det-async',
  label: 'runtime det+trace, async loop',
  runners: asyncRunners('deterministic'),
  scale: ASYNC_SCALE,
};
