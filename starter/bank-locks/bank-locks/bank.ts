// The lock-based bank: your file. Each request runs as its own task, concurrently with the
// others (serveBank, at the bottom, does that), and calls one of the operations below with
// its task `t`. The accounts are plain objects in shared memory; guard them with locks.
//
// It compiles and answers `balance`. Everything else is a TODO. Read the handout first
// (exercises/bank-locks/README.md): it explains the primitives and what each test checks.
import { Mutex, shared, type Task } from '#runtime';
import { serveBank } from '#exercises/bank-locks/serve';
import type { BankConfig, InsufficientFunds, Snapshot, Statement, TransferOrder, TransferReply } from '#exercises/bank-locks/protocol';

interface Account {
  readonly name: string;
  balance: number;
  /** Guards `balance`: hold it whenever you read or change the balance. */
  readonly lock: Mutex;
}

interface Bank {
  readonly accounts: Map<string, Account>;
  // TODO: whatever else the operations share (the outcomes of transfers by id, …).
}

/** Builds the shared state once, before any request. */
function open(config: BankConfig): Bank {
  const accounts = new Map<string, Account>();
  for (const a of config.accounts) {
    // shared(...) logs reads and writes, so that a failure report can name a lost update.
    accounts.set(a.name, shared(a.name, { name: a.name, balance: a.balance, lock: new Mutex(`lock(${a.name})`) }));
  }
  return { accounts };
}

function accountOf(bank: Bank, name: string): Account {
  const a = bank.accounts.get(name);
  if (!a) throw new Error(`no account "${name}"`);
  return a;
}

async function balance(t: Task, bank: Bank, name: string): Promise<Statement> {
  const a = accountOf(bank, name);
  await a.lock.lock(t);
  try {
    return { type: 'statement', account: a.name, balance: a.balance };
  } finally {
    a.lock.unlock(t);
  }
}

async function deposit(t: Task, bank: Bank, name: string, amount: number): Promise<Statement> {
  // TODO: add `amount` to the balance, under the account's lock.
  void amount;
  return balance(t, bank, name);
}

async function withdraw(t: Task, bank: Bank, name: string, amount: number): Promise<Statement | InsufficientFunds> {
  // TODO: take `amount` out if the balance allows; otherwise reply insufficient-funds.
  void amount;
  return balance(t, bank, name);
}

async function transfer(t: Task, bank: Bank, order: TransferOrder): Promise<TransferReply> {
  // TODO: move the money under both accounts' locks (mind the order!), once per transfer id.
  void t;
  void bank;
  return { type: 'transfer-failed', tx: order.tx, reason: 'insufficient-funds' };
}

async function audit(t: Task, bank: Bank): Promise<Snapshot> {
  // TODO: read every balance at one moment.
  void t;
  void bank;
  return { type: 'snapshot', accounts: [] };
}

export const startBank = serveBank({ open, deposit, withdraw, balance, transfer, audit });
