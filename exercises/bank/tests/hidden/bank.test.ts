// Hidden tests for the bank exercise (never in the student pack).
import { exerciseTests, type PropertyContext } from '#harness';
import { protocol, type Credited, type InsufficientFunds, type Snapshot, type Statement, type TransferReply } from '../../protocol.ts';
import {
  checkAnswered, checkQuiescent, coins, isNoReply, openBank, planTransfers, runClients, snapshotSum, statementOf,
  statementsOf, stories, tell, transferReplies, transferRequest, type Account, type Bank, type Planned,
} from '../public/bank-kit.ts';

const t = exerciseTests(import.meta.url, protocol);

const pick = <T>(ctx: PropertyContext, xs: readonly T[]): T => xs[ctx.random.int(xs.length)]!;
const balances = (ctx: PropertyContext, n: number, min: number, spread: number) =>
  Array.from({ length: n }, () => min + ctx.random.int(spread));

// ---- transfers: a reference model ------------------------------------------------------------

t.property('bank.model', 'after hundreds of concurrent transfers, every balance equals a sequential bank applying the acknowledged ones', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, { balances: balances(ctx, 6, 40, 120), kernels: 4, retryMs: 30, timeoutMs: 5000 });
  const plan = planTransfers(ctx.random, bank.accounts, 200, 120, 60);
  await runClients(bank, plan, { resendAfter: 0, giveUpAfter: 3000 });
  const what = `After ${plan.length} concurrent transfers between ${bank.accounts.length} accounts on 4 kernels (reliable network)`;
  await checkAnswered(ctx, bank, plan, what);
  const replies = transferReplies(bank.s);
  const twice = plan.filter((p) => replies.get(p.tx)!.length > 1);
  if (twice.length > 0) {
    const all = await stories(bank, plan);
    ctx.fail([`${what}, ${twice.length} transfers asked once got more than one reply: exactly one reply per request.`, ...twice.slice(0, 5).map((p) => `  ${tell(all.get(p.tx)!)}`)].join('\n'));
  }
  await checkQuiescent(ctx, bank, plan, what);
  const ok = plan.filter((p) => replies.get(p.tx)![0]!.type === 'transferred').length;
  ctx.check(ok >= plan.length / 3, `${what}, only ${ok} of ${plan.length} transfers succeeded although most of them were affordable: are transfers refused or timed out for no reason?`);
});

// ---- funds -----------------------------------------------------------------------------------------

t.property('bank.never-negative', 'concurrent transfers and withdraws that together exceed a balance never take it below zero', async (ctx: PropertyContext) => {
  // acc-0..2 only pay, acc-3..5 only receive (so what a payer spends must come out of its 100).
  const bank = await openBank(ctx, { balances: [100, 100, 100, 0, 0, 0], kernels: 4, place: (i) => 1 + (i % 3), retryMs: 40, timeoutMs: 5000, network: { latency: { min: 5, max: 25 } } });
  const { s } = bank;
  const payers = bank.accounts.slice(0, 3), payees = bank.accounts.slice(3);
  const plan: Planned[] = [];
  // Every payer is asked, at the same moment, for 4 transfers of 30..45: each one alone is
  // affordable, together they are not. While they run, a withdraw asks for more than what is left.
  for (const from of payers) {
    for (let k = 0; k < 4; k++) {
      const to = pick(ctx, payees);
      plan.push({ tx: `${from.name}-t${k}`, from: from.name, to: to.name, amount: 30 + ctx.random.int(16), at: 0 });
    }
  }
  for (const p of plan) await s.send(bank.byName(p.from).ref, transferRequest(bank, p));
  const withdraws = new Map<string, number>();
  for (const a of payers) {
    const amount = 30 + ctx.random.int(40);
    withdraws.set(a.name, amount);
    await s.send(a.ref, { type: 'withdraw', amount, replyTo: s.self });
  }
  const seen: Statement[] = [];
  for (let i = 0; i < 6; i++) {
    await s.advance(3);
    for (const a of bank.accounts) seen.push(await statementOf(ctx, bank, a, ' while transfers were in progress'));
  }
  await s.runUntilIdle({ maxTime: 20_000 });
  const badMid = seen.find((st) => st.balance < 0 || st.reserved < 0);
  ctx.check(badMid === undefined, () => `while transfers were in progress, ${badMid!.account} reported balance ${badMid!.balance}, reserved ${badMid!.reserved}: neither may ever be below zero (check the funds, then reserve, in one step)`);
  const what = 'With 4 transfers of 30..45 and a withdraw asked of each of acc-0, acc-1, acc-2 (holding 100 each), all at once';
  await checkAnswered(ctx, bank, plan, what);
  const replies = transferReplies(s);
  for (const a of payers) {
    const out = plan.filter((p) => p.from === a.name && replies.get(p.tx)![0]!.type === 'transferred');
    const spent = out.reduce((sum, p) => sum + p.amount, 0);
    const w = s.inbox.find((m) => ((m as Statement).type === 'statement' || (m as InsufficientFunds).type === 'insufficient-funds') && (m as Statement).account === a.name) as Statement | InsufficientFunds | undefined;
    ctx.check(w !== undefined, `${a.name} never answered the withdraw of ${withdraws.get(a.name)} (while its transfers ran, it must still answer: with a statement or "insufficient-funds")`);
    const withdrawn = w.type === 'statement' ? withdraws.get(a.name)! : 0;
    ctx.check(spent + withdrawn <= a.opening,
      `${a.name} opened with ${a.opening} but paid out ${spent} in transfers (${out.map((p) => `${p.tx}: ${p.amount}`).join(', ') || 'none'}) and ${withdrawn} in a withdraw: ${spent + withdrawn} in all. Money that is reserved for a transfer in progress is not available to anything else.`);
    const refused = plan.filter((p) => p.from === a.name && replies.get(p.tx)![0]!.type === 'transfer-failed');
    for (const p of refused) {
      const r = replies.get(p.tx)![0] as Extract<TransferReply, { type: 'transfer-failed' }>;
      ctx.check(r.reason === 'insufficient-funds', `${p.tx} (${p.from} → ${p.to}, ${p.amount}) failed with reason "${r.reason}" on a reliable network; expected "insufficient-funds" (or success)`);
    }
  }
  const withdrawn = payers.filter((a) => s.inbox.some((m) => (m as Statement).type === 'statement' && (m as Statement).account === a.name));
  const total = bank.total - withdrawn.reduce((x, a) => x + withdraws.get(a.name)!, 0);
  await checkQuiescent(ctx, bank, plan, what, { model: false, total });
  // the withdraws changed the total: compare each account with the model by hand
  const st = await statementsOf(ctx, bank, ' at the end');
  for (const a of bank.accounts) {
    const w = withdrawn.includes(a);
    const expected = a.opening
      - plan.filter((p) => p.from === a.name && replies.get(p.tx)![0]!.type === 'transferred').reduce((x, p) => x + p.amount, 0)
      + plan.filter((p) => p.to === a.name && replies.get(p.tx)![0]!.type === 'transferred').reduce((x, p) => x + p.amount, 0)
      - (w ? withdraws.get(a.name)! : 0);
    ctx.check(st.get(a.name)!.balance === expected, `${what}, ${a.name} ends with ${st.get(a.name)!.balance}; the transfers and withdraw it acknowledged give ${expected}`);
  }
}, { chartLines: 8 });

// ---- timeouts --------------------------------------------------------------------------------------

t.property('bank.partner-crashed', 'a transfer to an account whose kernel crashed is aborted and released, and other transfers go on meanwhile', async (ctx: PropertyContext) => {
  const retryMs = 40, timeoutMs = 600;
  const bank = await openBank(ctx, { balances: [100, 100, 100], kernels: 4, place: (i) => i + 1, retryMs, timeoutMs });
  const { s } = bank;
  const [a, b, c] = bank.accounts as [Account, Account, Account];
  await s.crash(b.kernel);
  await s.send(a.ref, { type: 'transfer', tx: 'to-dead', to: b.ref, amount: 70, replyTo: s.self });
  await s.advance(50);
  // While the first transfer waits for a dead partner, another one from the same account must go through.
  await s.send(a.ref, { type: 'transfer', tx: 'to-live', to: c.ref, amount: 20, replyTo: s.self });
  const live = await s.receive<TransferReply>((m: TransferReply) => m.tx === 'to-live', { timeout: 300 });
  ctx.check(live !== undefined, 'a transfer from acc-0 to a live account got no reply within 300 ms while another transfer of acc-0 waited for a crashed account: a transfer in progress must not stop the account from serving other messages');
  ctx.check(live.type === 'transferred', `transfer to-live (acc-0 → acc-2, 20) got ${JSON.stringify(live)}; acc-0 had 30 left after reserving 70, so expected "transferred"`);
  const mid = await statementOf(ctx, bank, a, ' while waiting for the crashed account');
  ctx.check(mid.balance === 10 && mid.reserved === 70, `while waiting for the crashed account, acc-0 reported balance ${mid.balance}, reserved ${mid.reserved}; expected 10 and 70`);
  const dead = await s.receive<TransferReply>((m: TransferReply) => m.tx === 'to-dead', { timeout: timeoutMs + 400 });
  ctx.check(dead !== undefined, `transfer to-dead got no reply within ${timeoutMs + 400} ms although its destination's kernel had crashed and timeoutMs is ${timeoutMs}`);
  ctx.check(dead.type === 'transfer-failed' && dead.reason === 'timeout', `transfer to-dead got ${JSON.stringify(dead)}; expected { type: "transfer-failed", tx: "to-dead", reason: "timeout" }`);
  const end = await statementOf(ctx, bank, a, ' after the abort');
  ctx.check(end.balance === 80 && end.reserved === 0, `after to-dead was aborted, acc-0 reported balance ${end.balance}, reserved ${end.reserved}; expected 80 (100 − 20) and 0: the 70 reserved for to-dead must be released`);
  const sc = await statementOf(ctx, bank, c);
  ctx.check(sc.balance === 120, `acc-2 ends with ${sc.balance}; expected 120`);
  const retry = await s.ask<TransferReply>(a.ref, (replyTo) => ({ type: 'transfer', tx: 'to-dead', to: b.ref, amount: 70, replyTo }), { timeout: 200 }).catch((err) => {
    if (!isNoReply(err)) throw err;
    return undefined;
  });
  ctx.check(retry !== undefined && retry.type === 'transfer-failed' && retry.reason === 'timeout',
    `a retry of the aborted transfer to-dead got ${retry === undefined ? 'no reply within 200 ms' : JSON.stringify(retry)}; expected the same answer again at once: { type: "transfer-failed", tx: "to-dead", reason: "timeout" }`);
  const idle = await s.runUntilIdle({ maxTime: 30_000 });
  ctx.check(idle.pendingTimers === 0, `${idle.pendingTimers} timers are still set once every transfer has ended: cancel a transfer's retry timer when it commits or aborts`);
});

// ---- audit -----------------------------------------------------------------------------------------

t.property('bank.audit-consistent', 'every audit taken while hundreds of transfers run adds up to the money in the bank', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, { balances: balances(ctx, 8, 50, 100), kernels: 4, place: (i) => 1 + (i % 3), retryMs: 15, timeoutMs: 5000, auditor: true });
  const { s } = bank;
  const plan = planTransfers(ctx.random, bank.accounts, 240, 160, 50);
  const asked: number[] = [];
  let count = 0;
  let nextAudit = 0;
  await runClients(bank, plan, {
    resendAfter: 0,
    giveUpAfter: 4000,
    tickMs: 4,
    onTick: async (now) => {
      // an audit every 12 ms or so while the transfers are being sent
      if (now >= nextAudit && now <= 160) {
        await s.send(bank.auditor!, { type: 'audit', replyTo: s.self });
        asked.push(now);
        count++;
        nextAudit = now + 12;
      }
    },
  });
  await s.runUntilIdle({ maxTime: 5000 });
  const snaps = s.inbox.filter((m) => (m as Snapshot).type === 'snapshot') as Snapshot[];
  ctx.check(snaps.length === count, `${count} audits were asked for while transfers ran, but ${snaps.length} snapshots came back: the auditor answers each audit once`);
  const names = bank.accounts.map((a) => a.name).sort().join(', ');
  for (let i = 0; i < snaps.length; i++) {
    const snap = snaps[i]!;
    const listed = snap.accounts.map((r) => r.account).sort().join(', ');
    ctx.check(listed === names, `audit ${i + 1} (asked at t=${asked[i]}) lists ${listed || 'no accounts'}; expected each of ${names} once (the accounts live on several kernels: ask each of them, with messages)`);
    const neg = snap.accounts.find((r) => r.balance < 0 || r.reserved < 0);
    ctx.check(neg === undefined, () => `audit ${i + 1} shows ${neg!.account} with balance ${neg!.balance}, reserved ${neg!.reserved}: never below zero`);
    const sum = snapshotSum(snap);
    if (sum !== bank.total) {
      const trace = await s.trace();
      const replyTimes = trace.events.filter((e) => e.kind === 'send' && (e.msg as Snapshot)?.type === 'snapshot').map((e) => e.t);
      const from = asked[i]!, to = replyTimes[i] ?? from;
      const all = await stories(bank, plan);
      const running = [...all.values()].filter((st) => st.firstT !== undefined && st.firstT <= to && (st.lastT ?? Infinity) >= from && st.credit.sent > 0);
      ctx.fail([
        `Audit ${i + 1}, asked at t=${from} and answered at t=${to} while transfers ran, sums to ${sum}; expected ${bank.total} (${coins(Math.abs(sum - bank.total))} ${sum > bank.total ? 'counted twice' : 'missing'}).`,
        `It showed: ${snap.accounts.map((r) => `${r.account} ${r.balance}${r.reserved ? ` (+${r.reserved} reserved)` : ''}`).join(', ')}.`,
        'A transfer that has been credited at its destination but not yet committed at its source is counted at both; one whose money is reserved but not credited yet must still be counted once. Balances read one by one while transfers run do not add up: freeze every account and let its transfers finish before reading any balance.',
        `Transfers in progress during this audit (${running.length}), for example:`,
        ...running.slice(0, 5).map((st) => `  ${tell(st)}`),
      ].join('\n'));
    }
  }
  const what = `After ${plan.length} transfers and ${count} audits`;
  await checkAnswered(ctx, bank, plan, what);
  await checkQuiescent(ctx, bank, plan, what);
  const last = await s.ask<Snapshot>(bank.auditor!, (replyTo) => ({ type: 'audit', replyTo }), { timeout: 2000 }).catch((err) => {
    if (!isNoReply(err)) throw err;
    return undefined;
  });
  ctx.check(last !== undefined, 'an audit of the quiet bank at the end got no answer within 2000 ms (are some accounts still frozen from an earlier audit?)');
  for (const a of bank.accounts) {
    const st = await statementOf(ctx, bank, a, ' at the end');
    const row = last.accounts.find((r) => r.account === a.name);
    ctx.check(row !== undefined && row.balance === st.balance, `the final audit shows ${a.name} with ${row?.balance}, but ${a.name} says ${st.balance}`);
  }
}, { chartLines: 8 });

// ---- conservation ------------------------------------------------------------------------------------

t.property('bank.conservation', 'money is conserved: at quiescence balances + reservations add up to the opening total', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, { balances: balances(ctx, 8, 30, 100), kernels: 4, retryMs: 4, timeoutMs: 5000, network: { latency: { min: 1, max: 12 } } });
  const plan = planTransfers(ctx.random, bank.accounts, 300, 100, 40);
  await runClients(bank, plan, { resendAfter: 0, giveUpAfter: 5000 });
  const what = `After ${plan.length} concurrent transfers between ${bank.accounts.length} accounts`;
  await checkAnswered(ctx, bank, plan, what);
  await checkQuiescent(ctx, bank, plan, what, { model: false });
}, { chartLines: 8 });

// ---- exactly once ---------------------------------------------------------------------------------

t.property('bank.credit-idempotent', 'a credit delivered several times adds its amount once and is answered every time', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, { balances: [10], kernels: 2, place: () => 1, retryMs: 50, timeoutMs: 1000 });
  const { s } = bank;
  const d = bank.accounts[0]!;
  const gift = 5 + ctx.random.int(40), other = 1 + ctx.random.int(9);
  const times = 2 + ctx.random.int(3);
  for (let i = 0; i < times; i++) await s.send(d.ref, { type: 'credit', tx: 'gift-1', amount: gift, from: s.self });
  await s.send(d.ref, { type: 'credit', tx: 'gift-2', amount: other, from: s.self });
  await s.send(d.ref, { type: 'credit', tx: 'gift-1', amount: gift, from: s.self });
  await s.runUntilIdle({ maxTime: 2000 });
  const answers = s.inbox.filter((m) => (m as Credited).type === 'credited') as Credited[];
  const one = answers.filter((m) => m.tx === 'gift-1').length, two = answers.filter((m) => m.tx === 'gift-2').length;
  ctx.check(one === times + 1, `the credit for gift-1 arrived ${times + 1} times (a retrying source, a duplicating network) and was answered ${one} times; expected ${times + 1} "credited" answers: answer every copy, since the source may have lost the earlier answers`);
  ctx.check(two === 1, `the credit for gift-2 arrived once and was answered ${two} times; expected once`);
  const st = await statementOf(ctx, bank, d);
  const expected = 10 + gift + other;
  ctx.check(st.balance === expected,
    `after credit gift-1 (${gift}) arrived ${times + 1} times and gift-2 (${other}) once, the account holds ${st.balance}; expected ${expected} (10 + ${gift} + ${other}): remember which transfer ids were credited and add each one only once`);
});

t.property('bank.faulty-network', 'on a network that drops and duplicates messages, with clients that retry, each acknowledged transfer is applied exactly once', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, {
    balances: balances(ctx, 6, 50, 100), kernels: 4, place: (i) => 1 + (i % 3), retryMs: 20, timeoutMs: 4000,
    network: { drop: 0.1, duplicate: 0.15 },
  });
  const plan = planTransfers(ctx.random, bank.accounts, 120, 100, 50);
  const sent = await runClients(bank, plan, { resendAfter: 150, maxRequests: 12, giveUpAfter: 6000, tickMs: 10 });
  await bank.s.network({ drop: 0, duplicate: 0 });
  await bank.s.runUntilIdle({ maxTime: 10_000 });
  const retried = [...sent.values()].filter((n) => n > 1).length;
  const what = `With 10% of messages dropped and 15% duplicated, after ${plan.length} transfers (${retried} of them asked again by a client that got no reply)`;
  await checkAnswered(ctx, bank, plan, what);
  await checkQuiescent(ctx, bank, plan, what);
}, { chartLines: 8 });

// ---- one reply per request -------------------------------------------------------------------------

t.property('bank.one-reply', 'every request gets exactly one reply, also when the client asks again and when credits cross', async (ctx: PropertyContext) => {
  // retryMs is shorter than a round trip: the source resends credit before the answer can come
  // back, so it sees "credited" twice for most transfers.
  const bank = await openBank(ctx, { balances: balances(ctx, 5, 60, 60), kernels: 4, place: (i) => 1 + (i % 3), retryMs: 3, timeoutMs: 5000, network: { latency: { min: 2, max: 6 } } });
  const { s } = bank;
  const plan = planTransfers(ctx.random, bank.accounts, 40, 40, 40);
  const requests = new Map<string, number>();
  const again = new Set(plan.filter(() => ctx.random.int(3) === 0).map((p) => p.tx));
  await runClients(bank, plan, { resendAfter: 0, giveUpAfter: 3000, tickMs: 2 });
  for (const p of plan) requests.set(p.tx, 1);
  // Some clients ask again, after the answer (a lost reply, say).
  for (const p of plan) {
    if (!again.has(p.tx)) continue;
    await s.send(bank.byName(p.from).ref, transferRequest(bank, p));
    requests.set(p.tx, 2);
  }
  // and some ask twice at once, for new transfers, before any answer can come.
  const twin: Planned[] = [];
  for (let i = 0; i < 6; i++) {
    const from = bank.accounts[i % bank.accounts.length]!, to = bank.accounts[(i + 2) % bank.accounts.length]!;
    twin.push({ tx: `twin-${i}`, from: from.name, to: to.name, amount: 1 + ctx.random.int(5), at: 0 });
  }
  for (const p of twin) {
    await s.send(bank.byName(p.from).ref, transferRequest(bank, p));
    await s.send(bank.byName(p.from).ref, transferRequest(bank, p));
    requests.set(p.tx, 2);
  }
  await s.runUntilIdle({ maxTime: 5000 });
  const all = [...plan, ...twin];
  const replies = transferReplies(s);
  const wrong = all.filter((p) => (replies.get(p.tx)?.length ?? 0) !== requests.get(p.tx));
  if (wrong.length > 0) {
    const st = await stories(bank, all);
    ctx.fail([
      `${wrong.length} transfers got a number of replies different from the number of requests (one reply per request, no more, no less):`,
      ...wrong.slice(0, 6).map((p) => `  ${requests.get(p.tx)} request(s) but ${replies.get(p.tx)?.length ?? 0} replies: ${tell(st.get(p.tx)!)}`),
      wrong.some((p) => (replies.get(p.tx)?.length ?? 0) > requests.get(p.tx)!)
        ? 'A duplicate "credited" (the source resent credit, the destination answered each copy) must not produce another reply.'
        : 'A request that arrives while the same transfer is still running is answered too, when it ends.',
    ].join('\n'));
  }
  const mixed = all.filter((p) => new Set(replies.get(p.tx)!.map((r) => r.type)).size > 1);
  ctx.check(mixed.length === 0, () => `${mixed[0]!.tx} was answered ${replies.get(mixed[0]!.tx)!.map((r) => `"${r.type}"`).join(' and ')}: a repeated request gets the same answer as the first`);
  await checkQuiescent(ctx, bank, all, `After ${all.length} transfers, some asked twice`, { model: false });
});

// ---- deadlock ---------------------------------------------------------------------------------------

/** Sends every transfer at the same instant and expects all to succeed within `budget` virtual ms. */
async function allAtOnce(ctx: PropertyContext, bank: Bank, plan: Planned[], budget: number, shape: string): Promise<void> {
  const { s } = bank;
  const start = (await s.advance(0)).now;
  for (const p of plan) await s.send(bank.byName(p.from).ref, transferRequest(bank, p));
  await s.advance(budget);
  const replies = transferReplies(s);
  const missing = plan.filter((p) => !replies.has(p.tx));
  if (missing.length > 0) {
    const all = await stories(bank, plan);
    ctx.fail([
      `${shape}: ${missing.length} of ${plan.length} transfers had no reply ${budget} ms after they were all sent at t=${start} (timeoutMs is far longer; the network is reliable, with 1..5 ms latency).`,
      'This is the message-passing deadlock: an account that waits for its partner\'s answer inside a handler (a blocking ask) cannot answer that partner\'s own credit. Keep a transfer in progress in the account\'s state and go on serving messages.',
      ...missing.slice(0, 5).map((p) => `  ${tell(all.get(p.tx)!)}`),
    ].join('\n'));
  }
  const failed = plan.filter((p) => replies.get(p.tx)![0]!.type !== 'transferred');
  if (failed.length > 0) {
    const all = await stories(bank, plan);
    ctx.fail([
      `${shape}: ${failed.length} of ${plan.length} transfers failed although every account could afford them and the network is reliable:`,
      ...failed.slice(0, 5).map((p) => `  ${tell(all.get(p.tx)!)}`),
    ].join('\n'));
  }
  await s.runUntilIdle({ maxTime: 20_000 });
  await checkQuiescent(ctx, bank, plan, shape);
}

t.property('bank.opposing', 'transfers A → B and B → A sent at the same moment both finish quickly', async (ctx: PropertyContext) => {
  const pairs = 4;
  const bank = await openBank(ctx, { balances: Array.from({ length: pairs * 2 }, () => 500), kernels: 4, place: (i) => i % 4, retryMs: 1000, timeoutMs: 5000 });
  const plan: Planned[] = [];
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < pairs; k++) {
      const a = bank.accounts[2 * k]!, b = bank.accounts[2 * k + 1]!;
      plan.push({ tx: `r${round}-${a.name}-to-${b.name}`, from: a.name, to: b.name, amount: 1 + ctx.random.int(50), at: 0 });
      plan.push({ tx: `r${round}-${b.name}-to-${a.name}`, from: b.name, to: a.name, amount: 1 + ctx.random.int(50), at: 0 });
    }
  }
  await allAtOnce(ctx, bank, plan, 250, `${plan.length} transfers in opposite directions between ${pairs} pairs of accounts (acc-0 ⇄ acc-1, …), all sent at once`);
});

t.property('bank.cycle', 'a cycle of transfers A → B → C → … → A sent at the same moment all finish quickly', async (ctx: PropertyContext) => {
  const n = 3 + ctx.random.int(4);
  const bank = await openBank(ctx, { balances: Array.from({ length: n }, () => 300), kernels: 4, retryMs: 1000, timeoutMs: 5000 });
  const plan: Planned[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < n; i++) {
      const a = bank.accounts[i]!, b = bank.accounts[(i + 1) % n]!;
      plan.push({ tx: `c${round}-${a.name}`, from: a.name, to: b.name, amount: 1 + ctx.random.int(40), at: 0 });
    }
  }
  // and a few at random on top, across the cycle
  for (let i = 0; i < n; i++) {
    const a = pick(ctx, bank.accounts);
    const b = pick(ctx, bank.accounts.filter((x) => x !== a));
    plan.push({ tx: `x-${i}`, from: a.name, to: b.name, amount: 1 + ctx.random.int(20), at: 0 });
  }
  await allAtOnce(ctx, bank, plan, 250, `${plan.length} transfers around a cycle of ${n} accounts (${bank.accounts.map((a) => a.name).join(' → ')} → acc-0), all sent at once`);
});
