import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownMessage, Ref } from '#runtime';
import { prepareBundle } from '#harness';
import { startWorkerCluster, type WorkerCluster } from '../worker/cluster.ts';

const here = dirname(fileURLToPath(import.meta.url));
let work: string;
let cluster: WorkerCluster;
let bundle: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mp-workers-'));
  const root = join(here, 'fixtures', 'workers');
  const prepared = await prepareBundle(join(root, 'services.ts'), root, work);
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.errors));
  bundle = prepared.bundle;
  cluster = await startWorkerCluster({ workers: 2, module: bundle });
});

afterAll(async () => {
  await cluster?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('worker kernels', () => {
  it('send and ask across threads like within a kernel', async () => {
    const echo = await cluster.start<Ref>(1, 'startEcho');
    const reply = await cluster.main.ask<{ n: number }>(echo, (replyTo) => ({ type: 'echo', n: 7, replyTo }));
    expect(reply).toEqual({ type: 'echoed', n: 7 });
  });

  it('deliver a burst in order and completely (batched across the boundary)', async () => {
    const counter = await cluster.start<Ref>(2, 'startCounter');
    // One sender for the hits and the question: only per-pair order is promised.
    const total = new Promise<number>((resolve) => {
      cluster.main.spawn(async (self) => {
        for (let i = 0; i < 10_000; i++) self.send(counter, { type: 'hit' });
        self.send(counter, { type: 'total', replyTo: self.ref });
        resolve((await self.receive()) as number);
      });
    });
    expect(await total).toBe(10_000);
  });

  it('any message crosses intact, in order and frozen, whether its batch goes as JSON or by structured clone', async () => {
    const mirror = await cluster.start<Ref>(1, 'startMirror');
    // JSON cannot carry most of these: each must come back exactly as sent.
    const values: unknown[] = [
      { type: 'plain', list: [1, 'two', null, true, { deep: [2.5e-7] }] },
      { missing: undefined, nan: NaN, inf: -Infinity, negZero: -0 },
      [1, undefined, 3], // JSON would make it null
      { big: 12345678901234567890n },
      { bytes: new Uint8Array([1, 2, 3]) },
      'a string \u{1F600} with "quotes" and a lone \uD800 surrogate',
      { type: 'plain again', n: 42 },
    ];
    const replies = await new Promise<{ value: unknown; frozen: boolean }[]>((resolve) => {
      cluster.main.spawn(async (self) => {
        // One burst: the batches mix both kinds of message.
        for (const value of values) self.send(mirror, { type: 'mirror', value, replyTo: self.ref });
        const got: { value: unknown; frozen: boolean }[] = [];
        for (let i = 0; i < values.length; i++) got.push((await self.receive()) as { value: unknown; frozen: boolean });
        resolve(got);
      });
    });
    expect(replies.map((r) => r.frozen)).toEqual(values.map(() => true));
    for (let i = 0; i < values.length; i++) expect(replies[i]!.value).toStrictEqual(structuredClone(values[i]));
    const odd = replies[1]!.value as Record<string, unknown>;
    expect('missing' in odd && Number.isNaN(odd.nan) && Object.is(odd.negZero, -0)).toBe(true);
    expect((replies[2]!.value as unknown[])[1]).toBeUndefined();
  });

  it('flat records (the usual message) arrive exactly, in order with other messages, as they were at the send', async () => {
    const reflector = await cluster.start<Ref>(1, 'startReflector');
    const replies = await new Promise<{ sent: unknown[]; got: unknown[] }>((resolve) => {
      cluster.main.spawn(async (self) => {
        const replyTo = self.ref;
        const changing = { type: 'count', n: 1, replyTo };
        const sent: unknown[] = [
          { type: 'put', key: 'k1', value: 42, replyTo },
          { type: 'reading', nan: NaN, negZero: -0, inf: Infinity, none: null, missing: undefined, ok: true, no: false, replyTo },
          { type: 'nested', list: [1, 2], replyTo }, // not a record: goes as JSON text, between records
          { replyTo, text: 'x'.repeat(100) + ' \u{1F600} "quoted"', big: 2n ** 70n }, // not JSON either: structured clone
          changing,
        ];
        for (const m of sent) self.send(reflector, m);
        // The send took a snapshot: what the sender changes afterwards does not travel.
        (changing as { n: number }).n = 2;
        self.send(reflector, changing);
        sent[4] = { ...changing, n: 1 };
        sent.push({ ...changing });
        const got: unknown[] = [];
        for (let i = 0; i < sent.length; i++) got.push(await self.receive());
        resolve({ sent, got });
      });
    });
    for (let i = 0; i < replies.sent.length; i++) {
      expect(replies.got[i]).toStrictEqual(structuredClone(replies.sent[i]));
      expect(Object.isFrozen(replies.got[i])).toBe(true);
    }
    const reading = replies.got[1] as Record<string, unknown>;
    expect(Number.isNaN(reading.nan) && Object.is(reading.negZero, -0) && 'missing' in reading).toBe(true);
  });

  it('a message is read once (getters run once), and an exit reason that could not cross goes as an error, the stream intact', async () => {
    const reflector = await cluster.start<Ref>(1, 'startReflector');
    const result = await new Promise<{ reads: number; first: unknown; down: unknown; last: unknown }>((resolve) => {
      cluster.main.spawn(async (self) => {
        let reads = 0;
        self.send(reflector, {
          get n(): number {
            return ++reads;
          },
          list: [1],
          replyTo: self.ref,
        }); // not a record
        const first = await self.receive();
        const target = self.spawn(async (t) => {
          await t.receive();
          t.exit({ shutdown: 'now', callback: () => 1 } as never); // structured clone cannot copy this
        });
        await cluster.start(1, 'startWatcher', target, self.ref);
        await self.sleep(50); // the watcher's monitor is in place
        self.send(target, 'go');
        const down = await self.receive();
        self.send(reflector, { type: 'after', n: 5, replyTo: self.ref });
        resolve({ reads, first, down, last: await self.receive() });
      });
    });
    expect(result.reads).toBe(1);
    expect(result.first).toMatchObject({ n: 1, list: [1] });
    expect(result.down).toEqual({ type: 'DOWN', kernel: 1 });
    expect(result.last).toMatchObject({ type: 'after', n: 5 });
  });

  it('transfer moves an ArrayBuffer to another thread: the sender is left with a detached buffer', async () => {
    const echo = await cluster.start<Ref>(1, 'startEcho');
    const data = new Uint8Array([1, 2, 3, 4]).buffer;
    const got = cluster.main.ask<{ bytes: number }>(echo, (replyTo) => ({ type: 'bytes', data, replyTo }));
    // ask sends without a transfer list, so this checks the copy path; now send with transfer:
    const moved = new Uint8Array([5, 5]).buffer;
    expect((await got).bytes).toBe(10);
    // Alone in its batch: the moved buffer must travel as bytes, whatever else the batch holds.
    const movedReply = new Promise<{ bytes: number }>((resolve) => {
      cluster.main.spawn(async (self) => {
        self.send(echo, { type: 'bytes', data: moved, replyTo: self.ref }, { transfer: [moved] });
        resolve((await self.receive()) as { bytes: number });
      });
    });
    expect((await movedReply).bytes).toBe(10);
    expect(data.byteLength).toBe(4);
    expect(moved.byteLength).toBe(0); // the echo's reply came back, so the moved buffer was posted (and detached)
  });

  it('a crashing process in a worker is reported to monitors in another thread, with its reason', async () => {
    const echo = await cluster.start<Ref>(1, 'startEcho');
    const down = new Promise<DownMessage>((resolve) => {
      cluster.main.spawn(async (self) => {
        self.monitor(echo);
        self.send(echo, { type: 'crash' });
        resolve((await self.receive()) as DownMessage);
      });
    });
    const msg = await down;
    expect(msg.type).toBe('DOWN');
    expect(msg.reason).toMatchObject({ error: { message: 'asked to crash' } });
  });

  it('processes on different worker kernels that monitor one process each get their DOWN (pids and ids never collide across threads)', async () => {
    // A fresh cluster: both workers then do exactly the same steps, so a shared numbering
    // would give both watchers the same pid and the same monitor id.
    const fresh = await startWorkerCluster({ workers: 2, module: bundle });
    try {
      let stop!: () => void;
      const target = fresh.main.spawn(
        async () =>
          new Promise<void>((r) => {
            stop = r;
          }),
      );
      const seen = new Promise<unknown[]>((resolve) => {
        fresh.main.spawn(async (self) => {
          await Promise.all([fresh.start(1, 'startWatcher', target, self.ref), fresh.start(2, 'startWatcher', target, self.ref)]);
          await self.sleep(20);
          stop();
          resolve([await self.receive(undefined, { after: 1000 }), await self.receive(undefined, { after: 1000 })]);
        });
      });
      const got = (await seen) as ({ type: string; kernel: number } | undefined)[];
      expect(got.map((m) => m && `${m.type}@${m.kernel}`).sort()).toEqual(['DOWN@1', 'DOWN@2']);
    } finally {
      await fresh.close();
    }
  });

  it('a crashed worker kernel shows as noconnection to links and monitors elsewhere', async () => {
    const echo = await cluster.start<Ref>(2, 'startEcho');
    const got = new Promise<unknown[]>((resolve) => {
      cluster.main.spawn(async (self) => {
        self.trapExit(true);
        self.monitor(echo);
        self.link(echo);
        await self.sleep(20);
        void cluster.crash(2);
        resolve([await self.receive(), await self.receive()]);
      });
    });
    const msgs = (await got) as { type: string; reason: unknown }[];
    expect(msgs.map((m) => m.type).sort()).toEqual(['DOWN', 'EXIT']);
    expect(msgs.every((m) => m.reason === 'noconnection')).toBe(true);
  });
});
