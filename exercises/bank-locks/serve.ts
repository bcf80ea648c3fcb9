// The bank process of the lock-based bank (kit code: import it as '#exercises/bank-locks/serve').
// It receives every request and runs it as its own task, a process named after the request
// ("transfer t-3 #14"), concurrently with the others: like a server with a thread per request.
// The task calls your operation and sends what it returns as the reply. Your operations share
// the state that `open` built; the tasks interleave at every lock operation and await, as the
// seeded scheduler decides, so a race or a deadlock replays exactly from its seed.
//
// It also answers the tests' `inspect` with what the tasks did to shared memory (who locked
// what, who waits for what, reads and writes of `shared(...)` objects): failure reports name
// the cycle of a deadlock and the tasks of a lost update from it.
import { SharedMemory, type Context, type Ref } from '#runtime';
import type { BankConfig, BankMsg, BankOps, Memory } from './protocol.ts';

function taskName(req: Exclude<BankMsg, { type: 'inspect' }>, n: number): string {
  switch (req.type) {
    case 'transfer':
      return `transfer ${req.tx} #${n}`;
    case 'audit':
      return `audit #${n}`;
    default:
      return `${req.type} ${req.account} #${n}`;
  }
}

/** Makes the `startBank` entry point from your operations. */
export function serveBank<B>(ops: BankOps<B>): (self: Context<never>, config: BankConfig) => Ref<BankMsg> {
  return (self, config) => {
    const memory = new SharedMemory();
    const bank = ops.open(config);
    return self.spawn<BankMsg>(
      async (me) => {
        for (let n = 1; ; n++) {
          const req = await me.receive();
          if (req.type === 'inspect') {
            memory.sweep();
            const reply: Memory = { type: 'memory', snapshot: memory.snapshot() };
            me.send(req.replyTo, reply);
            continue;
          }
          const name = taskName(req, n);
          me.spawn(
            async (task: Context<never>) => {
              const reply = await memory.run<unknown>(task, name, async (t): Promise<unknown> => {
                await t.yield(); // a thread starts when the scheduler lets it: tasks begin in any order
                switch (req.type) {
                  case 'deposit':
                    return ops.deposit(t, bank, req.account, req.amount);
                  case 'withdraw':
                    return ops.withdraw(t, bank, req.account, req.amount);
                  case 'balance':
                    return ops.balance(t, bank, req.account);
                  case 'transfer':
                    return ops.transfer(t, bank, { tx: req.tx, from: req.from, to: req.to, amount: req.amount });
                  case 'audit':
                    return ops.audit(t, bank);
                }
              });
              task.send(req.replyTo as Ref<unknown>, reply);
            },
            { name },
          );
        }
      },
      { name: 'bank' },
    );
  };
}
