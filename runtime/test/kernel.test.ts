// The interface for kernel hosts (kernel.ts): clusters, bridges and the harness create kernels,
// route envelopes between them and drive processes from outside, without touching the engine.
import { describe, expect, it } from 'vitest';
import { createKernel, type Envelope, type Kernel, type Router } from '../kernel.ts';
import { Scheduler } from '../scheduler.ts';
import { systemOf } from '../system.ts';
import { Trace } from '../trace.ts';
import { behavior, type Context, type ExitMessage, type Ref } from '../index.ts';

/** Two kernels in one thread joined like kernels in two threads: envelopes only, no shared process records. */
function farPair(seed = 1) {
  const scheduler = new Scheduler('deterministic', seed);
  const trace = new Trace(() => scheduler.now());
  const kernels: Kernel[] = [createKernel(0, scheduler, trace), createKernel(1, scheduler, trace)];
  const router: Router = {
    transmit: (_from: Kernel, env: Envelope, target: Ref) => kernels[target.kernel]!.enqueue(env),
    isAlive: (target: Ref) => kernels[target.kernel]!.isAlive(target),
  };
  for (const k of kernels) k.attach(router);
  return { scheduler, trace, kernels, systems: kernels.map((k) => systemOf(k, seed)) };
}

describe('the kernel interface', () => {
  it('routes sends and asks between kernels through the router a host attaches', async () => {
    const { scheduler, systems } = farPair();
    const doubler = systems[1]!.spawn<{ n: number; replyTo: Ref<number> }>(
      behavior((self, m) => {
        self.send(m.replyTo, m.n * 2);
      }),
    );
    const answer = systems[0]!.ask<number>(doubler, (replyTo) => ({ n: 21, replyTo }));
    await scheduler.runUntilIdle();
    expect(await answer).toBe(42);
  });

  it('linking to a process in another thread that is gone: noproc arrives as an exit signal (nobody can tell at once, as in distributed Erlang)', async () => {
    const { scheduler, systems } = farPair();
    const gone = systems[1]!.spawn(async () => {});
    await scheduler.runUntilIdle();
    const log: unknown[] = [];
    const trapping = systems[0]!.spawn(async (self: Context<unknown, ExitMessage>) => {
      self.trapExit(true);
      self.link(gone); // no NoProcError: the answer comes back as a signal
      log.push(await self.receive({ type: 'EXIT' }));
    });
    const plain = systems[0]!.spawn(async (self) => {
      self.link(gone);
      await self.receive();
    });
    await scheduler.runUntilIdle();
    expect(log).toEqual([{ type: 'EXIT', from: gone, reason: 'noproc' }]);
    expect(systems[0]!.info(trapping)!.reason).toBe('normal');
    expect(systems[0]!.info(plain)!.reason).toBe('noproc');
  });

  it('a sink process hands every delivery to its host; halt ends every process and loses envelopes until resume', async () => {
    const { scheduler, trace, kernels, systems } = farPair();
    const got: unknown[] = [];
    const sink = kernels[0]!.spawnSink('test', (env) => got.push(env.msg));
    const worker = systems[1]!.spawn(async (self) => {
      self.send(sink.ref, 'hello');
      await self.receive();
    });
    await scheduler.runUntilIdle();
    expect(got).toEqual(['hello']);
    kernels[1]!.halt('noconnection');
    expect(kernels[1]!.up).toBe(false);
    expect(systems[1]!.info(worker)!.reason).toBe('noconnection');
    kernels[0]!.send(sink, worker, 'lost');
    await scheduler.runUntilIdle();
    expect(trace.of('drop').at(-1)!.cause).toBe('kernel-down');
    kernels[1]!.resume();
    const fresh = systems[1]!.spawn(async (self) => {
      await self.receive();
    });
    await scheduler.runUntilIdle();
    expect(kernels[1]!.isAlive(fresh)).toBe(true);
  });
});
