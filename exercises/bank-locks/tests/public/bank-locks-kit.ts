// Helpers shared by the lock-based bank's tests: opening a bank, requests that explain a
// missing reply (the deadlock cycle, from what the tasks did to shared memory), bursts of
// concurrent requests, the sequential reference model, and lost updates named by task.
import { findDeadlock, findLostUpdates, formatDeadlock, formatLostUpdate, isRef, type MemorySnapshot, type Ref } from '#runtime';
import { NoReplyError, type PropertyContext, type Session } from '#harness';
import type { Memory, Snapshot, Statement, TransferReply } from '../../protocol.ts';

export interface LockBank {
  readonly s: Session;
  readonly ref: Ref;
  readonly names: string[];
  readonly opening: Map<string, number>;
  /** Sum of the opening balances. */
  readonly total: number;
}

/** Opens a bank with accounts acc-0, acc-1, … (or `${prefix}acc-0`, …) holding `balances`. */
export async function openBank(ctx: PropertyContext, balances: readonly number[], o: { session?: Session; prefix?: string } = {}): Promise<LockBank> {
  const s = o.session ?? (await ctx.open({ kernels: 1 }));
  const names = balances.map((_, i) => `${o.prefix ?? ''}acc-${i}`);
  const ref = await s.start<Ref>('startBank', { accounts: names.map((name, i) => ({ name, balance: balances[i]! })) });
  ctx.check(isRef(ref), `startBank(...) returned ${JSON.stringify(ref)}; it must return the Ref of the bank process (serveBank(...) does this for you)`);
  return { s, ref, names, opening: new Map(names.map((n, i) => [n, balances[i]!])), total: balances.reduce((a, b) => a + b, 0) };
}

/** What the tasks did to shared memory, from the bank (undefined if it does not answer). */
export async function memoryOf(bank: LockBank): Promise<MemorySnapshot | undefined> {
  try {
    const m = await bank.s.ask<Memory>(bank.ref, (replyTo) => ({ type: 'inspect', replyTo }), { timeout: 1000 });
    return m.snapshot;
  } catch (err) {
    if (err instanceof NoReplyError) return undefined;
    throw err;
  }
}

/** Why requests are still unanswered: the deadlock cycle if there is one, else who waits for what. */
export async function whyStuck(bank: LockBank): Promise<string> {
  const snap = await memoryOf(bank);
  if (!snap) return 'The bank process itself did not answer.';
  const d = findDeadlock(snap);
  if (d) return formatDeadlock(d);
  const waiting = snap.tasks.filter((t) => !t.ended);
  if (waiting.length === 0)
    return 'No task is waiting for a lock: a task that ended without returning (it threw) sends no reply; see the chart for how it ended.';
  const lines = waiting.slice(0, 8).map((t) => {
    const w = t.waitsFor;
    const what = !w
      ? 'is not waiting for a lock (an await that never resolves?)'
      : w.kind === 'condition'
        ? `waits on condition ${w.target}, and no task will signal it`
        : `waits for ${w.target}${w.mode ? ` (${w.mode})` : ''}, held by ${w.heldBy.length ? w.heldBy.join(', ') : 'nobody'}`;
    return `  ${t.task} holds ${t.holds.length ? t.holds.join(', ') : 'nothing'} and ${what}`;
  });
  const held = snap.tasks
    .filter((t) => t.ended && t.holds.length > 0)
    .slice(0, 4)
    .map((t) => `  ${t.task} ended still holding ${t.holds.join(', ')}: no task can ever lock it again`);
  return ['Tasks still waiting:', ...lines, ...held].join('\n');
}

/** The first lost update on one of these accounts (or any), as a report paragraph, or ''. */
export async function lostUpdateNote(bank: LockBank): Promise<string> {
  const snap = await memoryOf(bank);
  if (!snap) return '';
  const lost = findLostUpdates(snap.events);
  if (lost.length === 0) return '';
  return `\n${formatLostUpdate(lost[0]!)}${lost.length > 1 ? `\n(${lost.length} such writes found; the first is shown)` : ''}`;
}

/** One request and its one reply; a missing reply fails the test with the reason (a deadlock, named). */
export async function request<R>(ctx: PropertyContext, bank: LockBank, msg: Record<string, unknown>, what: string, timeout = 1000): Promise<R> {
  try {
    return await bank.s.ask<R>(bank.ref, (replyTo) => ({ ...msg, replyTo }), { timeout });
  } catch (err) {
    if (!(err instanceof NoReplyError)) throw err;
    ctx.fail(`no reply to ${what} within ${timeout} ms.\n${await whyStuck(bank)}`);
  }
}

export async function balanceOf(ctx: PropertyContext, bank: LockBank, name: string, when = ''): Promise<number> {
  const r = await request<Statement>(ctx, bank, { type: 'balance', account: name }, `a "balance" request for ${name}${when}`);
  ctx.check(
    r.type === 'statement' && r.account === name,
    `a "balance" request for ${name} got ${JSON.stringify(r)}; expected { type: "statement", account: "${name}", balance }`,
  );
  return r.balance;
}

export async function balancesOf(ctx: PropertyContext, bank: LockBank, when = ''): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const n of bank.names) out.set(n, await balanceOf(ctx, bank, n, when));
  return out;
}

/**
 * Sends every request at once (replies come to the test's mailbox), runs the bank until it
 * is idle, and returns the replies in arrival order. Fails with the reason when fewer than
 * `expected` replies came (a deadlock is named with its cycle).
 */
export async function burst(ctx: PropertyContext, bank: LockBank, requests: readonly Record<string, unknown>[], what: string): Promise<unknown[]> {
  const { s } = bank;
  for (const r of requests) await s.send(bank.ref, { ...r, replyTo: s.self });
  await s.runUntilIdle({ maxTime: 60_000 });
  const replies: unknown[] = [];
  for (let m = await s.receive(undefined, { timeout: 0 }); m !== undefined; m = await s.receive(undefined, { timeout: 0 })) replies.push(m);
  if (replies.length < requests.length) {
    ctx.fail(
      `${what}: ${requests.length} requests sent at once, ${replies.length} replies came, and the bank has nothing left to do.\n${await whyStuck(bank)}`,
    );
  }
  ctx.check(
    replies.length === requests.length,
    `${what}: ${requests.length} requests sent at once got ${replies.length} replies; every request gets exactly one`,
  );
  return replies;
}

export interface Planned {
  readonly tx: string;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}

/** `count` transfers between random distinct accounts. */
export function planTransfers(random: PropertyContext['random'], names: readonly string[], count: number, maxAmount: number, prefix = 't'): Planned[] {
  const plan: Planned[] = [];
  for (let i = 0; i < count; i++) {
    const from = random.int(names.length);
    let to = random.int(names.length - 1);
    if (to >= from) to++;
    plan.push({ tx: `${prefix}-${i + 1}`, from: names[from]!, to: names[to]!, amount: 1 + random.int(maxAmount) });
  }
  return plan;
}

export const transferMsg = (p: Planned): Record<string, unknown> => ({ type: 'transfer', tx: p.tx, from: p.from, to: p.to, amount: p.amount });

/** Transfer replies by id. */
export function byTx(replies: readonly unknown[]): Map<string, TransferReply[]> {
  const out = new Map<string, TransferReply[]>();
  for (const m of replies) {
    const r = m as TransferReply;
    if (r.type !== 'transferred' && r.type !== 'transfer-failed') continue;
    out.set(r.tx, [...(out.get(r.tx) ?? []), r]);
  }
  return out;
}

/** The balances a sequential bank would have after exactly the acknowledged transfers. */
export function model(bank: LockBank, plan: readonly Planned[], acknowledged: ReadonlySet<string>): Map<string, number> {
  const balances = new Map(bank.opening);
  for (const p of plan) {
    if (!acknowledged.has(p.tx)) continue;
    balances.set(p.from, balances.get(p.from)! - p.amount);
    balances.set(p.to, balances.get(p.to)! + p.amount);
  }
  return balances;
}

/** "acc-0 holds 70, expected 90; acc-2 …" for the accounts that differ. */
export function differences(actual: ReadonlyMap<string, number>, expected: ReadonlyMap<string, number>): string {
  return [...expected]
    .filter(([n, v]) => actual.get(n) !== v)
    .map(([n, v]) => `${n} holds ${actual.get(n)}, expected ${v}`)
    .join('; ');
}

export function snapshotSum(s: Snapshot): number {
  return s.accounts.reduce((sum, r) => sum + r.balance, 0);
}
