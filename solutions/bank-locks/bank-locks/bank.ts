// Reference solution of the lock-based bank: one lock per account, always taken in one global
// order (by account name), so two transfers can never wait for each other in a cycle; the
// audit takes every account's lock in that same order. Transfers are remembered by id under
// their own lock, and a retry of a running transfer waits for its outcome on a condition.
import { Condition, Mutex, shared, type Task } from '#runtime';
import { serveBank } from '#exercises/bank-locks/serve';
import type { BankConfig, InsufficientFunds, Snapshot, Statement, TransferOrder, TransferReply } from '#exercises/bank-locks/protocol';

interface Account {
  readonly name: string;
  balance: number;
  readonly lock: Mutex;
}

interface Bank {
  readonly accounts: Map<string, Account>;
  /** Every account in the global lock order. */
  readonly ordered: Account[];
  /** Outcomes of transfers by id (undefined while running), guarded by txLock. */
  readonly outcomes: Map<string, TransferReply | undefined>;
  readonly txLock: Mutex;
  /** Broadcast whenever a transfer's outcome is recorded. */
  readonly txDone: Condition;
}

function open(config: BankConfig): Bank {
  const accounts = new Map<string, Account>();
  for (const a of config.accounts) accounts.set(a.name, shared(a.name, { name: a.name, balance: a.balance, lock: new Mutex(`lock(${a.name})`) }));
  const txLock = new Mutex('lock(transfers)');
  return {
    accounts,
    ordered: [...accounts.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    outcomes: new Map(),
    txLock,
    txDone: new Condition('transfer-done', txLock),
  };
}

function accountOf(bank: Bank, name: string): Account {
  const a = bank.accounts.get(name);
  if (!a) throw new Error(`no account "${name}"`);
  return a;
}

const statement = (a: Account): Statement => ({ type: 'statement', account: a.name, balance: a.balance });

async function deposit(t: Task, bank: Bank, name: string, amount: number): Promise<Statement> {
  const a = accountOf(bank, name);
  return a.lock.withLock(t, () => {
    a.balance += amount;
    return statement(a);
  });
}

async function withdraw(t: Task, bank: Bank, name: string, amount: number): Promise<Statement | InsufficientFunds> {
  const a = accountOf(bank, name);
  return a.lock.withLock(t, (): Statement | InsufficientFunds => {
    if (amount > a.balance) return { type: 'insufficient-funds', account: a.name, balance: a.balance, amount };
    a.balance -= amount;
    return statement(a);
  });
}

async function balance(t: Task, bank: Bank, name: string): Promise<Statement> {
  const a = accountOf(bank, name);
  return a.lock.withLock(t, () => statement(a));
}

/** Moves the money under both accounts' locks, taken in the global order. */
async function move(t: Task, bank: Bank, order: TransferOrder): Promise<TransferReply> {
  const from = accountOf(bank, order.from),
    to = accountOf(bank, order.to);
  const [first, second] = from.name < to.name ? [from, to] : [to, from];
  return first.lock.withLock(t, () =>
    second.lock.withLock(t, (): TransferReply => {
      if (order.amount > from.balance) return { type: 'transfer-failed', tx: order.tx, reason: 'insufficient-funds' };
      from.balance -= order.amount;
      to.balance += order.amount;
      return { type: 'transferred', tx: order.tx };
    }),
  );
}

async function transfer(t: Task, bank: Bank, order: TransferOrder): Promise<TransferReply> {
  // Claim the id, or wait for the outcome of the transfer that claimed it first.
  await bank.txLock.lock(t);
  try {
    if (bank.outcomes.has(order.tx)) {
      while (bank.outcomes.get(order.tx) === undefined) await bank.txDone.wait(t);
      return bank.outcomes.get(order.tx)!;
    }
    bank.outcomes.set(order.tx, undefined);
  } finally {
    bank.txLock.unlock(t);
  }
  const reply = await move(t, bank, order);
  await bank.txLock.withLock(t, () => {
    bank.outcomes.set(order.tx, reply);
    bank.txDone.broadcast(t);
  });
  return reply;
}

async function audit(t: Task, bank: Bank): Promise<Snapshot> {
  for (const a of bank.ordered) await a.lock.lock(t);
  try {
    return { type: 'snapshot', accounts: bank.ordered.map((a) => ({ account: a.name, balance: a.balance })) };
  } finally {
    for (const a of [...bank.ordered].reverse()) a.lock.unlock(t);
  }
}

export const startBank = serveBank({ open, deposit, withdraw, balance, transfer, audit });
