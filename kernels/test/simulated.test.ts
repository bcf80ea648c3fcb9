import { describe, expect, it } from 'vitest';
import { behavior, type DownMessage, type Ref } from '#runtime';
import { createCluster, type ClusterOptions } from '../simulated/cluster.ts';

type Msg = { type: 'n'; from: number; n: number };

/** Kernel 0 runs `senders` processes that each send `count` numbered messages to a collector on kernel 1. */
async function exchange(options: ClusterOptions, senders = 3, count = 30) {
  const cluster = createCluster({ kernels: 2, ...options });
  const got: Msg[] = [];
  const collector = cluster.kernels[1]!.spawn(
    behavior<Msg>((_self, msg) => {
      got.push(msg);
    }),
    { name: 'collector' },
  );
  for (let s = 0; s < senders; s++) {
    cluster.kernels[0]!.spawn(
      async (self) => {
        for (let n = 0; n < count; n++) self.send(collector, { type: 'n', from: s, n });
      },
      { name: `sender-${s}` },
    );
  }
  await cluster.runUntilIdle();
  return { cluster, got };
}

function perSender(got: Msg[], s: number): number[] {
  return got.filter((m) => m.from === s).map((m) => m.n);
}

describe('simulated kernels', () => {
  it('keep per-pair FIFO across kernels without reorder faults, and deliver everything', async () => {
    const { got } = await exchange({ seed: 3, network: { latency: { min: 1, max: 20 } } });
    expect(got).toHaveLength(90);
    for (let s = 0; s < 3; s++) expect(perSender(got, s)).toEqual([...Array(30).keys()]);
  });

  it('cost virtual time: latency is drawn from the configured range', async () => {
    const { cluster } = await exchange({ seed: 3, network: { latency: { min: 10, max: 10 } } }, 1, 1);
    expect(cluster.now()).toBe(10);
  });

  it('drop messages with the configured probability, and record each drop in the trace', async () => {
    const { cluster, got } = await exchange({ seed: 5, network: { drop: 0.3 } });
    const drops = cluster.trace!.of('drop').filter((e) => e.cause === 'network');
    expect(drops.length).toBeGreaterThan(10);
    expect(got.length + drops.length).toBe(90);
    for (let s = 0; s < 3; s++) {
      const seq = perSender(got, s);
      expect(seq).toEqual([...seq].sort((a, b) => a - b)); // what arrives is still in order
    }
  });

  it('duplicate messages with the configured probability', async () => {
    const { cluster, got } = await exchange({ seed: 5, network: { duplicate: 0.25 } });
    const dups = cluster.trace!.of('duplicate');
    expect(dups.length).toBeGreaterThan(5);
    expect(got.length).toBe(90 + dups.length);
    // Each duplicate names the send it copies: same sender and receiver, same message.
    const sends = new Map(cluster.trace!.of('send').map((e) => [e.id, e]));
    for (const d of dups) expect(sends.get(d.of)).toMatchObject({ from: d.from, to: d.to });
    const delivered = cluster.trace!.of('deliver').map((e) => e.id);
    for (const d of dups) expect(delivered).toContain(d.id);
  });

  it('reorder messages of one pair only when reorder is on', async () => {
    const { got } = await exchange({ seed: 9, network: { reorder: true, latency: { min: 1, max: 30 } } }, 1, 40);
    expect(got).toHaveLength(40);
    expect(perSender(got, 0)).not.toEqual([...Array(40).keys()]);
  });

  it('partition drops traffic between the sides until healed', async () => {
    const cluster = createCluster({ seed: 1, kernels: 3 });
    const got: string[] = [];
    const sink = (k: number) =>
      cluster.kernels[k]!.spawn(
        behavior<string>((_s, m) => {
          got.push(`${k}:${m}`);
        }),
      );
    const s1 = sink(1),
      s2 = sink(2);
    cluster.partition([0], [1]);
    const sender = (text: string) =>
      cluster.kernels[0]!.spawn(async (self) => {
        self.send(s1, text);
        self.send(s2, text);
      });
    sender('a');
    await cluster.runUntilIdle();
    expect(got.sort()).toEqual(['2:a']);
    cluster.heal();
    sender('b');
    await cluster.runUntilIdle();
    expect(got.sort()).toEqual(['1:b', '2:a', '2:b']);
    expect(cluster.trace!.of('drop').filter((e) => e.cause === 'partition')).toHaveLength(1);
  });

  it('a kernel crash ends its processes; monitors elsewhere see noconnection; a restarted kernel starts empty', async () => {
    const cluster = createCluster({ seed: 2, kernels: 2 });
    const worker = cluster.kernels[1]!.spawn(
      behavior<string>(() => undefined),
      { name: 'worker' },
    );
    const downs: DownMessage[] = [];
    cluster.kernels[0]!.spawn(
      async (self) => {
        self.monitor(worker);
        downs.push((await self.receive()) as DownMessage);
      },
      { name: 'watcher' },
    );
    await cluster.runUntilIdle();
    cluster.crash(1);
    await cluster.runUntilIdle();
    expect(downs).toHaveLength(1);
    expect(downs[0]!.reason).toBe('noconnection');
    expect(cluster.kernels[1]!.isAlive(worker)).toBe(false);
    cluster.kernels[0]!.send(worker, 'late');
    await cluster.runUntilIdle();
    expect(cluster.trace!.of('drop').at(-1)!.cause).toBe('kernel-down');
    cluster.restart(1);
    const fresh: Ref<string> = cluster.kernels[1]!.spawn(behavior<string>(() => undefined));
    await cluster.runUntilIdle();
    expect(cluster.kernels[1]!.isAlive(fresh)).toBe(true);
  });

  it('replay exactly from a seed, faults included', async () => {
    const opts: ClusterOptions = { seed: 77, network: { drop: 0.1, duplicate: 0.1, reorder: true } };
    const a = JSON.stringify((await exchange(opts)).cluster.trace!.toJSON());
    const b = JSON.stringify((await exchange(opts)).cluster.trace!.toJSON());
    const c = JSON.stringify((await exchange({ ...opts, seed: 78 })).cluster.trace!.toJSON());
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('asks across kernels like local ones (location transparency)', async () => {
    const cluster = createCluster({ seed: 4, kernels: 2 });
    type Q = { type: 'double'; n: number; replyTo: Ref<number> };
    const doubler = cluster.kernels[1]!.spawn(
      behavior<Q>((self, m) => {
        self.send(m.replyTo, m.n * 2);
      }),
    );
    const answer = cluster.kernels[0]!.ask<number, Q>(doubler, (replyTo) => ({ type: 'double', n: 21, replyTo }));
    await cluster.runUntilIdle();
    await expect(answer).resolves.toBe(42);
  });
});
