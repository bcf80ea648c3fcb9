// Determinism across kit versions. A grade is a function of (submission, kit version): the
// same seed must give the same interleaving in every copy of one kit version. These goldens
// pin the PRNG's outputs and a hash of the trace of fixed programs under fixed seeds, so that
// a refactor cannot silently change every interleaving (and so every mark) mid-term.
//
// A deliberate change of scheduling updates the goldens and the kit version together: bump
// "version" in package.json, then run
//   UPDATE_GOLDENS=1 npx vitest run runtime/test/goldens.test.ts
// which rewrites goldens.json only when the version differs from the one recorded there.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCluster } from '../../kernels/simulated/cluster.ts';
import {
  behavior,
  createSystem,
  keepState,
  nextState,
  postpone,
  setup,
  stateMachine,
  supervisor,
  whichChildren,
  type Context,
  type ExitMessage,
  type Ref,
} from '../index.ts';
import { createRandom } from '../prng.ts';

const here = dirname(fileURLToPath(import.meta.url));
const file = join(here, 'goldens.json');
const kitVersion = (JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
const SEEDS = [1, 42, 2024];

interface Goldens {
  readonly kitVersion: string;
  readonly prng: Record<string, number[]>;
  readonly traces: Record<string, string>;
}

function prngOutputs(): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const seed of SEEDS) {
    const r = createRandom(seed);
    out[`next:${seed}`] = Array.from({ length: 8 }, () => Math.floor(r.next() * 2 ** 32));
    out[`int100:${seed}`] = Array.from({ length: 8 }, () => r.int(100));
    const f = createRandom(seed).fork('scheduler');
    out[`fork:${seed}`] = Array.from({ length: 4 }, () => Math.floor(f.next() * 2 ** 32));
  }
  return out;
}

const hash = (trace: unknown): string => createHash('sha256').update(JSON.stringify(trace)).digest('hex').slice(0, 24);

/** Fixed programs: each runs under a seed and returns its trace. */
const programs: Record<string, (seed: number) => Promise<unknown>> = {
  // Erlang style: a token ring of async loops with selective receive; a sleeper adds timers.
  async ring(seed) {
    const system = createSystem({ seed });
    type Token = { type: 'token'; hops: number } | { type: 'next'; next: Ref };
    const members: Ref<Token>[] = [];
    for (let i = 0; i < 5; i++) {
      members.push(
        system.spawn<Token>(
          async (self) => {
            const { next } = (await self.receive({ type: 'next' })) as { next: Ref<Token> };
            for (;;) {
              const t = (await self.receive({ type: 'token' })) as { hops: number };
              if (i === 2) await self.sleep(1 + (t.hops % 3));
              if (t.hops < 40) self.send(next, { type: 'token', hops: t.hops + 1 });
            }
          },
          { name: `ring-${i}` },
        ),
      );
    }
    members.forEach((m, i) => system.send(m, { type: 'next', next: members[(i + 1) % 5]! }));
    system.send(members[0]!, { type: 'token', hops: 0 });
    system.send(members[3]!, { type: 'token', hops: 20 });
    await system.runUntilIdle();
    return system.trace!.toJSON();
  },

  // Behaviours, asks with timeouts, links, monitors and a crash.
  async services(seed) {
    const system = createSystem({ seed });
    type Req = { n: number; replyTo: Ref<number> };
    const server = system.spawn<Req>(
      behavior<Req>(async (self, m) => {
        if (m.n % 4 === 3) await self.sleep(20);
        if (m.n === 9) throw new Error('nine');
        self.send(m.replyTo, m.n * 2);
      }),
      { name: 'server' },
    );
    for (let c = 0; c < 3; c++) {
      system.spawn(
        async (self: Context<unknown, ExitMessage>) => {
          self.trapExit(true);
          self.monitor(server);
          for (let n = c; n < 12; n += 3) {
            try {
              await self.ask<number>(server, (replyTo) => ({ n, replyTo }), { timeout: 10 });
            } catch {
              // timed out, or the server is gone
            }
          }
          await self.receive(undefined, { after: 50 });
        },
        { name: `client-${c}` },
      );
    }
    await system.runUntilIdle();
    return system.trace!.toJSON();
  },

  // Supervisors: one_for_all, a crash, a crash during the group shutdown, shutdown at the end.
  async supervision(seed) {
    const system = createSystem({ seed });
    type W = { type: 'crash' } | { type: 'later'; ms: number };
    const worker = () => async (self: Context<W>) => {
      for (;;) {
        const m = await self.receive();
        if (m.type === 'later') await self.sleep(m.ms);
        throw new Error('crash');
      }
    };
    const sup = system.spawn(
      supervisor({
        strategy: 'one_for_all',
        intensity: 3,
        children: ['a', 'b', 'c'].map((id) => ({ id, start: worker })),
      }),
      { name: 'sup' },
    );
    await system.runUntilIdle();
    const report = whichChildren(system, sup);
    await system.runUntilIdle();
    const [a, b] = (await report).children;
    system.send(a!.ref!, { type: 'crash' });
    system.send(b!.ref!, { type: 'later', ms: 0 });
    await system.runUntilIdle();
    system.exit(sup, 'shutdown');
    await system.runUntilIdle();
    return system.trace!.toJSON();
  },

  // A state machine with state timeouts and postponing, keyed timers, select.
  async machines(seed) {
    const system = createSystem({ seed });
    const lock = system.spawn(
      stateMachine<string, 'locked' | 'open', number>({
        initial: 'locked',
        data: 0,
        states: {
          locked: { on: (_self, e, n) => (e === 'open' ? nextState('open', n + 1) : undefined) },
          open: {
            enter: () => keepState(undefined, { stateTimeout: 30 }),
            on: (_self, e) => (typeof e === 'object' ? nextState('locked') : e === 'knock' ? postpone() : undefined),
          },
        },
      }),
      { name: 'lock' },
    );
    system.spawn(
      setup<string>((self) => {
        self.timers.startPeriodic('tick', 7, 'tick');
        let ticks = 0;
        return behavior<string>((me) => {
          me.send(lock, ++ticks % 3 === 0 ? 'open' : 'knock');
          if (ticks === 12) me.timers.cancelAll();
        });
      }),
      { name: 'ticker' },
    );
    system.spawn(
      async (self: Context<string>) => {
        for (let i = 0; i < 4; i++) {
          await self.select(
            [
              [(m: string) => m === 'x', () => 1],
              [(m: string) => m === 'y', () => 2],
            ],
            { after: 11 },
          );
        }
      },
      { name: 'selector' },
    );
    await system.runUntilIdle();
    return system.trace!.toJSON();
  },

  // Simulated kernels with latency, drops, duplicates and a kernel crash.
  async cluster(seed) {
    const cluster = createCluster({ seed, kernels: 3, network: { latency: { min: 1, max: 9 }, drop: 0.1, duplicate: 0.1 } });
    const sink = cluster.kernels[2]!.spawn(
      behavior<number>(() => undefined),
      { name: 'sink' },
    );
    for (let k = 0; k < 2; k++) {
      cluster.kernels[k]!.spawn(
        async (self) => {
          self.monitor(sink);
          for (let i = 0; i < 15; i++) {
            self.send(sink, i);
            if (i % 5 === 4) await self.sleep(3);
          }
          await self.receive();
        },
        { name: `sender-${k}` },
      );
    }
    await cluster.advance(12);
    cluster.crash(2);
    await cluster.runUntilIdle();
    return cluster.trace!.toJSON();
  },
};

async function traceHashes(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, run] of Object.entries(programs)) {
    for (const seed of SEEDS) out[`${name}:${seed}`] = hash(await run(seed));
  }
  return out;
}

function current(): Goldens | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Goldens) : undefined;
}

const STALE =
  'the goldens do not match: scheduling changed, so the same seed no longer gives the same run (and the same marks). ' +
  'If that is deliberate, bump "version" in package.json and run UPDATE_GOLDENS=1 npx vitest run runtime/test/goldens.test.ts';

describe('determinism goldens', () => {
  it('are recorded for this kit version', async () => {
    const recorded = current();
    if (process.env.UPDATE_GOLDENS === '1') {
      if (recorded !== undefined && recorded.kitVersion === kitVersion) {
        throw new Error(
          `goldens.json already records kit version ${kitVersion}: bump "version" in package.json first, so that old and new runs cannot be mistaken for each other`,
        );
      }
      const goldens: Goldens = { kitVersion, prng: prngOutputs(), traces: await traceHashes() };
      writeFileSync(file, `${JSON.stringify(goldens, null, 2)}\n`);
      return;
    }
    expect(recorded, 'runtime/test/goldens.json is missing').toBeDefined();
    expect(
      recorded!.kitVersion,
      `goldens.json records kit version ${recorded!.kitVersion}, package.json says ${kitVersion}: a new kit version needs its goldens (UPDATE_GOLDENS=1)`,
    ).toBe(kitVersion);
  });

  it("pin the PRNG's outputs", () => {
    expect(prngOutputs(), STALE).toEqual(current()!.prng);
  });

  it('pin the traces of fixed programs under fixed seeds (loops, behaviours, asks, supervisors, state machines, timers, simulated kernels)', async () => {
    const hashes = await traceHashes();
    expect(Object.keys(hashes)).toHaveLength(Object.keys(programs).length * SEEDS.length);
    expect(hashes, STALE).toEqual(current()!.traces);
  });

  it('the programs are deterministic within one run too, and do something (so a golden mismatch is a real change)', async () => {
    for (const [name, run] of Object.entries(programs)) {
      const trace = (await run(7)) as { events: unknown[] };
      expect(trace.events.length, name).toBeGreaterThan(40);
      expect(hash(await run(7)), name).toBe(hash(trace));
    }
  });

  it('differ between seeds (so the goldens pin interleavings, not just programs)', async () => {
    const hashes = await traceHashes();
    for (const name of Object.keys(programs)) {
      const distinct = new Set(SEEDS.map((seed) => hashes[`${name}:${seed}`]));
      expect(distinct.size, name).toBeGreaterThan(1);
    }
  });
});
