// Helpers shared by the bank tests: starting a bank, reading balances, a seeded workload of
// transfers, a client that retries, the sequential reference model, and the story of a
// transfer told from the trace (so that a failure names the transfers involved).
import { isRef, type Ref } from '#runtime';
import { NoReplyError, type PropertyContext, type Session } from '#harness';
import type { AccountConfig, Snapshot, Statement, Transfer, TransferReply } from '../../protocol.ts';

export interface Account {
  readonly name: string;
  readonly ref: Ref;
  readonly kernel: number;
  readonly opening: number;
}

export interface Bank {
  readonly s: Session;
  readonly accounts: Account[];
  /** Sum of the opening balances: the money in the bank. */
  readonly total: number;
  readonly auditor?: Ref;
  byName(name: string): Account;
}

export interface BankOptions {
  /** Opening balance of each account, in order; accounts are named acc-0, acc-1, … */
  readonly balances: readonly number[];
  /** Kernels of the system (the test's own process is on kernel 0). */
  readonly kernels: number;
  /** Kernel of account i (default: i % kernels). */
  readonly place?: (i: number) => number;
  readonly retryMs: number;
  readonly timeoutMs: number;
  readonly network?: { drop?: number; duplicate?: number; latency?: { min: number; max: number } };
  /** Start an auditor (on kernel 0) over all the accounts. */
  readonly auditor?: boolean;
  /** Open the bank in this session instead of a fresh one (a second bank in the same system). */
  readonly session?: Session;
  /** Account names are `${prefix}acc-0`, … (default no prefix). */
  readonly prefix?: string;
}

export async function openBank(ctx: PropertyContext, o: BankOptions): Promise<Bank> {
  const s = o.session ?? (await ctx.open({ kernels: o.kernels, network: o.network }));
  const accounts: Account[] = [];
  for (let i = 0; i < o.balances.length; i++) {
    const kernel = o.place ? o.place(i) : i % o.kernels;
    const config: AccountConfig = { name: `${o.prefix ?? ''}acc-${i}`, balance: o.balances[i]!, retryMs: o.retryMs, timeoutMs: o.timeoutMs };
    const ref = await s.startOn<Ref>(kernel, 'startAccount', config);
    ctx.check(isRef(ref), `startAccount(...) returned ${JSON.stringify(ref)}; it must return the Ref of the account process it spawned`);
    accounts.push({ name: config.name, ref, kernel, opening: config.balance });
  }
  let auditor: Ref | undefined;
  if (o.auditor) {
    auditor = await s.startOn<Ref>(0, 'startAuditor', { accounts: accounts.map((a) => a.ref) });
    ctx.check(isRef(auditor), `startAuditor(...) returned ${JSON.stringify(auditor)}; it must return the Ref of the auditor process it spawned`);
  }
  const total = accounts.reduce((sum, a) => sum + a.opening, 0);
  return {
    s,
    accounts,
    total,
    auditor,
    byName: (name) => accounts.find((a) => a.name === name)!,
  };
}

/** The harness's "no reply within … ms" from an ask (not a protocol error, not a dead kernel). */
export function isNoReply(err: unknown): err is NoReplyError {
  return err instanceof NoReplyError;
}

/** Asks an account for its statement; fails the test with a plain explanation if none comes. */
export async function statementOf(ctx: PropertyContext, bank: Bank, a: Account, when = '', timeout = 1000): Promise<Statement> {
  let reply: Statement | { type?: string };
  try {
    // Asked from the account's own kernel: no network in between, so the read takes no time.
    reply = await bank.s.ask<Statement>(a.ref, (replyTo) => ({ type: 'balance', replyTo }), { timeout, kernel: a.kernel });
  } catch (err) {
    if (!isNoReply(err)) throw err;
    ctx.fail(
      `${a.name} did not answer a "balance" request${when} within ${timeout} ms: an account must answer every balance request at once with a "statement" (even while its own transfers are in progress, or while an audit has frozen it)`,
    );
  }
  ctx.check(
    reply.type === 'statement',
    `${a.name} answered a "balance" request with ${JSON.stringify(reply)}; expected { type: "statement", account, balance, reserved }`,
  );
  const st = reply as Statement;
  ctx.check(st.account === a.name, `${a.name} sent a statement naming the account "${st.account}"; expected "${a.name}" (config.name)`);
  return st;
}

export async function statementsOf(ctx: PropertyContext, bank: Bank, when = ''): Promise<Map<string, Statement>> {
  const out = new Map<string, Statement>();
  for (const a of bank.accounts) out.set(a.name, await statementOf(ctx, bank, a, when));
  return out;
}

// ---- workloads --------------------------------------------------------------------------------

export interface Planned {
  readonly tx: string;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
  /** Virtual ms after the start at which the client sends it. */
  readonly at: number;
}

/** `count` transfers between random distinct accounts, sent at random times in [0, spanMs). */
export function planTransfers(random: PropertyContext['random'], accounts: readonly Account[], count: number, spanMs: number, maxAmount: number): Planned[] {
  const plan: Planned[] = [];
  for (let i = 0; i < count; i++) {
    const from = random.int(accounts.length);
    let to = random.int(accounts.length - 1);
    if (to >= from) to++;
    plan.push({ tx: `t-${i + 1}`, from: accounts[from]!.name, to: accounts[to]!.name, amount: 1 + random.int(maxAmount), at: random.int(spanMs) });
  }
  return plan.sort((a, b) => a.at - b.at || a.tx.localeCompare(b.tx, 'en', { numeric: true }));
}

export function transferRequest(bank: Bank, p: Planned): Transfer {
  return { type: 'transfer', tx: p.tx, to: bank.byName(p.to).ref, amount: p.amount, replyTo: bank.s.self };
}

/** Replies to transfers that reached the test's own mailbox so far, by transfer id. */
export function transferReplies(s: Session): Map<string, TransferReply[]> {
  const out = new Map<string, TransferReply[]>();
  for (const m of s.inbox) {
    const r = m as TransferReply;
    if (r.type !== 'transferred' && r.type !== 'transfer-failed') continue;
    const list = out.get(r.tx) ?? [];
    list.push(r);
    out.set(r.tx, list);
  }
  return out;
}

export interface ClientOptions {
  /** Resend a request that has no reply after this many virtual ms (0 = never resend). */
  readonly resendAfter: number;
  /** Send one transfer's request at most this many times in all (default 5). */
  readonly maxRequests?: number;
  /** Stop waiting for replies after this many virtual ms in all. */
  readonly giveUpAfter: number;
  /** Also call this every `tickMs` virtual ms while the plan is being sent (audits, reads…). */
  readonly onTick?: (now: number) => Promise<void>;
  readonly tickMs?: number;
}

/**
 * Plays the clients: sends each planned transfer at its time (replies come to the test's
 * own mailbox) and, if `resendAfter` > 0, sends the very same request again while it has no
 * reply. Returns how many requests were sent for each transfer.
 */
export async function runClients(bank: Bank, plan: readonly Planned[], o: ClientOptions): Promise<Map<string, number>> {
  const { s } = bank;
  const sent = new Map<string, number>();
  const lastSent = new Map<string, number>();
  const maxRequests = o.maxRequests ?? 5;
  const tick = o.tickMs ?? 5;
  let now = 0;
  let next = 0;
  let nextTick = 0;
  for (;;) {
    while (next < plan.length && plan[next]!.at <= now) {
      const p = plan[next++]!;
      await s.send(bank.byName(p.from).ref, transferRequest(bank, p));
      sent.set(p.tx, 1);
      lastSent.set(p.tx, now);
    }
    if (o.onTick && next < plan.length && now >= nextTick) {
      await o.onTick(now);
      nextTick = now + tick;
    }
    const replies = transferReplies(s);
    const open = plan.slice(0, next).filter((p) => !replies.has(p.tx));
    if (next >= plan.length && open.length === 0) break;
    if (now >= o.giveUpAfter) break;
    // Nothing has ever answered, long after the last request: the accounts are not answering at all.
    if (next >= plan.length && replies.size === 0 && now >= plan[plan.length - 1]!.at + (o.resendAfter > 0 ? o.resendAfter + 50 : 1000)) break;
    let wake = Math.min(o.giveUpAfter, now + 100);
    if (next < plan.length) wake = Math.min(wake, plan[next]!.at, o.onTick ? nextTick : Infinity);
    if (o.resendAfter > 0) {
      for (const p of open) {
        if (sent.get(p.tx)! >= maxRequests) continue;
        if (now - lastSent.get(p.tx)! >= o.resendAfter) {
          await s.send(bank.byName(p.from).ref, transferRequest(bank, p));
          sent.set(p.tx, sent.get(p.tx)! + 1);
          lastSent.set(p.tx, now);
        }
        if (sent.get(p.tx)! < maxRequests) wake = Math.min(wake, lastSent.get(p.tx)! + o.resendAfter);
      }
    }
    const step = Math.max(1, wake - now);
    await s.advance(step);
    now += step;
  }
  return sent;
}

// ---- the reference model ------------------------------------------------------------------------

/** The balances a sequential bank would have after applying exactly the acknowledged transfers. */
export function model(bank: Bank, plan: readonly Planned[], acknowledged: ReadonlySet<string>): Map<string, number> {
  const balances = new Map(bank.accounts.map((a) => [a.name, a.opening] as [string, number]));
  for (const p of plan) {
    if (!acknowledged.has(p.tx)) continue;
    balances.set(p.from, balances.get(p.from)! - p.amount);
    balances.set(p.to, balances.get(p.to)! + p.amount);
  }
  return balances;
}

export function sumOf(rows: Iterable<{ balance: number; reserved: number }>): number {
  let sum = 0;
  for (const r of rows) sum += r.balance + r.reserved;
  return sum;
}

export function coins(n: number): string {
  return `${n} coin${Math.abs(n) === 1 ? '' : 's'}`;
}

// ---- the story of a transfer, from the trace ------------------------------------------------------

interface MessageCounts {
  sent: number;
  lost: number;
  duplicated: number;
  delivered: number;
}

export interface TxStory {
  readonly plan: Planned;
  requests: number;
  replies: string[];
  credit: MessageCounts;
  credited: MessageCounts;
  firstT?: number;
  lastT?: number;
}

/** For each planned transfer: requests, replies, and how its credit / credited messages fared on the network. */
export async function stories(bank: Bank, plan: readonly Planned[]): Promise<Map<string, TxStory>> {
  const trace = await bank.s.trace();
  // Only this bank's traffic: another bank in the same system may use the same transfer ids.
  const mine = new Set(bank.accounts.map((a) => a.ref.pid));
  const byTx = new Map<string, TxStory>();
  const fresh = (): MessageCounts => ({ sent: 0, lost: 0, duplicated: 0, delivered: 0 });
  for (const p of plan) byTx.set(p.tx, { plan: p, requests: 0, replies: [], credit: fresh(), credited: fresh() });
  const idTx = new Map<number, { tx: string; kind: 'credit' | 'credited' }>();
  for (const e of trace.events) {
    if (e.kind === 'send') {
      if (!mine.has(e.from as number) && !mine.has(e.to as number)) continue;
      const msg = e.msg as { type?: string; tx?: string; reason?: string } | undefined;
      const story = msg?.tx !== undefined ? byTx.get(msg.tx) : undefined;
      if (story) {
        story.firstT ??= e.t;
        story.lastT = e.t;
        if (msg!.type === 'transfer') story.requests++;
        else if (msg!.type === 'transferred') story.replies.push('transferred');
        else if (msg!.type === 'transfer-failed') story.replies.push(`transfer-failed (${msg!.reason})`);
        else if (msg!.type === 'credit' || msg!.type === 'credited') {
          story[msg!.type].sent++;
          idTx.set(e.id as number, { tx: msg!.tx!, kind: msg!.type });
        }
      }
    } else if (e.kind === 'duplicate') {
      const orig = idTx.get(e.of as number);
      if (orig) {
        byTx.get(orig.tx)![orig.kind].duplicated++;
        idTx.set(e.id as number, orig);
      }
    } else if (e.kind === 'drop') {
      const known = idTx.get(e.id as number);
      if (known) byTx.get(known.tx)![known.kind].lost++;
    } else if (e.kind === 'deliver') {
      const known = idTx.get(e.id as number);
      if (known) byTx.get(known.tx)![known.kind].delivered++;
    }
  }
  return byTx;
}

function counts(what: string, c: MessageCounts): string {
  if (c.sent === 0) return `no "${what}" was sent`;
  const parts = [`"${what}" sent ${c.sent}×`];
  if (c.lost > 0) parts.push(`${c.lost} lost by the network`);
  if (c.duplicated > 0) parts.push(`${c.duplicated} duplicated by the network`);
  parts.push(`delivered ${c.delivered}×`);
  return parts.join(', ');
}

function summary(replies: readonly string[]): string {
  if (replies.length === 0) return 'no reply';
  if (replies.length === 1) return `reply "${replies[0]}"`;
  const kinds = [...new Set(replies)];
  if (kinds.length === 1) return `${replies.length} replies, all "${kinds[0]}"`;
  return `${replies.length} replies: ${kinds.map((k) => `${replies.filter((r) => r === k).length}× "${k}"`).join(', ')}`;
}

/** What is suspicious about a transfer's story, in words (empty if nothing). */
export function warnings(story: TxStory): string[] {
  const p = story.plan;
  const out: string[] = [];
  const ok = story.replies.includes('transferred');
  const failed = story.replies.some((r) => r.startsWith('transfer-failed'));
  if (ok && failed) out.push('answered both "transferred" and "transfer-failed"');
  if (failed && story.credit.delivered > 0) out.push(`it failed, yet its credit reached ${p.to}`);
  if (ok && story.credit.delivered === 0) out.push(`acknowledged, yet no credit ever reached ${p.to}`);
  return out;
}

export function tell(story: TxStory): string {
  const p = story.plan;
  const asked = story.requests === 1 ? 'asked once' : `asked ${story.requests}×`;
  const warn = warnings(story);
  return `${p.tx} (${p.from} → ${p.to}, ${p.amount}): ${asked}, ${summary(story.replies)}; ${counts('credit', story.credit)}; ${counts('credited', story.credited)}${warn.length > 0 ? ` ⚠ ${warn.join('; ')}` : ''}`;
}

/** How unusual a transfer's story is (retries, faults, failures): the most unusual are listed first. */
export function oddness(story: TxStory): number {
  let n = 10 * warnings(story).length + Math.max(0, story.credit.delivered - 1);
  n += Math.min(3, Math.max(0, story.requests - 1));
  n += story.credit.lost + story.credit.duplicated + story.credited.lost + story.credited.duplicated;
  if (story.replies.some((r) => r.startsWith('transfer-failed (timeout'))) n += 5;
  if (story.replies.length === 0) n += 5;
  return n;
}

/** Up to `max` lines telling the transfers that touch `names`, the most unusual first. */
export function involved(all: Map<string, TxStory>, names: readonly string[], max = 6): string[] {
  const touching = [...all.values()].filter((st) => names.includes(st.plan.from) || names.includes(st.plan.to));
  touching.sort((a, b) => oddness(b) - oddness(a) || a.plan.at - b.plan.at);
  const lines = touching.slice(0, max).map((st) => `  ${tell(st)}`);
  if (touching.length > max) lines.push(`  … and ${touching.length - max} more transfers touching ${names.join(', ')}`);
  return lines;
}

// ---- checks shared by several tests ----------------------------------------------------------------

/**
 * At quiescence: no reservation left, the money adds up, nobody is below zero and every
 * account holds what the sequential model says. Failures name the transfers involved.
 */
export async function checkQuiescent(
  ctx: PropertyContext,
  bank: Bank,
  plan: readonly Planned[],
  what: string,
  o: { model: boolean; total?: number } = { model: true },
): Promise<void> {
  const total = o.total ?? bank.total;
  const st = await statementsOf(ctx, bank, ' after all transfers had finished');
  const replies = transferReplies(bank.s);
  const acknowledged = new Set([...replies].filter(([, r]) => r.some((x) => x.type === 'transferred')).map(([tx]) => tx));
  const sum = sumOf(st.values());
  const lines = (names: string[]) => stories(bank, plan).then((all) => involved(all, names));

  const negative = [...st.values()].filter((x) => x.balance < 0);
  if (negative.length > 0) {
    ctx.fail(
      [
        `${what}: ${negative.map((x) => `${x.account} has a balance of ${x.balance}`).join(', ')}; a balance must never go below zero (a transfer or withdraw of more than the balance must fail and change nothing).`,
        'Transfers involved:',
        ...(await lines(negative.map((x) => x.account))),
      ].join('\n'),
    );
  }
  const holding = [...st.values()].filter((x) => x.reserved !== 0 || x.pending.length > 0);
  if (holding.length > 0) {
    const all = await stories(bank, plan);
    const lines: string[] = [];
    for (const h of holding.slice(0, 4)) {
      const named = h.pending.map((tx) => all.get(tx)).filter((x): x is TxStory => x !== undefined);
      const sumNamed = named.reduce((x, y) => x + y.plan.amount, 0);
      if (named.length > 0) {
        lines.push(`  ${h.account} says these are still in progress${sumNamed !== h.reserved ? ` (they add up to ${sumNamed}, not ${h.reserved})` : ''}:`);
        for (const x of named.slice(0, 4)) lines.push(`    ${tell(x)}`);
        if (named.length > 4) lines.push(`    … and ${named.length - 4} more`);
      } else {
        lines.push(
          `  ${h.account} names ${h.pending.length === 0 ? 'no transfer' : h.pending.join(', ')} in its statement's "pending"; its transfers, the most unusual first:`,
        );
        const out = [...all.values()].filter((x) => x.plan.from === h.account).sort((a, b) => oddness(b) - oddness(a));
        for (const x of out.slice(0, 3)) lines.push(`    ${tell(x)}`);
      }
    }
    ctx.fail(
      [
        `${what}, once every transfer had been answered and the system was quiet, ${holding.map((x) => `${x.account} still holds ${coins(x.reserved)} in reservations${x.pending.length > 0 ? ` (pending: ${x.pending.slice(0, 5).join(', ')}${x.pending.length > 5 ? ', …' : ''})` : ''}`).join(', ')}; expected none: every reservation must end, by commit (credited) or by abort (released).`,
        `Balances + reservations sum to ${sum}, expected ${total}.`,
        'Transfers reserved but never committed or released:',
        ...lines,
      ].join('\n'),
    );
  }
  if (sum !== total) {
    const diff = sum - total;
    const expected = model(bank, plan, acknowledged);
    const off = bank.accounts.filter((a) => st.get(a.name)!.balance !== expected.get(a.name));
    ctx.fail(
      [
        `${what}, balances + reservations sum to ${sum}, expected ${total}: ${coins(Math.abs(diff))} ${diff > 0 ? 'created out of nothing' : 'lost'}.`,
        off.length > 0
          ? `Compared with a sequential bank applying each acknowledged transfer once: ${off.map((a) => `${a.name} has ${st.get(a.name)!.balance} where the acknowledged transfers give ${expected.get(a.name)}`).join('; ')}.`
          : '',
        'Transfers involved:',
        ...(await lines(off.length > 0 ? off.map((a) => a.name) : bank.accounts.map((a) => a.name))),
      ]
        .filter((l) => l !== '')
        .join('\n'),
    );
  }
  if (!o.model) return;
  const expected = model(bank, plan, acknowledged);
  const off = bank.accounts.filter((a) => st.get(a.name)!.balance !== expected.get(a.name));
  if (off.length > 0) {
    ctx.fail(
      [
        `${what}, the final balances differ from a sequential bank that applies each acknowledged ("transferred") transfer exactly once and nothing else:`,
        ...off.map((a) => `  ${a.name} has ${st.get(a.name)!.balance}, expected ${expected.get(a.name)} (opening ${a.opening})`),
        'Transfers involved:',
        ...(await lines(off.map((a) => a.name))),
      ].join('\n'),
    );
  }
}

/** Every transfer got at least one reply, and all replies to one transfer agree. */
export async function checkAnswered(ctx: PropertyContext, bank: Bank, plan: readonly Planned[], what: string): Promise<void> {
  const replies = transferReplies(bank.s);
  const unanswered = plan.filter((p) => !replies.has(p.tx));
  if (unanswered.length > 0) {
    const all = await stories(bank, plan);
    ctx.fail(
      [
        `${what}, ${unanswered.length} of ${plan.length} transfers never got a reply${unanswered.some((p) => all.get(p.tx)!.requests > 1) ? ' (although the client asked again and again)' : ''}: every transfer request must be answered with "transferred" or "transfer-failed".`,
        ...unanswered.slice(0, 5).map((p) => `  ${tell(all.get(p.tx)!)}`),
      ].join('\n'),
    );
  }
  const conflicting = plan.filter((p) => new Set(replies.get(p.tx)!.map((r) => JSON.stringify(r))).size > 1);
  if (conflicting.length > 0) {
    const all = await stories(bank, plan);
    ctx.fail(
      [
        `${what}, ${conflicting.length} transfers got replies that disagree: a retry must get the same answer as the first request (the source remembers each transfer's outcome by its id).`,
        ...conflicting.slice(0, 5).map((p) => `  ${tell(all.get(p.tx)!)}`),
      ].join('\n'),
    );
  }
}

export function snapshotSum(snap: Snapshot): number {
  return sumOf(snap.accounts);
}
