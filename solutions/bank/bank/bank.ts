// Reference solution for the bank exercise.
//
// An account is a state machine driven by its mailbox. It never waits for another account
// inside a handler: a transfer in progress is a record in its state (`pending`), and the
// answers to it (credited, or the retry/timeout tick) are just more messages. So two
// accounts sending each other money at the same moment both keep serving each other's
// credit requests, and nothing can deadlock.
import type { Context, Ref, TimerRef } from '#runtime';
import type {
  AccountConfig,
  AccountMsg,
  AuditorConfig,
  AuditorMsg,
  Credit,
  Credited,
  Frozen,
  InsufficientFunds,
  Snapshot,
  Statement,
  TransferReply,
} from '#exercises/bank/protocol';

/** A timer message an account sends itself for each transfer in progress. */
type Tick = { type: 'tick'; tx: string };
type Msg = AccountMsg | Tick;

/** An outgoing transfer that has reserved its money and waits for the destination. */
interface Pending {
  readonly to: Ref<AccountMsg>;
  readonly amount: number;
  readonly deadline: number;
  /** Everyone who asked about this transfer (the first request and any retries) and waits for the outcome. */
  readonly waiters: Ref<TransferReply>[];
  /** The next tick: resend Credit, or abort once the deadline has passed. */
  timer?: TimerRef;
}

/** Requests that start something new: they wait in the mailbox while the account is frozen. */
const startsSomething = (m: Msg) => m.type === 'deposit' || m.type === 'withdraw' || m.type === 'transfer';

export function startAccount(self: Context<never>, config: AccountConfig): Ref<AccountMsg> {
  const { name, retryMs, timeoutMs } = config;
  const account = self.spawn<Msg>(
    async (me) => {
      let balance = config.balance;
      const pending = new Map<string, Pending>();
      /** Outcomes of this account's finished transfers, by id: a retry gets the same answer. */
      const outcomes = new Map<string, TransferReply>();
      /** Incoming transfers already added to the balance, by id: a duplicate credit adds nothing. */
      const credited = new Set<string>();
      /** The audit this account is frozen for, if any, and whether Frozen has been sent. */
      let freeze: { audit: string; replyTo: Ref<Frozen>; told: boolean } | undefined;

      const reserved = () => [...pending.values()].reduce((sum, p) => sum + p.amount, 0);
      const statement = (): Statement => ({ type: 'statement', account: name, balance, reserved: reserved(), pending: [...pending.keys()] });

      const sendCredit = (tx: string, p: Pending) => {
        me.send<Credit>(p.to, { type: 'credit', tx, amount: p.amount, from: me.ref as Ref<Credited> });
        p.timer = me.setTimer(Math.max(1, Math.min(retryMs, p.deadline - me.now())), { type: 'tick', tx });
      };

      const tellFrozenIfDrained = () => {
        if (freeze && !freeze.told && pending.size === 0) {
          me.send<Frozen>(freeze.replyTo, { type: 'frozen', audit: freeze.audit, account: name });
          freeze.told = true;
        }
      };

      /** Ends transfer `tx` (commit or abort): records the outcome and answers everyone waiting. */
      const finish = (tx: string, p: Pending, outcome: TransferReply) => {
        pending.delete(tx);
        if (p.timer) me.cancelTimer(p.timer);
        outcomes.set(tx, outcome);
        for (const w of p.waiters) me.send(w, outcome);
        tellFrozenIfDrained();
      };

      for (;;) {
        // Selective receive: while frozen, requests that start something new stay in the mailbox.
        const msg: Msg = freeze ? await me.receive((m: Msg) => !startsSomething(m)) : await me.receive();
        switch (msg.type) {
          case 'balance':
            me.send(msg.replyTo, statement());
            break;

          case 'deposit':
            balance += msg.amount;
            me.send(msg.replyTo, statement());
            break;

          case 'withdraw':
            if (msg.amount > balance) {
              me.send<InsufficientFunds>(msg.replyTo, { type: 'insufficient-funds', account: name, balance, amount: msg.amount });
            } else {
              balance -= msg.amount;
              me.send(msg.replyTo, statement());
            }
            break;

          case 'transfer': {
            const done = outcomes.get(msg.tx);
            if (done) {
              me.send(msg.replyTo, done); // a retry of a finished transfer: the same answer again
              break;
            }
            const running = pending.get(msg.tx);
            if (running) {
              running.waiters.push(msg.replyTo); // a retry while it runs: answer it when it ends
              break;
            }
            if (msg.amount > balance) {
              const failed: TransferReply = { type: 'transfer-failed', tx: msg.tx, reason: 'insufficient-funds' };
              outcomes.set(msg.tx, failed);
              me.send(msg.replyTo, failed);
              break;
            }
            // Reserve: the money leaves the balance but is still this account's until commit.
            balance -= msg.amount;
            const p: Pending = { to: msg.to, amount: msg.amount, deadline: me.now() + timeoutMs, waiters: [msg.replyTo] };
            pending.set(msg.tx, p);
            sendCredit(msg.tx, p);
            break;
          }

          case 'credit':
            if (!credited.has(msg.tx)) {
              credited.add(msg.tx);
              balance += msg.amount;
            }
            me.send<Credited>(msg.from, { type: 'credited', tx: msg.tx }); // every time: the last answer may have been lost
            break;

          case 'credited': {
            // Commit: the reservation is spent. A duplicate (the transfer already ended) changes nothing.
            const p = pending.get(msg.tx);
            if (p) finish(msg.tx, p, { type: 'transferred', tx: msg.tx });
            break;
          }

          case 'tick': {
            const p = pending.get(msg.tx);
            if (!p) break;
            if (me.now() >= p.deadline) {
              // Abort: release the reservation; the destination never answered.
              balance += p.amount;
              finish(msg.tx, p, { type: 'transfer-failed', tx: msg.tx, reason: 'timeout' });
            } else {
              sendCredit(msg.tx, p);
            }
            break;
          }

          case 'freeze':
            // (A repeated freeze for the same audit is answered again.)
            freeze = { audit: msg.audit, replyTo: msg.replyTo, told: false };
            tellFrozenIfDrained();
            break;

          case 'thaw':
            if (freeze?.audit === msg.audit) freeze = undefined;
            break;
        }
      }
    },
    { name },
  );
  return account;
}

export function startAuditor(self: Context<never>, config: AuditorConfig): Ref<AuditorMsg> {
  const { accounts } = config;
  return self.spawn<AuditorMsg>(
    async (me) => {
      let audits = 0;
      for (;;) {
        const request = await me.receive({ type: 'audit' });
        const audit = `audit-${++audits}`;
        let snapshot: Snapshot | undefined;
        try {
          // 1. Freeze every account and wait until each has no transfer of its own in flight.
          //    Then no money is on its way anywhere, and no new transfer can start.
          await Promise.all(accounts.map((a) => me.ask<Frozen>(a, (replyTo) => ({ type: 'freeze', audit, replyTo }), { timeout: 60_000 })));
          // 2. Read every balance: nothing moves between the reads.
          const statements = await Promise.all(accounts.map((a) => me.ask<Statement>(a, (replyTo) => ({ type: 'balance', replyTo }), { timeout: 60_000 })));
          snapshot = {
            type: 'snapshot',
            accounts: statements.map((s) => ({ account: s.account, balance: s.balance, reserved: s.reserved })),
          };
        } finally {
          // 3. Let everyone go on, whatever happened.
          for (const a of accounts) me.send(a, { type: 'thaw', audit });
        }
        me.send(request.replyTo, snapshot);
      }
    },
    { name: 'auditor' },
  );
}
