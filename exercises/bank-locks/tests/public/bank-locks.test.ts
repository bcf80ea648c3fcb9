// Public tests for the lock-based bank: run them with `npm test -- bank-locks`.
import { exerciseTests, type PropertyContext } from '#harness';
import { protocol, type InsufficientFunds, type Snapshot, type Statement, type TransferReply } from '../../protocol.ts';
import {
  balanceOf,
  balancesOf,
  burst,
  byTx,
  differences,
  lostUpdateNote,
  model,
  openBank,
  planTransfers,
  request,
  snapshotSum,
  transferMsg,
} from './bank-locks-kit.ts';

const t = exerciseTests(import.meta.url, protocol);

t.property('bank-locks.account-ops', 'deposit, withdraw and balance behave like a sequential account', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, [100, 20]);
  for (const name of bank.names) {
    let balance = bank.opening.get(name)!;
    ctx.check((await balanceOf(ctx, bank, name)) === balance, `a new account ${name} opened with ${balance} reported another balance`);
    for (let i = 0; i < 12; i++) {
      const amount = 1 + ctx.random.int(60);
      if (ctx.random.int(2) === 0) {
        const r = await request<Statement>(ctx, bank, { type: 'deposit', account: name, amount }, `deposit ${amount} at ${name}`);
        balance += amount;
        ctx.check(
          r.type === 'statement' && r.balance === balance && r.account === name,
          `after depositing ${amount} at ${name} the reply was ${JSON.stringify(r)}; expected { type: "statement", account: "${name}", balance: ${balance} }`,
        );
      } else {
        const r = await request<Statement | InsufficientFunds>(ctx, bank, { type: 'withdraw', account: name, amount }, `withdraw ${amount} at ${name}`);
        if (amount > balance) {
          ctx.check(
            r.type === 'insufficient-funds' && r.balance === balance && r.amount === amount,
            `withdrawing ${amount} from ${name}, which holds ${balance}, got ${JSON.stringify(r)}; expected { type: "insufficient-funds", account: "${name}", balance: ${balance}, amount: ${amount} } and no change`,
          );
        } else {
          balance -= amount;
          ctx.check(
            r.type === 'statement' && r.balance === balance,
            `after withdrawing ${amount} from ${name} the reply was ${JSON.stringify(r)}; expected a statement with balance ${balance}`,
          );
        }
      }
    }
    const last = await balanceOf(ctx, bank, name);
    ctx.check(last === balance, `${name} reported a balance of ${last} at the end; expected ${balance}`);
  }
});

t.property('bank-locks.transfer-one', 'one transfer moves the money once, even when the client asks twice', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, [100, 50]);
  const transfer = { type: 'transfer', tx: 't-1', from: 'acc-0', to: 'acc-1', amount: 40 };
  const r = await request<TransferReply>(ctx, bank, transfer, 'transfer t-1 (acc-0 → acc-1, 40)');
  ctx.check(
    r.type === 'transferred' && r.tx === 't-1',
    `transfer t-1 (acc-0 → acc-1, 40) got ${JSON.stringify(r)}; expected { type: "transferred", tx: "t-1" } (acc-0 holds 100)`,
  );
  const a = await balanceOf(ctx, bank, 'acc-0'),
    b = await balanceOf(ctx, bank, 'acc-1');
  ctx.check(a === 60 && b === 90, `after t-1, acc-0 holds ${a} and acc-1 holds ${b}; expected 60 and 90`);
  const again = await request<TransferReply>(ctx, bank, transfer, 'a retry of transfer t-1');
  ctx.check(
    again.type === 'transferred' && again.tx === 't-1',
    `a retry of t-1 (the same request again) got ${JSON.stringify(again)}; expected the same answer as the first time`,
  );
  const a2 = await balanceOf(ctx, bank, 'acc-0'),
    b2 = await balanceOf(ctx, bank, 'acc-1');
  ctx.check(
    a2 === 60 && b2 === 90,
    `after the client asked for t-1 a second time, acc-0 holds ${a2} and acc-1 holds ${b2}; expected 60 and 90: remember transfers by id and do not move the money again`,
  );
});

t.property('bank-locks.model', 'concurrent transfers leave every balance where a sequential bank would', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, [120, 80, 100, 60, 90]);
  const plan = planTransfers(ctx.random, bank.names, 60, 25);
  const replies = byTx(await burst(ctx, bank, plan.map(transferMsg), '60 concurrent transfers'));
  const acknowledged = new Set([...replies].filter(([, rs]) => rs[0]!.type === 'transferred').map(([tx]) => tx));
  ctx.check(
    acknowledged.size >= plan.length / 2,
    `only ${acknowledged.size} of ${plan.length} transfers went through although every account started with at least 60 and each transfer moves at most 25`,
  );
  const actual = await balancesOf(ctx, bank, ' after the transfers');
  const expected = model(bank, plan, acknowledged);
  const diff = differences(actual, expected);
  if (diff !== '')
    ctx.fail(
      `after ${plan.length} concurrent transfers (${acknowledged.size} acknowledged), ${diff}: a sequential bank applying exactly the acknowledged transfers would hold that.${await lostUpdateNote(bank)}`,
    );
});

t.property(
  'bank-locks.overdraft',
  'a transfer or withdraw of more than the balance fails, changes nothing, and leaves the account usable',
  async (ctx: PropertyContext) => {
    const bank = await openBank(ctx, [50, 0]);
    const r = await request<TransferReply>(
      ctx,
      bank,
      { type: 'transfer', tx: 't-big', from: 'acc-0', to: 'acc-1', amount: 80 },
      'transfer t-big (acc-0 → acc-1, 80)',
    );
    ctx.check(
      r.type === 'transfer-failed' && r.reason === 'insufficient-funds' && r.tx === 't-big',
      `transfer t-big of 80 from acc-0, which holds 50, got ${JSON.stringify(r)}; expected { type: "transfer-failed", tx: "t-big", reason: "insufficient-funds" }`,
    );
    const w = await request<Statement | InsufficientFunds>(
      ctx,
      bank,
      { type: 'withdraw', account: 'acc-0', amount: 51 },
      'withdraw 51 at acc-0 (after a refused transfer)',
    );
    ctx.check(
      w.type === 'insufficient-funds' && w.balance === 50,
      `withdrawing 51 from acc-0, which holds 50, got ${JSON.stringify(w)}; expected insufficient-funds with balance 50`,
    );
    const a = await balanceOf(ctx, bank, 'acc-0', ' after two refusals'),
      b = await balanceOf(ctx, bank, 'acc-1', ' after two refusals');
    ctx.check(a === 50 && b === 0, `after the refused transfer and withdraw, acc-0 holds ${a} and acc-1 holds ${b}; expected 50 and 0`);
    const d = await request<Statement>(ctx, bank, { type: 'deposit', account: 'acc-1', amount: 5 }, 'a deposit at acc-1 after the refusals');
    ctx.check(d.type === 'statement' && d.balance === 5, `a deposit of 5 at acc-1 got ${JSON.stringify(d)}; expected a statement with balance 5`);
    const all = await request<TransferReply>(
      ctx,
      bank,
      { type: 'transfer', tx: 't-all', from: 'acc-0', to: 'acc-1', amount: 50 },
      'transfer t-all (acc-0 → acc-1, 50) after the refusals',
    );
    ctx.check(
      all.type === 'transferred',
      `transfer t-all of exactly the whole balance (50) got ${JSON.stringify(all)}; expected "transferred": an account may be emptied to 0`,
    );
    const a2 = await balanceOf(ctx, bank, 'acc-0'),
      b2 = await balanceOf(ctx, bank, 'acc-1');
    ctx.check(a2 === 0 && b2 === 55, `after t-all, acc-0 holds ${a2} and acc-1 holds ${b2}; expected 0 and 55`);
  },
);

t.property(
  'bank-locks.never-negative',
  'withdraws and transfers that each fit, but not together, never take a balance below zero',
  async (ctx: PropertyContext) => {
    // Rounds: acc-0 holds 50, then six withdraws and transfers of 30 arrive at once: one fits.
    const bank = await openBank(ctx, [50, 0]);
    let total = 0;
    for (let round = 1; round <= 20; round++) {
      const before = await balanceOf(ctx, bank, 'acc-0', ` before round ${round}`);
      if (before < 50) {
        const d = await request<Statement>(
          ctx,
          bank,
          { type: 'deposit', account: 'acc-0', amount: 50 - before },
          `a deposit of ${50 - before} at acc-0 before round ${round}`,
        );
        ctx.check(
          d.type === 'statement' && d.balance === 50,
          `a deposit of ${50 - before} at acc-0, which held ${before}, got ${JSON.stringify(d)}; expected a statement with balance 50`,
        );
      }
      const requests: Record<string, unknown>[] = [];
      for (let i = 0; i < 6; i++) {
        requests.push(
          ctx.random.int(2) === 0
            ? { type: 'withdraw', account: 'acc-0', amount: 30 }
            : { type: 'transfer', tx: `n-${round}-${i}`, from: 'acc-0', to: 'acc-1', amount: 30 },
        );
      }
      const replies = await burst(ctx, bank, requests, `round ${round}: six withdraws and transfers of 30 from acc-0 (50), all at once`);
      const ok = replies.filter((m) => (m as { type: string }).type === 'statement' || (m as { type: string }).type === 'transferred').length;
      total += ok;
      const a = await balanceOf(ctx, bank, 'acc-0', ` after round ${round}`);
      if (a < 0 || ok > 1) {
        ctx.fail(
          `round ${round}: acc-0 held 50, six withdraws and transfers of 30 arrived at once, ${ok} went through although only one fits, and acc-0 now holds ${a}. Check the balance and take the money in one step while holding the account's lock.${await lostUpdateNote(bank)}`,
        );
      }
      ctx.check(
        a === 50 - 30 * ok,
        `round ${round}: acc-0 held 50, ${ok} withdraw or transfer of 30 went through, and it holds ${a}; expected ${50 - 30 * ok}`,
      );
    }
    ctx.check(total >= 1, 'in twenty rounds, no withdraw or transfer of 30 went through from acc-0 holding 50');
  },
);

t.property('bank-locks.audit-quiet', 'an audit of a quiet bank lists every account with its balance', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, [100, 80, 60, 40]);
  const audit = async (when: string): Promise<Snapshot> => {
    const snap = await request<Snapshot>(ctx, bank, { type: 'audit' }, `an audit ${when}`, 2000);
    const names = snap.accounts.map((r) => r.account).sort();
    ctx.check(
      names.join() === bank.names.join(),
      `the snapshot ${when} lists ${names.length === 0 ? 'no accounts' : names.join(', ')}; expected each of ${bank.names.join(', ')} once`,
    );
    for (const n of bank.names) {
      const b = await balanceOf(ctx, bank, n, ` after the audit ${when}`);
      const row = snap.accounts.find((r) => r.account === n)!;
      ctx.check(row.balance === b, `the snapshot ${when} says ${n} holds ${row.balance} but ${n} itself says ${b}; nothing moved in between`);
    }
    ctx.check(snapshotSum(snap) === bank.total, `the snapshot ${when} sums to ${snapshotSum(snap)}; expected ${bank.total}`);
    return snap;
  };
  await audit('of the new bank');
  for (let i = 0; i < 4; i++) {
    await request<TransferReply>(
      ctx,
      bank,
      { type: 'transfer', tx: `q-${i}`, from: bank.names[i]!, to: bank.names[(i + 1) % 4]!, amount: 10 + 5 * i },
      `transfer q-${i}`,
    );
  }
  const d = await request<Statement>(ctx, bank, { type: 'deposit', account: 'acc-0', amount: 1 }, 'a deposit after the first audit');
  ctx.check(
    d.type === 'statement',
    `a deposit after the audit got ${JSON.stringify(d)}; expected a statement: the audit must release every lock when it is done`,
  );
  await request<Statement>(ctx, bank, { type: 'withdraw', account: 'acc-0', amount: 1 }, 'a withdraw after the first audit');
  await audit('after four transfers');
});

t.property('bank-locks.audit-consistent', 'every audit taken while transfers run adds up to the money in the bank', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, [100, 100, 100, 100, 100]);
  const plan = planTransfers(ctx.random, bank.names, 40, 30, 'a');
  const requests: Record<string, unknown>[] = plan.map(transferMsg);
  for (let k = 0; k < 6; k++) requests.splice(5 + k * 6, 0, { type: 'audit' });
  const replies = await burst(ctx, bank, requests, '40 transfers and 6 audits, all at once');
  const snaps = replies.filter((m): m is Snapshot => (m as Snapshot).type === 'snapshot');
  ctx.check(snaps.length === 6, `6 audits got ${snaps.length} snapshots`);
  ctx.check(
    byTx(replies).size === plan.length && [...byTx(replies).values()].some((rs) => rs[0]!.type === 'transferred'),
    'the transfers did not go through: an audit needs something to be consistent with',
  );
  for (const [i, snap] of snaps.entries()) {
    const names = snap.accounts.map((r) => r.account).sort();
    ctx.check(
      names.join() === bank.names.join(),
      `snapshot ${i + 1} lists ${names.join(', ') || 'no accounts'}; expected each of ${bank.names.join(', ')} once`,
    );
    ctx.check(
      snapshotSum(snap) === bank.total,
      `snapshot ${i + 1} of 6 sums to ${snapshotSum(snap)}; expected ${bank.total}: it read some accounts before a transfer moved money between them and others after. Hold every account still while reading (all the locks, in the same order as the transfers), or keep transfers out while an audit reads. ${JSON.stringify(snap.accounts)}`,
    );
  }
});
