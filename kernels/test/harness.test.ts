import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InProcessTransport, KernelFailure, ProcessTransport, Session, ThreadTransport, prepareBundle, type Transport } from '#harness';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, 'fixtures', 'echo');
let work: string;
let bundle: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mp-harness-'));
  chmodSync(work, 0o755);
  const prepared = await prepareBundle(join(root, 'echo.ts'), root, join(work, 'bundle'));
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.errors));
  bundle = prepared.bundle;
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const fromSystem = z.object({ type: z.literal('echoed'), text: z.string(), starts: z.number() });

const transports: [string, () => Transport][] = [
  ['in-process', () => new InProcessTransport()],
  ['thread', () => new ThreadTransport({ budgetMs: 1500 })],
  ['process', () => new ProcessTransport({ readOnly: [join(work, 'bundle')], budgetMs: 1500, echo: true })],
];

describe.each(transports)('harness over a %s kernel', (_name, makeTransport) => {
  let transport: Transport;
  beforeAll(() => {
    transport = makeTransport();
  });
  afterAll(async () => {
    await transport.close();
  });

  it('shows what student code prints, each line marked with the process that printed it', async () => {
    const seen: string[] = [];
    let printed = () => {};
    const lastLine = new Promise<void>((resolve) => (printed = resolve));
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      seen.push(String(chunk));
      if (seen.join('').includes('[printer t=0] lines')) printed();
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const s = await Session.open({ transport, bundle, seed: 1 });
      await s.start('startPrinter');
      await s.runUntilIdle();
      await lastLine; // the kernel's output is relayed as it comes; the test's timeout is the backstop
    } finally {
      process.stdout.write = write;
    }
    const text = seen.join('');
    expect(text).toContain('[main t=0] hello from the entry { n: 1 }');
    expect(text).toContain('[printer t=0] two\n[printer t=0] lines');
  });

  it('starts an entry point, asks, and validates replies against the protocol', async () => {
    const s = await Session.open({ transport, bundle, seed: 1, protocol: { fromSystem } });
    const echo = await s.start('startEcho');
    const reply = await s.ask<{ text: string; starts: number }>(echo, (replyTo) => ({ type: 'echo', text: 'hi', replyTo }));
    expect(reply.text).toBe('HI');
    await expect(s.ask(echo, (replyTo) => ({ type: 'bad-reply', replyTo }))).rejects.toThrow(
      /sent the test a message of type "echoed" that does not follow the protocol: field "text": expected a string, got 42 \(a number\); field "starts" is missing \(expected a number\)\. The message was \{"type":"echoed","text":42\}/,
    );
  });

  it('gives every system a fresh module instance (no state leaks between sessions)', async () => {
    for (let i = 0; i < 2; i++) {
      const s = await Session.open({ transport, bundle, seed: 1 });
      const echo = await s.start('startEcho');
      const reply = await s.ask<{ starts: number }>(echo, (replyTo) => ({ type: 'echo', text: 'x', replyTo }));
      expect(reply.starts).toBe(1);
    }
  });

  it('makes setTimeout, Date and Math.random follow the virtual clock and the seed', async () => {
    const results = [];
    for (const seed of [5, 5, 6]) {
      const s = await Session.open({ transport, bundle, seed });
      const clock = await s.start('startClock');
      await s.send(clock, { replyTo: s.self });
      results.push(await s.receive<{ elapsed: number; random: number }>({ type: 'clock' }));
    }
    expect(results[0]!.elapsed).toBe(250);
    expect(results[0]!.random).toBe(results[1]!.random);
    expect(results[0]!.random).not.toBe(results[2]!.random);
  });

  it('reports an entry point that throws, plainly', async () => {
    const s = await Session.open({ transport, bundle, seed: 1 });
    await expect(s.start('throwsAtStart')).rejects.toThrow('throwsAtStart(...) threw: Error: not implemented yet');
    await expect(s.start('missing')).rejects.toThrow('does not export a function named "missing"');
  });

  it('receive returns undefined when nothing can arrive', async () => {
    const s = await Session.open({ transport, bundle, seed: 1 });
    await s.start('startEcho');
    expect(await s.receive(undefined, { timeout: 100 })).toBeUndefined();
  });
});

const watched: [string, () => Transport][] = [
  ['process', () => new ProcessTransport({ readOnly: [join(work, 'bundle')], budgetMs: 800 })],
  ['thread', () => new ThreadTransport({ budgetMs: 800 })],
];

describe.each(watched)('%s kernel watchdog', (_name, makeTransport) => {
  it('kills a kernel stuck in a busy loop, says so, and the next session starts clean', async () => {
    const transport = makeTransport();
    try {
      const s = await Session.open({ transport, bundle, seed: 1 });
      const echo = await s.start('startEcho');
      await s.send(echo, { type: 'spin' });
      await expect(s.runUntilIdle()).rejects.toThrow(/stopped responding while handling run until idle: it used 800 ms of CPU time/);
      const again = await Session.open({ transport, bundle, seed: 1 });
      const echo2 = await again.start('startEcho');
      const reply = await again.ask<{ text: string }>(echo2, (replyTo) => ({ type: 'echo', text: 'ok', replyTo }));
      expect(reply.text).toBe('OK');
    } finally {
      await transport.close();
    }
  });

  it('an ask whose handler busy-loops rejects with the kernel failure, not an error from its clean-up', async () => {
    const transport = makeTransport();
    try {
      const s = await Session.open({ transport, bundle, seed: 1 });
      const echo = await s.start('startEcho');
      const asked = s.ask(echo, () => ({ type: 'spin' }));
      await expect(asked).rejects.toBeInstanceOf(KernelFailure);
      await expect(asked).rejects.toThrow(/stopped responding while handling ask "spin": it used 800 ms of CPU time/);
    } finally {
      await transport.close();
    }
  });
});

describe('process kernel failures are plain errors, and the next kernel starts clean', () => {
  const bad = join(here, 'fixtures', 'bad');
  async function bundleOf(name: string): Promise<string> {
    const prepared = await prepareBundle(join(bad, `${name}.ts`), bad, join(work, 'bad', name));
    if (!prepared.ok) throw new Error(JSON.stringify(prepared.errors));
    return prepared.bundle;
  }
  async function healthy(transport: ProcessTransport): Promise<void> {
    const s = await Session.open({ transport, bundle, seed: 1 });
    const echo = await s.start('startEcho');
    expect((await s.ask<{ text: string }>(echo, (replyTo) => ({ type: 'echo', text: 'still here', replyTo }))).text).toBe('STILL HERE');
  }

  it('a module that throws at import', async () => {
    const broken = await bundleOf('throws-at-import');
    const transport = new ProcessTransport({ readOnly: [join(work, 'bad'), join(work, 'bundle')], budgetMs: 2000 });
    try {
      await expect(Session.open({ transport, bundle: broken, seed: 1 })).rejects.toThrow('your code failed while loading: Error: config file not found');
      await healthy(transport);
    } finally {
      await transport.close();
    }
  });

  it('a module that exits the process while loading', async () => {
    const broken = await bundleOf('exits-at-load');
    const transport = new ProcessTransport({ readOnly: [join(work, 'bad'), join(work, 'bundle')], budgetMs: 2000 });
    try {
      await expect(Session.open({ transport, bundle: broken, seed: 1 })).rejects.toThrow(/kernel process ended unexpectedly \(exit code 3\)/);
      await healthy(transport);
    } finally {
      await transport.close();
    }
  });

  it('a handler that allocates memory without bound', async () => {
    const hog = await bundleOf('eats-memory');
    const transport = new ProcessTransport({ readOnly: [join(work, 'bad'), join(work, 'bundle')], budgetMs: 5000, limits: { memoryMB: 256 } });
    try {
      const s = await Session.open({ transport, bundle: hog, seed: 1 });
      const ref = await s.start('startHog');
      await s.send(ref, 'eat');
      await expect(s.runUntilIdle()).rejects.toThrow(/ran out of memory|stopped responding/);
      await healthy(transport);
    } finally {
      await transport.close();
    }
  }, 300_000); // a backstop for a hang only: child processes on a loaded machine take long
});
