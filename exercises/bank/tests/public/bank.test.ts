// Public tests for the bank exercise: run them with `npm test -- bank`.
import type { Ref } from '#runtime';
import { exerciseTests, type PropertyContext } from '#harness';
import { protocol, type Credit, type InsufficientFunds, type Snapshot, type Statement, type TransferReply } from '../../protocol.ts';
import { isNoReply, openBank, snapshotSum, statementOf, type Bank } from './bank-kit.ts';

const t = exerciseTests(import.meta.url, protocol);

/** Sends a request to an account and waits for its one reply (in the test's mailbox). */
async function request<R>(ctx: PropertyContext, bank: Bank, to: Ref, msg: Record<string, unknown>, what: string, timeout = 1000): Promise<R> {
  try {
    return await bank.s.ask<R>(to, (replyTo) => ({ ...msg, replyTo }), { timeout });
  } catch (err) {
    if (!isNoReply(err)) throw err;
    ctx.fail(
      `no reply to ${what} within ${timeout} ms: every request gets exactly one reply, sent to its replyTo (${EXPECTED[String(msg.type)] ?? 'see protocol.ts'})`,
    );
  }
}

const EXPECTED: Record<string, string> = {
  deposit: 'a deposit is answered with a "statement"',
  withdraw: 'a withdraw is answered with a "statement", or "insufficient-funds"',
  transfer: 'a transfer is answered with "transferred" or "transfer-failed", once it has finished',
};

t.property('bank.account-ops', 'an account answers deposit, withdraw and balance like a sequential account', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, { balances: [100, 20], kernels: 2, retryMs: 50, timeoutMs: 1000 });
  for (const acc of bank.accounts) {
    let balance = acc.opening;
    const first = await statementOf(ctx, bank, acc);
    ctx.check(
      first.balance === balance && first.reserved === 0,
      `a new account opened with ${balance} reported ${JSON.stringify(first)}; expected balance ${balance}, reserved 0`,
    );
    for (let i = 0; i < 12; i++) {
      const amount = 1 + ctx.random.int(60);
      if (ctx.random.int(2) === 0) {
        const r = await request<Statement>(ctx, bank, acc.ref, { type: 'deposit', amount }, `deposit ${amount} at ${acc.name}`);
        balance += amount;
        ctx.check(
          r.type === 'statement' && r.balance === balance && r.reserved === 0 && r.account === acc.name,
          `after depositing ${amount} at ${acc.name} the reply was ${JSON.stringify(r)}; expected { type: "statement", account: "${acc.name}", balance: ${balance}, reserved: 0 }`,
        );
      } else {
        const r = await request<Statement | InsufficientFunds>(ctx, bank, acc.ref, { type: 'withdraw', amount }, `withdraw ${amount} at ${acc.name}`);
        if (amount > balance) {
          ctx.check(
            r.type === 'insufficient-funds' && r.balance === balance && r.amount === amount,
            `withdrawing ${amount} from ${acc.name}, which holds ${balance}, got ${JSON.stringify(r)}; expected { type: "insufficient-funds", account: "${acc.name}", balance: ${balance}, amount: ${amount} } and no change`,
          );
        } else {
          balance -= amount;
          ctx.check(
            r.type === 'statement' && r.balance === balance && r.reserved === 0,
            `after withdrawing ${amount} from ${acc.name} the reply was ${JSON.stringify(r)}; expected a statement with balance ${balance}, reserved 0`,
          );
        }
      }
    }
    const last = await statementOf(ctx, bank, acc);
    ctx.check(last.balance === balance, `${acc.name} reported a balance of ${last.balance} at the end; expected ${balance}`);
  }
});

t.property(
  'bank.transfer-one',
  'one transfer between accounts on different kernels moves the money once, even when the client asks twice',
  async (ctx: PropertyContext) => {
    const bank = await openBank(ctx, { balances: [100, 50], kernels: 3, place: (i) => i + 1, retryMs: 50, timeoutMs: 1000 });
    const [a, b] = bank.accounts as [(typeof bank.accounts)[0], (typeof bank.accounts)[0]];
    const transfer = { type: 'transfer', tx: 't-1', to: b.ref, amount: 40 };
    const r = await request<TransferReply>(ctx, bank, a.ref, transfer, 'transfer t-1 (acc-0 → acc-1, 40)');
    ctx.check(
      r.type === 'transferred' && r.tx === 't-1',
      `transfer t-1 (acc-0 → acc-1, 40) got ${JSON.stringify(r)}; expected { type: "transferred", tx: "t-1" } (acc-0 holds 100)`,
    );
    const sa = await statementOf(ctx, bank, a),
      sb = await statementOf(ctx, bank, b);
    ctx.check(
      sa.balance === 60 && sa.reserved === 0,
      `after t-1, acc-0 reports balance ${sa.balance}, reserved ${sa.reserved}; expected 60 and 0 (100 − 40, and the reservation committed)`,
    );
    ctx.check(sb.balance === 90 && sb.reserved === 0, `after t-1, acc-1 reports balance ${sb.balance}, reserved ${sb.reserved}; expected 90 and 0 (50 + 40)`);
    // The client did not hear the reply (say) and asks again with the same id.
    const again = await request<TransferReply>(ctx, bank, a.ref, transfer, 'a retry of transfer t-1');
    ctx.check(
      again.type === 'transferred' && again.tx === 't-1',
      `a retry of t-1 (the same request again) got ${JSON.stringify(again)}; expected the same answer as the first time, { type: "transferred", tx: "t-1" }`,
    );
    const sa2 = await statementOf(ctx, bank, a),
      sb2 = await statementOf(ctx, bank, b);
    ctx.check(
      sa2.balance === 60 && sb2.balance === 90,
      `after the client asked for t-1 a second time, acc-0 holds ${sa2.balance} and acc-1 holds ${sb2.balance}; expected 60 and 90: the source must remember t-1 by its id and not move the money again`,
    );
  },
);

t.property(
  'bank.overdraft',
  'a transfer or withdraw of more than the balance fails with "insufficient-funds" and changes nothing',
  async (ctx: PropertyContext) => {
    const bank = await openBank(ctx, { balances: [50, 0], kernels: 3, place: (i) => i + 1, retryMs: 50, timeoutMs: 1000 });
    const [a, b] = bank.accounts as [(typeof bank.accounts)[0], (typeof bank.accounts)[0]];
    const r = await request<TransferReply>(ctx, bank, a.ref, { type: 'transfer', tx: 't-big', to: b.ref, amount: 80 }, 'transfer t-big (acc-0 → acc-1, 80)');
    ctx.check(
      r.type === 'transfer-failed' && r.reason === 'insufficient-funds' && r.tx === 't-big',
      `transfer t-big of 80 from acc-0, which holds 50, got ${JSON.stringify(r)}; expected { type: "transfer-failed", tx: "t-big", reason: "insufficient-funds" }`,
    );
    const sa = await statementOf(ctx, bank, a),
      sb = await statementOf(ctx, bank, b);
    ctx.check(
      sa.balance === 50 && sa.reserved === 0,
      `after the refused transfer t-big, acc-0 reports balance ${sa.balance}, reserved ${sa.reserved}; expected 50 and 0: check the funds before taking any money`,
    );
    ctx.check(sb.balance === 0, `after the refused transfer t-big, acc-1 reports balance ${sb.balance}; expected 0`);
    const trace = await bank.s.trace();
    const credits = trace.events.filter((e) => e.kind === 'send' && (e.msg as Credit | undefined)?.type === 'credit' && (e.msg as Credit).tx === 't-big');
    ctx.check(
      credits.length === 0,
      `acc-0 sent "credit" for t-big ${credits.length} times although it did not have the money: refuse before starting the protocol`,
    );
    const w = await request<Statement | InsufficientFunds>(ctx, bank, a.ref, { type: 'withdraw', amount: 51 }, 'withdraw 51 at acc-0');
    ctx.check(
      w.type === 'insufficient-funds' && w.balance === 50,
      `withdrawing 51 from acc-0, which holds 50, got ${JSON.stringify(w)}; expected { type: "insufficient-funds", account: "acc-0", balance: 50, amount: 51 }`,
    );
    const all = await request<TransferReply>(ctx, bank, a.ref, { type: 'transfer', tx: 't-all', to: b.ref, amount: 50 }, 'transfer t-all (acc-0 → acc-1, 50)');
    ctx.check(
      all.type === 'transferred',
      `transfer t-all of exactly the whole balance (50) got ${JSON.stringify(all)}; expected "transferred": an account may be emptied to 0`,
    );
    const sa2 = await statementOf(ctx, bank, a);
    ctx.check(sa2.balance === 0 && sa2.reserved === 0, `after t-all, acc-0 reports balance ${sa2.balance}, reserved ${sa2.reserved}; expected 0 and 0`);
  },
);

t.property(
  'bank.partner-silent',
  'a transfer whose destination never answers is aborted after timeoutMs and its reservation released',
  async (ctx: PropertyContext) => {
    const retryMs = 50,
      timeoutMs = 400;
    const bank = await openBank(ctx, { balances: [100], kernels: 2, place: () => 1, retryMs, timeoutMs });
    const a = bank.accounts[0]!;
    const { s } = bank;
    // The "destination" is the test itself, which never answers.
    await s.send(a.ref, { type: 'transfer', tx: 't-void', to: s.self, amount: 30, replyTo: s.self });
    const credit = await s.receive<Credit>({ type: 'credit' }, { timeout: 100 });
    ctx.check(
      credit !== undefined,
      'the destination never got a "credit" message for t-void: after reserving, the source sends { type: "credit", tx, amount, from } to the destination',
    );
    ctx.check(credit.tx === 't-void' && credit.amount === 30, `the destination got ${JSON.stringify(credit)}; expected a credit for tx "t-void" of 30`);
    await s.advance(150);
    const during = await statementOf(ctx, bank, a, ' while t-void was in progress', 100);
    ctx.check(
      during.balance === 70 && during.reserved === 30 && during.pending.join() === 't-void',
      `while t-void (30) waited for its destination, acc-0 reported balance ${during.balance}, reserved ${during.reserved}, pending ${JSON.stringify(during.pending)}; expected 70, 30 and ["t-void"] (the money is reserved, not gone)`,
    );
    const reply = await s.receive<TransferReply>((m: TransferReply) => m.type === 'transferred' || m.type === 'transfer-failed', {
      timeout: timeoutMs + 2 * retryMs + 200,
    });
    ctx.check(
      reply !== undefined,
      `no reply to t-void within ${timeoutMs + 2 * retryMs + 200} ms although timeoutMs is ${timeoutMs}: when the destination does not answer in time, abort and reply { type: "transfer-failed", reason: "timeout" }`,
    );
    ctx.check(
      reply.type === 'transfer-failed' && reply.reason === 'timeout',
      `t-void got ${JSON.stringify(reply)}; its destination never answered, so expected { type: "transfer-failed", tx: "t-void", reason: "timeout" }`,
    );
    const trace = await s.trace();
    const at = trace.events.find((e) => e.kind === 'send' && (e.msg as TransferReply)?.type === 'transfer-failed')?.t ?? -1;
    ctx.check(at >= timeoutMs && at <= timeoutMs + retryMs + 10, `t-void was aborted at t=${at} ms; expected soon after timeoutMs (${timeoutMs} ms)`);
    const after = await statementOf(ctx, bank, a, ' after t-void was aborted');
    ctx.check(
      after.balance === 100 && after.reserved === 0 && after.pending.length === 0,
      `after t-void was aborted, acc-0 reported balance ${after.balance}, reserved ${after.reserved}, pending ${JSON.stringify(after.pending)}; expected 100, 0 and []: an abort releases the reservation`,
    );
    const resent = trace.events.filter((e) => e.kind === 'send' && (e.msg as Credit)?.type === 'credit').length;
    ctx.check(
      resent >= 3,
      `the source sent "credit" for t-void only ${resent} time(s) in ${timeoutMs} ms; with retryMs = ${retryMs} it should send it again every ${retryMs} ms until answered (messages can be lost)`,
    );
    await s.advance(1000);
    const late = (await s.trace()).events.filter((e) => e.kind === 'send' && (e.msg as Credit)?.type === 'credit' && e.t > at + 1).length;
    ctx.check(late === 0, `the source kept sending "credit" for t-void after aborting it (${late} more): stop retrying once the transfer has ended`);
  },
);

t.property('bank.audit-quiet', 'an audit of a quiet bank lists every account with its balance', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, { balances: [100, 80, 60, 40], kernels: 4, place: (i) => 1 + (i % 3), retryMs: 50, timeoutMs: 1000, auditor: true });
  const { s } = bank;
  const audit = async (when: string): Promise<Snapshot> => {
    let snap: Snapshot;
    try {
      snap = await s.ask<Snapshot>(bank.auditor!, (replyTo) => ({ type: 'audit', replyTo }), { timeout: 2000 });
    } catch (err) {
      if (!isNoReply(err)) throw err;
      ctx.fail(
        `the auditor did not answer { type: "audit" } ${when} within 2000 ms: freeze every account, read every balance, thaw them, and reply with one "snapshot"`,
      );
    }
    const names = snap.accounts.map((r) => r.account).sort();
    ctx.check(
      names.join() === 'acc-0,acc-1,acc-2,acc-3',
      `the snapshot ${when} lists ${names.length === 0 ? 'no accounts' : names.join(', ')}; expected each of acc-0, acc-1, acc-2, acc-3 once (the accounts live on other kernels: ask each of them, with messages)`,
    );
    for (const a of bank.accounts) {
      const st = await statementOf(ctx, bank, a, ` after the audit ${when}`);
      const row = snap.accounts.find((r) => r.account === a.name)!;
      ctx.check(
        row.balance === st.balance && row.reserved === st.reserved,
        `the snapshot ${when} says ${a.name} holds ${row.balance} (reserved ${row.reserved}) but ${a.name} itself says ${st.balance} (reserved ${st.reserved}); nothing moved in between`,
      );
    }
    ctx.check(snapshotSum(snap) === bank.total, `the snapshot ${when} sums to ${snapshotSum(snap)} (balances + reservations); expected ${bank.total}`);
    return snap;
  };
  const first = await audit('of the new bank');
  for (const a of bank.accounts) {
    const row = first.accounts.find((r) => r.account === a.name)!;
    ctx.check(
      row.balance === a.opening && row.reserved === 0,
      `the first snapshot says ${a.name} holds ${row.balance} (reserved ${row.reserved}); it opened with ${a.opening} and nothing has happened yet`,
    );
  }
  const deposit = await request<Statement>(ctx, bank, bank.accounts[0]!.ref, { type: 'deposit', amount: 1 }, 'a deposit after the first audit');
  ctx.check(
    deposit.type === 'statement',
    `a deposit after the audit got ${JSON.stringify(deposit)}; expected a statement: the audit must thaw every account when it is done`,
  );
  const withdraw = await request<Statement>(ctx, bank, bank.accounts[0]!.ref, { type: 'withdraw', amount: 1 }, 'a withdraw after the first audit');
  ctx.check(withdraw.type === 'statement', `a withdraw after the audit got ${JSON.stringify(withdraw)}; expected a statement`);
  for (let i = 0; i < 4; i++) {
    const from = bank.accounts[i]!,
      to = bank.accounts[(i + 1) % 4]!;
    await request<TransferReply>(
      ctx,
      bank,
      from.ref,
      { type: 'transfer', tx: `q-${i}`, to: to.ref, amount: 10 + 5 * i },
      `transfer q-${i} (after the first audit)`,
    );
  }
  await audit('after four transfers');
});
