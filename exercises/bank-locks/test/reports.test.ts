// The lock-based bank's failure reports on real wrong solutions (the mutants), run in-process:
// a deadlock names its cycle and the lock operations that led there, a lost update names the
// two tasks and their interleaving, and both replay exactly from the seed.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSystem, findDeadlock, findLostUpdates, formatDeadlock, formatLostUpdate, type Context, type MemorySnapshot, type Ref } from '#runtime';
import { kitRoot } from '../../../grader/kit.ts';
import { writeMutant } from '../../../grader/mutants.ts';
import type { BankConfig, BankMsg, Memory } from '../protocol.ts';
import { startBank as solution } from '../../../solutions/bank-locks/bank-locks/bank.ts';

type Start = (self: Context<never>, config: BankConfig) => Ref<BankMsg>;

// The mutants are patches against the solution: write each out inside the kit (so that
// '#runtime' resolves as for the solution) and import it from there.
mkdirSync(join(kitRoot, '.scratch'), { recursive: true });
const scratch = mkdtempSync(join(kitRoot, '.scratch', 'bank-locks-reports-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
async function mutant(id: string): Promise<Start> {
  await writeMutant('bank-locks', id, join(scratch, id));
  return ((await import(join(scratch, id, 'bank-locks', 'bank.ts'))) as { startBank: Start }).startBank;
}
const sourceFirst = await mutant('source-first');
const readOutside = await mutant('read-outside');

/** Opens a bank under `seed`, sends every request at once, runs it until idle; returns the replies and what the tasks did. */
async function run(
  start: Start,
  seed: number,
  balances: number[],
  requests: Record<string, unknown>[],
): Promise<{ replies: unknown[]; snapshot: MemorySnapshot }> {
  const system = createSystem({ seed });
  const replies: unknown[] = [];
  const client = system.spawn(
    async (self: Context<unknown>) => {
      for (;;) replies.push(await self.receive());
    },
    { name: 'client' },
  );
  let bank: Ref<BankMsg> | undefined;
  system.spawn(async (self: Context<never>) => {
    bank = start(self, { accounts: balances.map((balance, i) => ({ name: `acc-${i}`, balance })) });
  });
  await system.runUntilIdle();
  for (const r of requests) system.send(bank!, { ...r, replyTo: client } as BankMsg);
  await system.runUntilIdle({ maxTime: 10_000 });
  const memory = system.ask<Memory>(bank!, (replyTo) => ({ type: 'inspect', replyTo }));
  await system.runUntilIdle();
  return { replies, snapshot: (await memory).snapshot };
}

const opposing = Array.from({ length: 8 }, (_, i) => [
  { type: 'transfer', tx: `o-${i}a`, from: 'acc-0', to: 'acc-1', amount: 5 },
  { type: 'transfer', tx: `o-${i}b`, from: 'acc-1', to: 'acc-0', amount: 5 },
]).flat();

describe('bank-locks failure reports', () => {
  it('a transfer that locks its source first deadlocks; the report names the cycle and the sequence, and replays from the seed', async () => {
    let deadlocked = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const { replies, snapshot } = await run(sourceFirst, seed, [1000, 1000], opposing);
      if (replies.length === opposing.length) continue;
      deadlocked++;
      const d = findDeadlock(snapshot);
      expect(d, `seed ${seed}: requests unanswered but no cycle found`).toBeDefined();
      const names = d!.cycle.map((s) => s.task);
      expect(names.every((n) => /^transfer o-\d+[ab] #\d+$/.test(n))).toBe(true);
      const a = d!.cycle.find((s) => s.holds.includes('lock(acc-0)'))!;
      expect(a).toMatchObject({ waitsFor: 'lock(acc-1)' });
      const text = formatDeadlock(d!);
      expect(text).toContain('deadlock: 2 tasks wait in a cycle, each for a lock the next one holds');
      expect(text).toContain(`${a.task}  holds lock(acc-0); waits for lock(acc-1), held by ${a.heldBy}`);
      expect(text).toMatch(/\nhow it came to this \(lock operations of these tasks(, last \d+)?\):\n/);
      expect(text).toMatch(new RegExp(`${a.task.replace(/[#]/g, '\\$&')} +locked lock\\(acc-0\\)`));
      expect(text.trimEnd().split('\n').at(-1)).toMatch(/waits for lock\(acc-[01]\), held by transfer o-/);
      const again = await run(sourceFirst, seed, [1000, 1000], opposing);
      expect(formatDeadlock(findDeadlock(again.snapshot)!)).toBe(text);
    }
    expect(deadlocked).toBeGreaterThanOrEqual(3);
  });

  it('the reference solution never deadlocks on the same workload', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { replies, snapshot } = await run(solution, seed, [1000, 1000], opposing);
      expect(replies).toHaveLength(opposing.length);
      expect(findDeadlock(snapshot)).toBeUndefined();
      expect(findLostUpdates(snapshot.events)).toEqual([]);
    }
  });

  it('a deposit that reads the balance outside the lock loses updates; the report names the two tasks and the interleaving', async () => {
    const deposits = Array.from({ length: 10 }, (_, i) => ({ type: 'deposit', account: 'acc-0', amount: i + 1 }));
    let lost = 0;
    for (const seed of [1, 2, 3]) {
      const { snapshot } = await run(readOutside, seed, [0], deposits);
      const found = findLostUpdates(snapshot.events);
      if (found.length === 0) continue;
      lost++;
      const u = found[0]!;
      expect(u.location).toBe('acc-0.balance');
      expect(u.lost.task).toMatch(/^deposit acc-0 #\d+$/);
      expect(u.overwrite.task).toMatch(/^deposit acc-0 #\d+$/);
      expect(u.lost.task).not.toBe(u.overwrite.task);
      const text = formatLostUpdate(u);
      expect(text).toMatch(
        new RegExp(
          `^lost update on acc-0\\.balance: ${u.overwrite.task} read \\d+, then ${u.lost.task} wrote \\d+, then ${u.overwrite.task} wrote \\d+ from its old read`,
        ),
      );
      expect(text).toContain(`read  acc-0.balance`);
      expect(text).toContain('locked lock(acc-0)');
    }
    expect(lost).toBe(3);
  });
});
