// Hidden tests for the bank exercise (never in the student pack).
import { exerciseTests, messagesOf, nameOf, typeOf, waitCycle, waitsFor, type PropertyContext, type TraceJson, type Wait } from '#harness';
import { protocol, type Credited, type InsufficientFunds, type Snapshot, type Statement, type TransferReply } from '../../protocol.ts';
import {
  checkAnswered,
  checkQuiescent,
  coins,
  isNoReply,
  openBank,
  planTransfers,
  runClients,
  snapshotSum,
  statementOf,
  statementsOf,
  stories,
  tell,
  transferReplies,
  transferRequest,
  type Account,
  type Bank,
  type Planned,
} from '../public/bank-kit.ts';

const t = exerciseTests(import.meta.url, protocol);

const pick = <T>(ctx: PropertyContext, xs: readonly T[]): T => xs[ctx.random.int(xs.length)]!;
const balances = (ctx: PropertyContext, n: number, min: number, spread: number) => Array.from({ length: n }, () => min + ctx.random.int(spread));

// ---- transfers: a reference model ------------------------------------------------------------

t.property(
  'bank.model',
  'after hundreds of concurrent transfers, every balance equals a sequential bank applying the acknowledged ones',
  async (ctx: PropertyContext) => {
    const bank = await openBank(ctx, { balances: balances(ctx, 6, 40, 120), kernels: 4, retryMs: 30, timeoutMs: 5000 });
    const plan = planTransfers(ctx.random, bank.accounts, 200, 120, 60);
    await runClients(bank, plan, { resendAfter: 0, giveUpAfter: 3000 });
    const what = `After ${plan.length} concurrent transfers between ${bank.accounts.length} accounts on 4 kernels (reliable network)`;
    await checkAnswered(ctx, bank, plan, what);
    const replies = transferReplies(bank.s);
    const twice = plan.filter((p) => replies.get(p.tx)!.length > 1);
    if (twice.length > 0) {
      const all = await stories(bank, plan);
      ctx.fail(
        [
          `${what}, ${twice.length} transfers asked once got more than one reply: exactly one reply per request.`,
          ...twice.slice(0, 5).map((p) => `  ${tell(all.get(p.tx)!)}`),
        ].join('\n'),
      );
    }
    await checkQuiescent(ctx, bank, plan, what);
    const ok = plan.filter((p) => replies.get(p.tx)![0]!.type === 'transferred').length;
    ctx.check(
      ok >= plan.length / 3,
      `${what}, only ${ok} of ${plan.length} transfers succeeded although most of them were affordable: are transfers refused or timed out for no reason?`,
    );
  },
);

// ---- funds -----------------------------------------------------------------------------------------

t.property(
  'bank.never-negative',
  'concurrent transfers and withdraws that together exceed a balance never take it below zero',
  async (ctx: PropertyContext) => {
    // acc-0..2 only pay, acc-3..5 only receive (so what a payer spends must come out of its 100).
    const bank = await openBank(ctx, {
      balances: [100, 100, 100, 0, 0, 0],
      kernels: 4,
      place: (i) => 1 + (i % 3),
      retryMs: 40,
      timeoutMs: 5000,
      network: { latency: { min: 5, max: 25 } },
    });
    const { s } = bank;
    const payers = bank.accounts.slice(0, 3),
      payees = bank.accounts.slice(3);
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
    ctx.check(
      badMid === undefined,
      () =>
        `while transfers were in progress, ${badMid!.account} reported balance ${badMid!.balance}, reserved ${badMid!.reserved}: neither may ever be below zero (check the funds, then reserve, in one step)`,
    );
    const what = 'With 4 transfers of 30..45 and a withdraw asked of each of acc-0, acc-1, acc-2 (holding 100 each), all at once';
    await checkAnswered(ctx, bank, plan, what);
    const replies = transferReplies(s);
    for (const a of payers) {
      const out = plan.filter((p) => p.from === a.name && replies.get(p.tx)![0]!.type === 'transferred');
      const spent = out.reduce((sum, p) => sum + p.amount, 0);
      const w = s.inbox.find(
        (m) => ((m as Statement).type === 'statement' || (m as InsufficientFunds).type === 'insufficient-funds') && (m as Statement).account === a.name,
      ) as Statement | InsufficientFunds | undefined;
      ctx.check(
        w !== undefined,
        `${a.name} never answered the withdraw of ${withdraws.get(a.name)} (while its transfers ran, it must still answer: with a statement or "insufficient-funds")`,
      );
      const withdrawn = w.type === 'statement' ? withdraws.get(a.name)! : 0;
      ctx.check(
        spent + withdrawn <= a.opening,
        `${a.name} opened with ${a.opening} but paid out ${spent} in transfers (${out.map((p) => `${p.tx}: ${p.amount}`).join(', ') || 'none'}) and ${withdrawn} in a withdraw: ${spent + withdrawn} in all. Money that is reserved for a transfer in progress is not available to anything else.`,
      );
      const refused = plan.filter((p) => p.from === a.name && replies.get(p.tx)![0]!.type === 'transfer-failed');
      for (const p of refused) {
        const r = replies.get(p.tx)![0] as Extract<TransferReply, { type: 'transfer-failed' }>;
        ctx.check(
          r.reason === 'insufficient-funds',
          `${p.tx} (${p.from} → ${p.to}, ${p.amount}) failed with reason "${r.reason}" on a reliable network; expected "insufficient-funds" (or success)`,
        );
      }
    }
    const withdrawn = payers.filter((a) => s.inbox.some((m) => (m as Statement).type === 'statement' && (m as Statement).account === a.name));
    // At the end each payer holds its opening balance less what it paid out, reserved nothing.
    // (What the payees received is the exactly-once tests' business.)
    const st = await statementsOf(ctx, bank, ' at the end');
    for (const a of payers) {
      const paid = plan.filter((p) => p.from === a.name && replies.get(p.tx)![0]!.type === 'transferred').reduce((x, p) => x + p.amount, 0);
      const expected = a.opening - paid - (withdrawn.includes(a) ? withdraws.get(a.name)! : 0);
      const got = st.get(a.name)!;
      ctx.check(
        got.balance === expected && got.reserved === 0,
        `${what}, ${a.name} ends with balance ${got.balance}, reserved ${got.reserved}; it opened with ${a.opening}, paid out ${paid} in the transfers it acknowledged` +
          `${withdrawn.includes(a) ? ` and ${withdraws.get(a.name)} in a withdraw` : ''}: expected ${expected} and 0`,
      );
    }
  },
  { chartLines: 8 },
);

// ---- timeouts --------------------------------------------------------------------------------------

t.property(
  'bank.partner-crashed',
  'a transfer to an account whose kernel crashed is aborted and released, and other transfers go on meanwhile',
  async (ctx: PropertyContext) => {
    const retryMs = 40,
      timeoutMs = 600;
    const bank = await openBank(ctx, { balances: [100, 100, 100], kernels: 4, place: (i) => i + 1, retryMs, timeoutMs });
    const { s } = bank;
    const [a, b, c] = bank.accounts as [Account, Account, Account];
    await s.crash(b.kernel);
    await s.send(a.ref, { type: 'transfer', tx: 'to-dead', to: b.ref, amount: 70, replyTo: s.self });
    await s.advance(50);
    // While the first transfer waits for a dead partner, another one from the same account must go through.
    await s.send(a.ref, { type: 'transfer', tx: 'to-live', to: c.ref, amount: 20, replyTo: s.self });
    const live = await s.receive<TransferReply>((m: TransferReply) => m.tx === 'to-live', { timeout: 300 });
    ctx.check(
      live !== undefined,
      'a transfer from acc-0 to a live account got no reply within 300 ms while another transfer of acc-0 waited for a crashed account: a transfer in progress must not stop the account from serving other messages',
    );
    ctx.check(
      live.type === 'transferred',
      `transfer to-live (acc-0 → acc-2, 20) got ${JSON.stringify(live)}; acc-0 had 30 left after reserving 70, so expected "transferred"`,
    );
    const mid = await statementOf(ctx, bank, a, ' while waiting for the crashed account');
    ctx.check(
      mid.balance === 10 && mid.reserved === 70,
      `while waiting for the crashed account, acc-0 reported balance ${mid.balance}, reserved ${mid.reserved}; expected 10 and 70`,
    );
    const dead = await s.receive<TransferReply>((m: TransferReply) => m.tx === 'to-dead', { timeout: timeoutMs + 400 });
    ctx.check(
      dead !== undefined,
      `transfer to-dead got no reply within ${timeoutMs + 400} ms although its destination's kernel had crashed and timeoutMs is ${timeoutMs}`,
    );
    ctx.check(
      dead.type === 'transfer-failed' && dead.reason === 'timeout',
      `transfer to-dead got ${JSON.stringify(dead)}; expected { type: "transfer-failed", tx: "to-dead", reason: "timeout" }`,
    );
    const end = await statementOf(ctx, bank, a, ' after the abort');
    ctx.check(
      end.balance === 80 && end.reserved === 0,
      `after to-dead was aborted, acc-0 reported balance ${end.balance}, reserved ${end.reserved}; expected 80 (100 − 20) and 0: the 70 reserved for to-dead must be released`,
    );
    const sc = await statementOf(ctx, bank, c);
    ctx.check(sc.balance === 120, `acc-2 ends with ${sc.balance}; expected 120`);
    const idle = await s.runUntilIdle({ maxTime: 30_000 });
    ctx.check(
      idle.pendingTimers === 0,
      `${idle.pendingTimers} timers are still set once every transfer has ended: cancel a transfer's retry timer when it commits or aborts`,
    );
  },
);

t.property(
  'bank.deadlines',
  'each transfer aborts timeoutMs after its own reservation: retries and other transfers do not move its deadline',
  async (ctx: PropertyContext) => {
    const retryMs = 50,
      timeoutMs = 400 + 50 * ctx.random.int(4);
    const bank = await openBank(ctx, { balances: [100], kernels: 2, place: () => 1, retryMs, timeoutMs });
    const a = bank.accounts[0]!;
    const { s } = bank;
    // Two transfers to a destination that never answers (the test): d-1 at t0, which its
    // client sends again every timeoutMs/3 while it has no reply; d-2 a little later.
    const d1 = { tx: 'd-1', amount: 30 + ctx.random.int(20) },
      d2 = { tx: 'd-2', amount: 10 + ctx.random.int(20) };
    const request = (x: { tx: string; amount: number }) => ({ type: 'transfer', tx: x.tx, to: s.self, amount: x.amount, replyTo: s.self });
    const t0 = (await s.advance(0)).now;
    const d2At = t0 + 100 + ctx.random.int(100);
    const gap = Math.floor(timeoutMs / 3);
    await s.send(a.ref, request(d1));
    const resent: number[] = [];
    let mid: Statement | undefined;
    const events = [
      { at: d2At, what: 'start d-2' },
      { at: d2At + 10, what: 'read' },
    ];
    const end = d2At + timeoutMs + 3 * retryMs;
    let nextRetry = t0 + gap;
    let now = t0;
    for (;;) {
      const open = !transferReplies(s).has(d1.tx);
      const retrying = open && nextRetry < t0 + timeoutMs - retryMs; // (a retry racing the abort proves nothing)
      const next = Math.min(end, ...events.map((e) => e.at), retrying ? nextRetry : Infinity);
      if (next > now) now = (await s.advance(next - now)).now;
      if (now >= end) break;
      for (const e of events.filter((x) => x.at <= now)) {
        events.splice(events.indexOf(e), 1);
        if (e.what === 'start d-2') await s.send(a.ref, request(d2));
        else mid = await statementOf(ctx, bank, a, ' while d-1 and d-2 waited for their destination', 100);
      }
      if (!transferReplies(s).has(d1.tx) && now >= nextRetry && nextRetry < t0 + timeoutMs - retryMs) {
        await s.send(a.ref, request(d1));
        resent.push(now);
        nextRetry = now + gap;
      }
    }
    if (mid) {
      ctx.check(
        mid.reserved === d1.amount + d2.amount && mid.balance === 100 - d1.amount - d2.amount && mid.pending.length === 2,
        `while d-1 (${d1.amount}) and d-2 (${d2.amount}) both waited for their destination, acc-0 reported balance ${mid.balance}, reserved ${mid.reserved}, pending ${JSON.stringify(mid.pending)}; ` +
          `expected ${100 - d1.amount - d2.amount}, ${d1.amount + d2.amount} and both ids: reservations add up`,
      );
    }
    // A deadline that moved shows when the abort finally comes: wait for it, a while.
    if (!transferReplies(s).has(d1.tx)) await s.advance(timeoutMs + 2 * retryMs);
    const trace = await s.trace();
    const abortOf = (tx: string) => messagesOf(trace, 'transfer-failed').find((e) => (e.msg as TransferReply).tx === tx)?.t;
    const end1 = abortOf(d1.tx),
      end2 = abortOf(d2.tx);
    const due1 = t0 + timeoutMs,
      due2 = d2At + timeoutMs;
    if (end1 === undefined || end1 > due1 + retryMs) {
      const restartedBy = [...resent, d2At].find((x) => end1 !== undefined && x + timeoutMs <= end1 && end1 <= x + timeoutMs + retryMs);
      ctx.fail(
        `d-1 was reserved at t=${t0}; with timeoutMs = ${timeoutMs} it must be aborted by t=${due1 + retryMs} (its deadline, t=${due1}, plus at most one retry interval), but ${end1 === undefined ? 'it never was' : `it was aborted at t=${end1}`}. ` +
          `Its client sent it again at t=${resent.join(', ') || '(never)'} and d-2 started at t=${d2At}` +
          (restartedBy === undefined
            ? ''
            : restartedBy === d2At
              ? `; t=${end1} is timeoutMs after d-2 started: one transfer's start moved the other's deadline`
              : `; t=${end1} is timeoutMs after the retry at t=${restartedBy}: a retry restarted the deadline, so a client that keeps asking keeps the transfer from ever aborting`) +
          ". A transfer's deadline is fixed when it reserves its money.",
      );
    }
    ctx.check(end1 >= due1, `d-1 was reserved at t=${t0} and aborted at t=${end1}, before its deadline (t=${due1})`);
    ctx.check(
      end2 !== undefined && end2 >= due2 && end2 <= due2 + retryMs,
      `d-2 was reserved at t=${d2At}; with timeoutMs = ${timeoutMs} it must be aborted between t=${due2} and t=${due2 + retryMs}, but ${end2 === undefined ? 'it never was' : `it was aborted at t=${end2}`}`,
    );
    const replies = transferReplies(s).get(d1.tx) ?? [];
    const asked = 1 + resent.length;
    ctx.check(
      replies.length >= asked && replies.every((r) => r.type === 'transfer-failed' && r.reason === 'timeout'),
      `d-1 was asked ${asked} times (${resent.length} retries while it ran) and got ${replies.length} replies (${replies.map((r) => (r.type === 'transfer-failed' ? `${r.type} ${r.reason}` : r.type)).join(', ')}); expected ${asked}, all transfer-failed (timeout)`,
    );
    const after = await statementOf(ctx, bank, a, ' after both aborts');
    ctx.check(
      after.balance === 100 && after.reserved === 0,
      `after d-1 and d-2 were aborted acc-0 reported balance ${after.balance}, reserved ${after.reserved}; expected 100 and 0`,
    );
  },
);

// ---- audit -----------------------------------------------------------------------------------------

t.property(
  'bank.audit-consistent',
  'every audit taken while hundreds of transfers run adds up to the money in the bank',
  async (ctx: PropertyContext) => {
    const bank = await openBank(ctx, {
      balances: balances(ctx, 8, 50, 100),
      kernels: 4,
      place: (i) => 1 + (i % 3),
      retryMs: 15,
      timeoutMs: 5000,
      auditor: true,
    });
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
    ctx.check(
      snaps.length === count,
      `${count} audits were asked for while transfers ran, but ${snaps.length} snapshots came back: the auditor answers each audit once`,
    );
    const names = bank.accounts
      .map((a) => a.name)
      .sort()
      .join(', ');
    for (let i = 0; i < snaps.length; i++) {
      const snap = snaps[i]!;
      const listed = snap.accounts
        .map((r) => r.account)
        .sort()
        .join(', ');
      ctx.check(
        listed === names,
        `audit ${i + 1} (asked at t=${asked[i]}) lists ${listed || 'no accounts'}; expected each of ${names} once (the accounts live on several kernels: ask each of them, with messages)`,
      );
      const neg = snap.accounts.find((r) => r.balance < 0 || r.reserved < 0);
      ctx.check(neg === undefined, () => `audit ${i + 1} shows ${neg!.account} with balance ${neg!.balance}, reserved ${neg!.reserved}: never below zero`);
      const sum = snapshotSum(snap);
      if (sum !== bank.total) {
        const trace = await s.trace();
        const replyTimes = trace.events.filter((e) => e.kind === 'send' && (e.msg as Snapshot)?.type === 'snapshot').map((e) => e.t);
        const from = asked[i]!,
          to = replyTimes[i] ?? from;
        const all = await stories(bank, plan);
        const running = [...all.values()].filter((st) => st.firstT !== undefined && st.firstT <= to && (st.lastT ?? Infinity) >= from && st.credit.sent > 0);
        ctx.fail(
          [
            `Audit ${i + 1}, asked at t=${from} and answered at t=${to} while transfers ran, sums to ${sum}; expected ${bank.total} (${coins(Math.abs(sum - bank.total))} ${sum > bank.total ? 'counted twice' : 'missing'}).`,
            `It showed: ${snap.accounts.map((r) => `${r.account} ${r.balance}${r.reserved ? ` (+${r.reserved} reserved)` : ''}`).join(', ')}.`,
            'A transfer that has been credited at its destination but not yet committed at its source is counted at both; one whose money is reserved but not credited yet must still be counted once. Balances read one by one while transfers run do not add up: freeze every account and let its transfers finish before reading any balance.',
            `Transfers in progress during this audit (${running.length}), for example:`,
            ...running.slice(0, 5).map((st) => `  ${tell(st)}`),
          ].join('\n'),
        );
      }
    }
    const what = `After ${plan.length} transfers and ${count} audits`;
    await checkAnswered(ctx, bank, plan, what);
    await checkQuiescent(ctx, bank, plan, what);
    const last = await s
      .ask<Snapshot>(bank.auditor!, (replyTo) => ({ type: 'audit', replyTo }), { timeout: 2000 })
      .catch((err) => {
        if (!isNoReply(err)) throw err;
        return undefined;
      });
    ctx.check(last !== undefined, 'an audit of the quiet bank at the end got no answer within 2000 ms (are some accounts still frozen from an earlier audit?)');
    for (const a of bank.accounts) {
      const st = await statementOf(ctx, bank, a, ' at the end');
      const row = last.accounts.find((r) => r.account === a.name);
      ctx.check(row !== undefined && row.balance === st.balance, `the final audit shows ${a.name} with ${row?.balance}, but ${a.name} says ${st.balance}`);
    }
  },
  { chartLines: 8 },
);

// ---- conservation ------------------------------------------------------------------------------------

t.property(
  'bank.conservation',
  'money is conserved: at quiescence balances + reservations add up to the opening total',
  async (ctx: PropertyContext) => {
    const bank = await openBank(ctx, {
      balances: balances(ctx, 8, 30, 100),
      kernels: 4,
      retryMs: 4,
      timeoutMs: 5000,
      network: { latency: { min: 1, max: 12 } },
    });
    const plan = planTransfers(ctx.random, bank.accounts, 300, 100, 40);
    await runClients(bank, plan, { resendAfter: 0, giveUpAfter: 5000 });
    const what = `After ${plan.length} concurrent transfers between ${bank.accounts.length} accounts`;
    await checkAnswered(ctx, bank, plan, what);
    await checkQuiescent(ctx, bank, plan, what, { model: false });
  },
  { chartLines: 8 },
);

// ---- exactly once ---------------------------------------------------------------------------------

t.property(
  'bank.credit-idempotent',
  'a credit delivered several times adds its amount once and is answered every time, however late the copy',
  async (ctx: PropertyContext) => {
    const bank = await openBank(ctx, { balances: [10], kernels: 2, place: () => 1, retryMs: 50, timeoutMs: 1000 });
    const { s } = bank;
    const d = bank.accounts[0]!;
    // Many transfers credit this account, some of them twice at once (a resending source, a
    // duplicating network); then, long after and after all the others, late copies of several,
    // the earliest among them. Each id adds its amount once, and every copy is answered.
    const n = 30 + ctx.random.int(20);
    const gifts = Array.from({ length: n }, (_, i) => ({ tx: `gift-${i + 1}`, amount: 1 + ctx.random.int(40) }));
    const copies = new Map<string, number>();
    const credit = async (g: { tx: string; amount: number }) => {
      await s.send(d.ref, { type: 'credit', tx: g.tx, amount: g.amount, from: s.self });
      copies.set(g.tx, (copies.get(g.tx) ?? 0) + 1);
    };
    for (const g of gifts) {
      await credit(g);
      if (ctx.random.int(4) === 0) await credit(g);
    }
    await s.runUntilIdle({ maxTime: 2000 });
    let expected = 10 + gifts.reduce((sum, g) => sum + g.amount, 0);
    const first = await statementOf(ctx, bank, d);
    ctx.check(
      first.balance === expected,
      `after ${n} credits (gift-1 … gift-${n}, a few delivered twice at once) the account holds ${first.balance}; expected ${expected}: add each transfer id once`,
    );
    await s.advance(500);
    const late = [gifts[0]!, ...gifts.slice(1).filter(() => ctx.random.int(3) === 0)];
    for (let i = late.length - 1; i > 0; i--) {
      const j = ctx.random.int(i + 1);
      [late[i], late[j]] = [late[j]!, late[i]!];
    }
    for (const g of late) {
      await credit(g);
      await s.runUntilIdle({ maxTime: 2000 });
      const st = await statementOf(ctx, bank, d);
      ctx.check(
        st.balance === expected,
        `a late copy of ${g.tx} (${g.amount} coins; its first copy arrived ${n - Number(g.tx.slice(5))} credits and 500 ms earlier) changed the balance from ${expected} to ${st.balance}: ` +
          'a duplicate adds nothing, however late it comes: remember every transfer id you have credited, not only the recent ones',
      );
      expected = st.balance;
    }
    const answers = s.inbox.filter((m) => (m as Credited).type === 'credited') as Credited[];
    for (const [tx, k] of copies) {
      const got = answers.filter((m) => m.tx === tx).length;
      ctx.check(
        got === k,
        `the credit for ${tx} arrived ${k} time${k === 1 ? '' : 's'} and was answered ${got} time${got === 1 ? '' : 's'}; expected ${k} "credited" answers: answer every copy, since the source may have lost the earlier answers`,
      );
    }
  },
);

t.property(
  'bank.faulty-network',
  'on a network that drops and duplicates messages, with clients that retry, each acknowledged transfer is applied exactly once',
  async (ctx: PropertyContext) => {
    const bank = await openBank(ctx, {
      balances: balances(ctx, 6, 50, 100),
      kernels: 4,
      place: (i) => 1 + (i % 3),
      retryMs: 20,
      timeoutMs: 4000,
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
  },
  { chartLines: 8 },
);

// ---- one reply per request -------------------------------------------------------------------------

t.property('bank.one-reply', 'every request gets exactly one reply, also when the client asks again and when credits cross', async (ctx: PropertyContext) => {
  // retryMs is shorter than a round trip: the source resends credit before the answer can come
  // back, so it sees "credited" twice for most transfers.
  const bank = await openBank(ctx, {
    balances: balances(ctx, 5, 60, 60),
    kernels: 4,
    place: (i) => 1 + (i % 3),
    retryMs: 3,
    timeoutMs: 5000,
    network: { latency: { min: 2, max: 6 } },
  });
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
    const from = bank.accounts[i % bank.accounts.length]!,
      to = bank.accounts[(i + 2) % bank.accounts.length]!;
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
    ctx.fail(
      [
        `${wrong.length} transfers got a number of replies different from the number of requests (one reply per request, no more, no less):`,
        ...wrong.slice(0, 6).map((p) => `  ${requests.get(p.tx)} request(s) but ${replies.get(p.tx)?.length ?? 0} replies: ${tell(st.get(p.tx)!)}`),
        wrong.some((p) => (replies.get(p.tx)?.length ?? 0) > requests.get(p.tx)!)
          ? 'A duplicate "credited" (the source resent credit, the destination answered each copy) must not produce another reply.'
          : 'A request that arrives while the same transfer is still running is answered too, when it ends.',
      ].join('\n'),
    );
  }
  const mixed = all.filter((p) => new Set(replies.get(p.tx)!.map((r) => r.type)).size > 1);
  ctx.check(
    mixed.length === 0,
    () =>
      `${mixed[0]!.tx} was answered ${replies
        .get(mixed[0]!.tx)!
        .map((r) => `"${r.type}"`)
        .join(' and ')}: a repeated request gets the same answer as the first`,
  );
});

t.property('bank.retry-same-answer', 'a retry of a refused or aborted transfer gets the same answer again and runs nothing', async (ctx: PropertyContext) => {
  const retryMs = 40,
    timeoutMs = 300;
  const bank = await openBank(ctx, { balances: [50, 0], kernels: 3, place: (i) => i + 1, retryMs, timeoutMs });
  const { s } = bank;
  const [a, b] = bank.accounts as [Account, Account];
  const ask = (msg: Record<string, unknown>, timeout: number) =>
    s
      .ask<TransferReply>(a.ref, (replyTo) => ({ ...msg, replyTo }), { timeout })
      .catch((err) => {
        if (!isNoReply(err)) throw err;
        return undefined;
      });
  // A refusal: too little money. Then a deposit makes it affordable; the retry is still refused.
  const big = 51 + ctx.random.int(40);
  const refused = { type: 'transfer', tx: 't-refused', to: b.ref, amount: big };
  const r1 = await ask(refused, 1000);
  ctx.check(
    r1 !== undefined && r1.type === 'transfer-failed' && r1.reason === 'insufficient-funds',
    `t-refused (${big} from acc-0, which holds 50) got ${r1 === undefined ? 'no reply' : JSON.stringify(r1)}; expected transfer-failed (insufficient-funds)`,
  );
  await s.ask(a.ref, (replyTo) => ({ type: 'deposit', amount: big, replyTo }), { timeout: 1000 });
  const [a1, b1] = [await statementOf(ctx, bank, a), await statementOf(ctx, bank, b)];
  const r2 = await ask(refused, 1000);
  ctx.check(
    r2 !== undefined && JSON.stringify(r2) === JSON.stringify(r1),
    `after a deposit made it affordable, a retry of the refused t-refused got ${r2 === undefined ? 'no reply' : JSON.stringify(r2)}; expected the first answer again, ${JSON.stringify(r1)}: ` +
      'the source remembers every outcome by transfer id, refusals too, and never runs a transfer a second time',
  );
  await s.runUntilIdle({ maxTime: 2000 });
  const [a2, b2] = [await statementOf(ctx, bank, a), await statementOf(ctx, bank, b)];
  ctx.check(
    a2.balance === a1.balance && a2.reserved === a1.reserved && b2.balance === b1.balance,
    `the retry of the refused t-refused changed acc-0 from ${a1.balance} (reserved ${a1.reserved}) to ${a2.balance} (reserved ${a2.reserved}) and acc-1 from ${b1.balance} to ${b2.balance}: a retry moves nothing`,
  );
  // An abort: the destination (the test) never answers. A retry after the abort is answered at once, the same.
  const silent = { type: 'transfer', tx: 't-silent', to: s.self, amount: 20 };
  const r3 = await ask(silent, timeoutMs + 4 * retryMs);
  ctx.check(
    r3 !== undefined && r3.type === 'transfer-failed' && r3.reason === 'timeout',
    `t-silent, whose destination never answers, got ${r3 === undefined ? 'no reply' : JSON.stringify(r3)} within ${timeoutMs + 4 * retryMs} ms; expected transfer-failed (timeout)`,
  );
  const abortedAt = (await s.advance(0)).now;
  const a3 = await statementOf(ctx, bank, a);
  const r4 = await ask(silent, 2 * retryMs);
  const again = messagesOf(await s.trace(), 'credit').filter((e) => (e.msg as { tx?: string }).tx === 't-silent' && e.t > abortedAt);
  ctx.check(
    r4 !== undefined && JSON.stringify(r4) === JSON.stringify(r3),
    `a retry of t-silent after it was aborted (at t=${abortedAt}) got ${r4 === undefined ? `no reply within ${2 * retryMs} ms` : JSON.stringify(r4)}; expected ${JSON.stringify(r3)} at once` +
      (again.length > 0
        ? `, and acc-0 sent "credit" for t-silent ${again.length} more time(s) after the abort: it ran the transfer again. Remember aborted transfers' outcomes too`
        : ''),
  );
  const a4 = await statementOf(ctx, bank, a);
  ctx.check(
    a4.balance === a3.balance && a4.reserved === a3.reserved,
    `the retry of the aborted t-silent changed acc-0 from ${a3.balance} (reserved ${a3.reserved}) to ${a4.balance} (reserved ${a4.reserved}): a retry of a finished transfer moves nothing`,
  );
});

t.property(
  'bank.two-banks',
  'a second bank in the same system, with the same transfer ids, changes nothing in the first and works on its own',
  async (ctx: PropertyContext) => {
    const place = (i: number) => 1 + (i % 3);
    const first = await openBank(ctx, { balances: balances(ctx, 6, 40, 80), kernels: 4, place, retryMs: 20, timeoutMs: 5000, prefix: 'a-' });
    const { s } = first;
    const planA = planTransfers(ctx.random, first.accounts, 60, 60, 40);
    await runClients(first, planA, { resendAfter: 0, giveUpAfter: 3000 });
    await s.runUntilIdle({ maxTime: 5000 });
    const whatA = `Bank A (accounts a-acc-0 … a-acc-5, alone in the system so far), after ${planA.length} transfers`;
    await checkAnswered(ctx, first, planA, whatA);
    await checkQuiescent(ctx, first, planA, whatA);
    const before = await statementsOf(ctx, first, ' before bank B opened');
    // Take bank A's replies out of the way: bank B's clients use the very same transfer ids.
    while ((await s.receive(undefined, { timeout: 0 })) !== undefined) {
      /* drained */
    }
    const second = await openBank(ctx, { balances: balances(ctx, 6, 40, 80), kernels: 4, place, retryMs: 30, timeoutMs: 3000, prefix: 'b-', session: s });
    const planB = planTransfers(ctx.random, second.accounts, 60, 60, 40);
    await runClients(second, planB, { resendAfter: 0, giveUpAfter: 3000 });
    await s.runUntilIdle({ maxTime: 5000 });
    const whatB = `Bank B (accounts b-acc-0 … b-acc-5, opened in the same system after bank A; its clients use the same transfer ids t-1 … t-${planB.length}), after ${planB.length} transfers`;
    await checkAnswered(ctx, second, planB, whatB);
    await checkQuiescent(
      ctx,
      second,
      planB,
      `${whatB} (if bank B works alone, look for state the two banks share: a module-level variable is shared by every account on a kernel)`,
    );
    for (const acc of first.accounts) {
      const now = await statementOf(ctx, first, acc, ' after bank B ran');
      const was = before.get(acc.name)!;
      ctx.check(
        now.balance === was.balance && now.reserved === was.reserved,
        `${acc.name} of bank A held ${was.balance} before bank B opened and ${now.balance} after bank B's transfers, in which it took no part: two banks in one system share nothing`,
      );
    }
  },
  { chartLines: 8 },
);

// ---- deadlock ---------------------------------------------------------------------------------------

/** "acc-0 waits for acc-1 (credit r0-…, unread: acc-1's credit) → acc-1 waits for acc-0 …". */
function describeCycle(trace: TraceJson, waits: readonly Wait[], cycle: readonly number[]): string {
  return (
    cycle
      .map((pid, i) => {
        const next = cycle[(i + 1) % cycle.length]!;
        const w = waits.find((x) => x.waiter === pid && x.waitsOn === next)!;
        const unread = w.unread
          .filter((m) => m.from === next)
          .map((m) => typeOf(m.msg))
          .filter((x) => x !== undefined);
        return `${nameOf(trace, pid)} waits for ${nameOf(trace, next)} (since t=${w.request.t}${unread.length > 0 ? `; ${nameOf(trace, next)}'s ${unread[0]} waits unread in its mailbox` : ''})`;
      })
      .join(' → ') + ` → ${nameOf(trace, cycle[0]!)}`
  );
}

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
    const trace = await s.trace();
    const waits = waitsFor(trace).filter((w) => bank.accounts.some((a) => a.ref.pid === w.waiter));
    const cycle = waitCycle(waits);
    const why = cycle
      ? [
          `At t=${start + budget} the accounts wait for each other in a cycle: ${describeCycle(trace, waits, cycle)}.`,
          "Each waits for an answer from the next, which is waiting too, and none takes the credits that sit in its own mailbox: a message-passing deadlock. An account that waits for its partner inside a handler (a blocking ask) cannot serve that partner's credit. Keep a transfer in progress in the account's state and go on serving messages.",
        ]
      : waits.length > 0
        ? [
            `At t=${start + budget}: ${waits
              .slice(0, 4)
              .map(
                (w) =>
                  `${nameOf(trace, w.waiter)} waits for an answer from ${nameOf(trace, w.waitsOn)} (its ${typeOf(w.request.msg) ?? 'request'} of t=${w.request.t})`,
              )
              .join('; ')}.`,
          ]
        : [];
    ctx.fail(
      [
        `${shape}: ${missing.length} of ${plan.length} transfers had no reply ${budget} ms after they were all sent at t=${start} (timeoutMs is far longer; the network is reliable, with 1..5 ms latency).`,
        ...why,
        ...missing.slice(0, 5).map((p) => `  ${tell(all.get(p.tx)!)}`),
      ].join('\n'),
    );
  }
  const failed = plan.filter((p) => replies.get(p.tx)![0]!.type !== 'transferred');
  if (failed.length > 0) {
    const all = await stories(bank, plan);
    ctx.fail(
      [
        `${shape}: ${failed.length} of ${plan.length} transfers failed although every account could afford them and the network is reliable:`,
        ...failed.slice(0, 5).map((p) => `  ${tell(all.get(p.tx)!)}`),
      ].join('\n'),
    );
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
      const a = bank.accounts[2 * k]!,
        b = bank.accounts[2 * k + 1]!;
      plan.push({ tx: `r${round}-${a.name}-to-${b.name}`, from: a.name, to: b.name, amount: 1 + ctx.random.int(50), at: 0 });
      plan.push({ tx: `r${round}-${b.name}-to-${a.name}`, from: b.name, to: a.name, amount: 1 + ctx.random.int(50), at: 0 });
    }
  }
  await allAtOnce(
    ctx,
    bank,
    plan,
    250,
    `${plan.length} transfers in opposite directions between ${pairs} pairs of accounts (acc-0 ⇄ acc-1, …), all sent at once`,
  );
});

t.property('bank.cycle', 'a cycle of transfers A → B → C → … → A sent at the same moment all finish quickly', async (ctx: PropertyContext) => {
  const n = 3 + ctx.random.int(4);
  const bank = await openBank(ctx, { balances: Array.from({ length: n }, () => 300), kernels: 4, retryMs: 1000, timeoutMs: 5000 });
  const plan: Planned[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < n; i++) {
      const a = bank.accounts[i]!,
        b = bank.accounts[(i + 1) % n]!;
      plan.push({ tx: `c${round}-${a.name}`, from: a.name, to: b.name, amount: 1 + ctx.random.int(40), at: 0 });
    }
  }
  // and a few at random on top, across the cycle
  for (let i = 0; i < n; i++) {
    const a = pick(ctx, bank.accounts);
    const b = pick(
      ctx,
      bank.accounts.filter((x) => x !== a),
    );
    plan.push({ tx: `x-${i}`, from: a.name, to: b.name, amount: 1 + ctx.random.int(20), at: 0 });
  }
  await allAtOnce(
    ctx,
    bank,
    plan,
    250,
    `${plan.length} transfers around a cycle of ${n} accounts (${bank.accounts.map((a) => a.name).join(' → ')} → acc-0), all sent at once`,
  );
});
