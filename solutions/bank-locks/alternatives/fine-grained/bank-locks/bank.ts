// Reference solution of the lock-based bank, finer-grained: an audit does not lock every
// account. Instead a read-write lock, the *gate*, separates the two kinds of work: every
// deposit, withdraw, balance and transfer holds the gate for reading (many at once), the
// audit holds it for writing (alone), so while an audit reads, no money moves and no account
// lock is needed. Each account still has its own mutex; a transfer takes its two in the
// global order (by name). Each transfer id has its own record and its own condition, so a
// retry waits only for its own transfer (and still in a loop: wake-ups can be spurious).
import { AtomicCounter, Condition, Mutex, RwLock, shared, type Task } from '#runtime';
import { serveBank } from '#exercises/bank-locks/serve';
import type { BankConfig, InsufficientFunds, Snapshot, Statement, TransferOrder, TransferReply } from '#exercises/bank-locks/protocol';

interface Account {
  readonly name: string;
  balance: number;
  readonly lock: Mutex;
}

interface TxRecord {
  reply: TransferReply | undefined;
  readonly done: Condition;
}

interface Bank {
  readonly accounts: Map<string, Account>;
  readonly names: string[];
  readonly gate: RwLock;
  readonly txLock: Mutex;
  readonly txs: Map<string, TxRecord>;
  /** Transfers that moved money (for the curious: an atomic counter needs no lock). */
  readonly moved: AtomicCounter;
}

function open(config: BankConfig): Bank {
  const accounts = new Map<string, Account>();
  for (const a of config.accounts) accounts.set(a.name, shared(a.name, { name: a.name, balance: a.balance, lock: new Mutex(`lock(${a.name})`) }));
  return {
    accounts,
    names: [...accounts.keys()].sort(),
    gate: new RwLock('gate'),
    txLock: new Mutex('lock(transfers)'),
    txs: new Map(),
    moved: new AtomicCounter('moved'),
  };
}

function accountOf(bank: Bank, name: string): Account {
  const a = bank.accounts.get(name);
  if (!a) throw new Error(`no account "${name}"`);
  return a;
}

const statement = (a: Account): Statement => ({ type: 'statement', account: a.name, balance: a.balance });

/** Runs `work` holding the gate for reading and the account's lock. */
function onAccount<R>(t: Task, bank: Bank, name: string, work: (a: Account) => R): Promise<R> {
  const a = accountOf(bank, name);
  return bank.gate.withReadLock(t, () => a.lock.withLock(t, () => work(a)));
}

function deposit(t: Task, bank: Bank, name: string, amount: number): Promise<Statement> {
  return onAccount(t, bank, name, (a) => {
    a.balance += amount;
    return statement(a);
  });
}

function withdraw(t: Task, bank: Bank, name: string, amount: number): Promise<Statement | InsufficientFunds> {
  return onAccount(t, bank, name, (a): Statement | InsufficientFunds => {
    if (amount > a.balance) return { type: 'insufficient-funds', account: a.name, balance: a.balance, amount };
    a.balance -= amount;
    return statement(a);
  });
}

function balance(t: Task, bank: Bank, name: string): Promise<Statement> {
  return onAccount(t, bank, name, statement);
}

async function move(t: Task, bank: Bank, order: TransferOrder): Promise<TransferReply> {
  const from = accountOf(bank, order.from),
    to = accountOf(bank, order.to);
  const [first, second] = from.name < to.name ? [from, to] : [to, from];
  return bank.gate.withReadLock(t, () =>
    first.lock.withLock(t, () =>
      second.lock.withLock(t, (): TransferReply => {
        if (order.amount > from.balance) return { type: 'transfer-failed', tx: order.tx, reason: 'insufficient-funds' };
        from.balance -= order.amount;
        to.balance += order.amount;
        bank.moved.incrementAndGet(t);
        return { type: 'transferred', tx: order.tx };
      }),
    ),
  );
}

async function transfer(t: Task, bank: Bank, order: TransferOrder): Promise<TransferReply> {
  await bank.txLock.lock(t);
  let rec = bank.txs.get(order.tx);
  if (rec) {
    try {
      while (rec.reply === undefined) await rec.done.wait(t);
      return rec.reply;
    } finally {
      bank.txLock.unlock(t);
    }
  }
  rec = { reply: undefined, done: new Condition(`done(${order.tx})`, bank.txLock) };
  bank.txs.set(order.tx, rec);
  bank.txLock.unlock(t);
  const reply = await move(t, bank, order);
  await bank.txLock.withLock(t, () => {
    rec.reply = reply;
    rec.done.broadcast(t);
  });
  return reply;
}

function audit(t: Task, bank: Bank): Promise<Snapshot> {
  return bank.gate.withWriteLock(
    t,
    (): Snapshot => ({
      type: 'snapshot',
      accounts: bank.names.map((n) => ({ account: n, balance: accountOf(bank, n).balance })),
    }),
  );
}

export const startBank = serveBank({ open, deposit, withdraw, balance, transfer, audit });
