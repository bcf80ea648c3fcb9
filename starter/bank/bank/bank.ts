// The bank exercise: accounts as processes, transfers by protocol, an audit without locks.
// Read exercises/bank/README.md first: it gives the protocol step by step.
// Run the public tests with `npm test -- bank`.
import type { Context, Ref, TimerRef } from '#runtime';
import type { AccountConfig, AccountMsg, AuditorConfig, AuditorMsg, Statement, TransferReply } from '#exercises/bank/protocol';

/**
 * Messages an account sends itself (with `me.setTimer(ms, message)`): add your own here,
 * for example a tick that says "resend the credit for transfer tx, or give up on it".
 */
type Tick = { type: 'tick'; tx: string };
type Msg = AccountMsg | Tick;

/** What an account remembers about one of its own transfers while it is in progress. */
interface Pending {
  readonly to: Ref<AccountMsg>;
  readonly amount: number;
  /** Everyone waiting for this transfer's outcome (the first request, and retries). */
  readonly waiters: Ref<TransferReply>[];
  timer?: TimerRef;
}

export function startAccount(self: Context<never>, config: AccountConfig): Ref<AccountMsg> {
  const { name } = config;
  const account = self.spawn<Msg>(
    async (me) => {
      // The account's state lives here, in local variables of its own process: nobody else can touch it.
      let balance = config.balance;
      const pending = new Map<string, Pending>(); // my transfers in progress (their money is reserved)
      // TODO: what else must the account remember so that a retried transfer or a duplicated
      //       credit is never applied twice? (Hint: remember ids, and outcomes.)

      const reserved = () => [...pending.values()].reduce((sum, p) => sum + p.amount, 0);
      const statement = (): Statement => ({ type: 'statement', account: name, balance, reserved: reserved(), pending: [...pending.keys()] });

      for (;;) {
        // TODO: while frozen by an audit, requests that start something new (deposit, withdraw,
        //       transfer) must wait in the mailbox: receive only the other messages (selective receive).
        const msg = await me.receive();
        switch (msg.type) {
          case 'balance':
            me.send(msg.replyTo, statement());
            break;
          case 'deposit':
            // TODO: add the amount, reply with a statement.
            break;
          case 'withdraw':
            // TODO: take the amount out if the balance allows (reply with a statement),
            //       otherwise reply "insufficient-funds" and change nothing.
            break;
          case 'transfer':
            // TODO: the source's side of the protocol (README, "The transfer protocol"):
            //   - a transfer id seen before: answer as before (or when it finishes) — never run it twice;
            //   - not enough money: reply "transfer-failed" / "insufficient-funds", change nothing;
            //   - otherwise reserve the money, send "credit" to the destination, and set a timer
            //     (me.setTimer) to resend it every config.retryMs, giving up after config.timeoutMs.
            //   Do NOT wait for the answer here (no `await me.ask(...)`): keep serving messages.
            break;
          case 'credit':
            // TODO: the destination's side: add the amount the first time this tx arrives (never
            //       again), and answer "credited" to msg.from every time.
            break;
          case 'credited':
            // TODO: commit: the transfer is done; tell everyone waiting for it, exactly once.
            break;
          case 'tick':
            // TODO: resend the credit, or (deadline passed) abort: release the reservation and
            //       reply "transfer-failed" / "timeout".
            break;
          case 'freeze':
            // TODO: remember the audit; reply "frozen" once no transfer of yours is in progress.
            break;
          case 'thaw':
            // TODO: the audit is over: handle the requests that waited.
            break;
        }
      }
    },
    { name },
  );
  return account;
}

export function startAuditor(self: Context<never>, config: AuditorConfig): Ref<AuditorMsg> {
  return self.spawn<AuditorMsg>(
    async (me) => {
      for (;;) {
        const request = await me.receive({ type: 'audit' });
        // TODO: 1. freeze every account in config.accounts and wait until each one says "frozen";
        //       2. read every balance ("balance" → "statement");
        //       3. thaw every account;
        //       4. reply to request.replyTo with one "snapshot".
        void request;
      }
    },
    { name: 'auditor' },
  );
}
