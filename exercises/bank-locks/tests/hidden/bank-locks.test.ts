// Hidden tests for the lock-based bank: conservation, lost updates, exactly-once retries, deadlock.
import { exerciseTests, type PropertyContext } from '#harness';
import { protocol, type Snapshot, type TransferReply } from '../../protocol.ts';
import {
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
  type Planned,
} from '../public/bank-locks-kit.ts';

const t = exerciseTests(import.meta.url, protocol);

const typeOf = (m: unknown): string => (m as { type?: string }).type ?? '';

t.property('bank-locks.conservation', 'after concurrent transfers, deposits and withdraws, the money adds up', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, [100, 100, 100, 100, 100]);
  const plan = planTransfers(ctx.random, bank.names, 40, 30, 'c');
  const requests: Record<string, unknown>[] = plan.map(transferMsg);
  let deposited = 0;
  const W = 7;
  for (let i = 0; i < 10; i++) {
    const d = 1 + ctx.random.int(20);
    deposited += d;
    requests.splice(ctx.random.int(requests.length + 1), 0, { type: 'deposit', account: bank.names[ctx.random.int(5)]!, amount: d });
    requests.splice(ctx.random.int(requests.length + 1), 0, { type: 'withdraw', account: bank.names[ctx.random.int(5)]!, amount: W });
  }
  const replies = await burst(ctx, bank, requests, '40 transfers, 10 deposits and 10 withdraws, all at once');
  const transferred = [...byTx(replies).values()].filter((rs) => rs[0]!.type === 'transferred').length;
  ctx.check(transferred >= 20, `only ${transferred} of 40 transfers went through, with 100 in every account and at most 30 each`);
  const withdrawn = W * (replies.filter((m) => typeOf(m) === 'statement').length - 10);
  const actual = await balancesOf(ctx, bank, ' at the end');
  const sum = [...actual.values()].reduce((a, b) => a + b, 0);
  const expected = bank.total + deposited - withdrawn;
  if (sum !== expected) {
    ctx.fail(
      `the accounts hold ${sum} in all; expected ${expected} (${bank.total} at the start, ${deposited} deposited, ${withdrawn} withdrawn; transfers only move money): ${sum > expected ? 'money was created' : 'money was lost'}.${await lostUpdateNote(bank)}`,
    );
  }
});

t.property('bank-locks.lost-update', 'concurrent deposits and transfers into one account are all counted', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, [0, 200, 200, 200]);
  const requests: Record<string, unknown>[] = [];
  let expected = 0;
  for (let i = 0; i < 12; i++) {
    const d = 1 + ctx.random.int(30);
    expected += d;
    requests.push({ type: 'deposit', account: 'acc-0', amount: d });
  }
  for (let i = 0; i < 9; i++) {
    const amount = 1 + ctx.random.int(20);
    expected += amount;
    requests.splice(ctx.random.int(requests.length + 1), 0, { type: 'transfer', tx: `in-${i}`, from: `acc-${1 + (i % 3)}`, to: 'acc-0', amount });
  }
  const replies = await burst(ctx, bank, requests, '12 deposits and 9 transfers into acc-0, all at once');
  const refused = replies.filter((m) => typeOf(m) === 'transfer-failed');
  ctx.check(refused.length === 0, `${refused.length} transfers into acc-0 were refused although each source held 200 and sent at most 60 in all`);
  const actual = await balancesOf(ctx, bank, ' at the end');
  if (actual.get('acc-0') !== expected) {
    ctx.fail(
      `acc-0 started with 0, got 12 deposits and 9 transfers totalling ${expected}, and now holds ${actual.get('acc-0')}: ${actual.get('acc-0')! < expected ? 'an update was lost (a balance read before the lock was taken, or written without it)' : 'money was counted twice'}.${await lostUpdateNote(bank)}`,
    );
  }
});

t.property(
  'bank-locks.retry-concurrent',
  'a transfer asked for several times at once runs once, and every request gets the same one answer',
  async (ctx: PropertyContext) => {
    const bank = await openBank(ctx, [200, 200, 200, 200]);
    const plan = planTransfers(ctx.random, bank.names, 20, 20, 'r');
    const copies = new Map<string, number>();
    const requests: Record<string, unknown>[] = [];
    for (const p of plan) {
      const n = 2 + ctx.random.int(2);
      copies.set(p.tx, n);
      for (let k = 0; k < n; k++) requests.push(transferMsg(p));
    }
    const replies = byTx(await burst(ctx, bank, requests, `20 transfers, each asked for 2 or 3 times at once (${requests.length} requests)`));
    for (const p of plan) {
      const rs = replies.get(p.tx) ?? [];
      ctx.check(
        rs.length === copies.get(p.tx),
        `transfer ${p.tx} was asked for ${copies.get(p.tx)} times and got ${rs.length} replies; expected one per request`,
      );
      ctx.check(
        rs.every((r) => JSON.stringify(r) === JSON.stringify(rs[0])),
        `the requests for transfer ${p.tx} got different answers: ${rs.map((r) => JSON.stringify(r)).join(', ')}; a retry gets the answer of the transfer it repeats`,
      );
      ctx.check(rs[0]!.type === 'transferred', `transfer ${p.tx} got ${JSON.stringify(rs[0])}; every account held 200 and each transfer moves at most 20`);
    }
    const acknowledged = new Set(plan.map((p) => p.tx));
    const actual = await balancesOf(ctx, bank, ' at the end');
    const diff = differences(actual, model(bank, plan, acknowledged));
    if (diff !== '')
      ctx.fail(
        `after 20 transfers, each asked for 2 or 3 times at once, ${diff}: a transfer asked for again while it runs must not run a second time (claim its id under a lock before moving the money).${await lostUpdateNote(bank)}`,
      );
    const again = await request<TransferReply>(ctx, bank, transferMsg(plan[0]!), `a late retry of ${plan[0]!.tx}`);
    ctx.check(
      again.type === 'transferred' && again.tx === plan[0]!.tx,
      `a late retry of ${plan[0]!.tx} got ${JSON.stringify(again)}; expected the same answer as before`,
    );
  },
);

t.property('bank-locks.opposing', 'transfers A → B and B → A at the same moment all finish', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, [1000, 1000, 1000]);
  const plan: Planned[] = [];
  const pairs = [
    ['acc-0', 'acc-1'],
    ['acc-1', 'acc-2'],
    ['acc-2', 'acc-0'],
  ] as const;
  for (let i = 0; i < 12; i++) {
    const [a, b] = pairs[i % 3]!;
    plan.push({ tx: `o-${i}a`, from: a, to: b, amount: 1 + ctx.random.int(20) });
    plan.push({ tx: `o-${i}b`, from: b, to: a, amount: 1 + ctx.random.int(20) });
  }
  const replies = byTx(await burst(ctx, bank, plan.map(transferMsg), '12 pairs of opposite transfers (A → B and B → A), all at once'));
  const failed = plan.filter((p) => replies.get(p.tx)?.[0]?.type !== 'transferred');
  ctx.check(
    failed.length === 0,
    `${failed.length} of the opposite transfers did not go through (${failed
      .slice(0, 3)
      .map((p) => p.tx)
      .join(', ')}), with 1000 in every account`,
  );
});

t.property('bank-locks.cycle', 'cycles of transfers A → B → C → D → A, with audits among them, all finish', async (ctx: PropertyContext) => {
  const bank = await openBank(ctx, [500, 500, 500, 500]);
  const plan: Planned[] = [];
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 4; i++) plan.push({ tx: `y-${round}-${i}`, from: `acc-${i}`, to: `acc-${(i + 1) % 4}`, amount: 1 + ctx.random.int(30) });
  }
  const requests: Record<string, unknown>[] = plan.map(transferMsg);
  requests.splice(7, 0, { type: 'audit' });
  requests.splice(14, 0, { type: 'audit' });
  const replies = await burst(ctx, bank, requests, '5 rounds of the cycle acc-0 → acc-1 → acc-2 → acc-3 → acc-0, and 2 audits, all at once');
  const txs = byTx(replies);
  const failed = plan.filter((p) => txs.get(p.tx)?.[0]?.type !== 'transferred');
  ctx.check(
    failed.length === 0,
    `${failed.length} of the transfers in the cycles did not go through (${failed
      .slice(0, 3)
      .map((p) => p.tx)
      .join(', ')}), with 500 in every account`,
  );
  const snaps = replies.filter((m): m is Snapshot => typeOf(m) === 'snapshot');
  ctx.check(
    snaps.length === 2 && snaps.every((s) => snapshotSum(s) === bank.total),
    `the audits among the cycles answered ${JSON.stringify(snaps.map(snapshotSum))}; expected two snapshots summing to ${bank.total}`,
  );
});
