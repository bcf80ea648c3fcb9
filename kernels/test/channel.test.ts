// The kernel channel: replies are authenticated and bounded, so what student code can write on
// the kernel's fd 3 (any socket class opens it) can only stop its own kernel.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChannelViolation, TrustedEnd } from '../process/channel.ts';

const here = dirname(fileURLToPath(import.meta.url));
const kernel = join(here, 'fixtures', 'channel', 'echo-kernel.ts');
const tsx = join(here, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function start(attack: string, maxFrameBytes?: number) {
  const child = spawn(process.execPath, ['--import', tsx, kernel, attack], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
  children.push(child);
  const socket = child.stdio[3] as Readable & Writable;
  const values: unknown[] = [];
  let violation: ChannelViolation | undefined;
  let wake = () => {};
  const end = new TrustedEnd({
    input: socket,
    output: socket,
    maxFrameBytes,
    onValue: (v) => {
      values.push(v);
      wake();
    },
    onViolation: (v) => {
      violation = v;
      wake();
    },
  });
  const next = (test: () => boolean) =>
    new Promise<void>((resolve) => {
      wake = () => {
        if (test()) resolve();
      };
      wake();
    });
  return { end, values, violation: () => violation, next };
}

describe('kernel channel', () => {
  it('carries commands and authenticated replies, in order, with binary data and maps', async () => {
    const k = start('none');
    await k.next(() => k.values.length === 1);
    expect(k.values[0]).toEqual({ ready: true });
    const buf = new Uint8Array([1, 2, 3]);
    k.end.send({ id: 'a', cmd: { op: 'x', buf, map: new Map([['k', 1]]) } });
    k.end.send({ id: 'b', cmd: { op: 'y' } });
    await k.next(() => k.values.length === 3);
    expect(k.values.slice(1)).toEqual([{ echo: { id: 'a', cmd: { op: 'x', buf, map: new Map([['k', 1]]) } } }, { echo: { id: 'b', cmd: { op: 'y' } } }]);
    expect(k.violation()).toBeUndefined();
  });

  it('a reply not written with the key is tampering, and nothing after it is read', async () => {
    const k = start('forge');
    await k.next(() => k.violation() !== undefined);
    expect(k.violation()!.kind).toBe('tamper');
    expect(k.violation()!.message).toMatch(/not written by the kernel host/);
    expect(k.values).toEqual([{ ready: true }]);
  });

  it('a 2 GiB header is refused from the header: the trusted side does not buffer what follows', async () => {
    const rss = process.memoryUsage().rss;
    const k = start('oversize');
    await k.next(() => k.violation() !== undefined);
    expect(k.violation()!.kind).toBe('oversize');
    expect(k.violation()!.message).toMatch(/a message of 2048 MiB, over the limit of 64 MiB for one reply/);
    await new Promise((r) => setTimeout(r, 200)); // let the 256 MiB the kernel writes arrive, and be dropped
    expect(process.memoryUsage().rss - rss).toBeLessThan(96 * 1024 * 1024);
  });

  it("the limit is the caller's: a small one stops an ordinary reply too", async () => {
    const k = start('none', 64);
    await k.next(() => k.values.length === 1);
    k.end.send({ id: 'big', cmd: { text: 'x'.repeat(1000) } });
    await k.next(() => k.violation() !== undefined);
    expect(k.violation()!.message).toMatch(/over the limit of 64 bytes/);
  });
});
