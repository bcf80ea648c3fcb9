// The same bank with shared memory and locks, for comparison (not part of what you submit).
//
//   npx tsx exercises/bank/lock-based/bank-with-locks.ts
//
// Every account is a plain object in shared memory with its own lock (an async mutex). A
// transfer locks the source, then the destination, moves the money and unlocks both. Run
// A → B and B → A at the same moment and each transfer holds one lock while it waits for
// the other's: a deadlock. The usual fix (always lock in one global order) works, but only
// if every piece of code that ever takes two locks knows and follows that order.

/** An async mutex: `lock()` resolves when this caller holds the lock. */
class Mutex {
  private holder: string | undefined;
  private readonly queue: { who: string; go: () => void }[] = [];

  constructor(readonly name: string) {}

  async lock(who: string): Promise<void> {
    if (this.holder === undefined) {
      this.holder = who;
      return;
    }
    await new Promise<void>((go) => this.queue.push({ who, go }));
    this.holder = who;
  }

  unlock(): void {
    const next = this.queue.shift();
    this.holder = undefined;
    next?.go();
  }

  describe(): string {
    const waiting = this.queue.map((w) => w.who).join(', ');
    return `${this.name} is held by ${this.holder ?? 'nobody'}${waiting ? `; waiting for it: ${waiting}` : ''}`;
  }
}

interface Account {
  readonly name: string;
  balance: number;
  readonly lock: Mutex;
}

const account = (name: string, balance: number): Account => ({ name, balance, lock: new Mutex(`lock(${name})`) });

/** Some work done while holding the first lock (a log write, a fraud check…): it lets the other transfer in. */
const work = () => new Promise<void>((resolve) => setTimeout(resolve, 10));

/** Locks the source, then the destination. Looks right; deadlocks when two transfers cross. */
async function transfer(tx: string, from: Account, to: Account, amount: number): Promise<boolean> {
  await from.lock.lock(tx);
  try {
    await work();
    await to.lock.lock(tx);
    try {
      if (from.balance < amount) return false;
      from.balance -= amount;
      to.balance += amount;
      return true;
    } finally {
      to.lock.unlock();
    }
  } finally {
    from.lock.unlock();
  }
}

/** The classic fix: take both locks in one global order (by name), whatever the direction. */
async function transferOrdered(tx: string, from: Account, to: Account, amount: number): Promise<boolean> {
  const [first, second] = from.name < to.name ? [from, to] : [to, from];
  await first.lock.lock(tx);
  try {
    await work();
    await second.lock.lock(tx);
    try {
      if (from.balance < amount) return false;
      from.balance -= amount;
      to.balance += amount;
      return true;
    } finally {
      second.lock.unlock();
    }
  } finally {
    first.lock.unlock();
  }
}

/** An audit must lock every account (in the same global order!) to read a consistent total. */
async function audit(accounts: Account[]): Promise<number> {
  const sorted = [...accounts].sort((a, b) => a.name.localeCompare(b.name));
  for (const a of sorted) await a.lock.lock('audit');
  try {
    return sorted.reduce((sum, a) => sum + a.balance, 0);
  } finally {
    for (const a of sorted.reverse()) a.lock.unlock();
  }
}

/** Resolves with 'finished', or with 'stuck' if the work has not finished within `ms`. */
function within<T>(ms: number, work: Promise<T>): Promise<'finished' | 'stuck'> {
  return Promise.race([work.then(() => 'finished' as const), new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), ms))]);
}

async function main(): Promise<void> {
  console.log('1. Transfers t1: A → B and t2: B → A, started at the same moment, each locking source then destination.');
  {
    const a = account('A', 100),
      b = account('B', 100);
    const outcome = await within(1000, Promise.all([transfer('t1', a, b, 30), transfer('t2', b, a, 20)]));
    if (outcome === 'stuck') {
      console.log('   Deadlock: after 1 s neither transfer has finished.');
      console.log(`     ${a.lock.describe()}`);
      console.log(`     ${b.lock.describe()}`);
      console.log('   Each one holds the lock the other is waiting for, and nothing will ever release it.');
    } else {
      console.log('   Both finished (this time).');
    }
  }

  console.log('\n2. The same two transfers, taking the locks in one global order (A before B).');
  {
    const a = account('A', 100),
      b = account('B', 100);
    const outcome = await within(1000, Promise.all([transferOrdered('t1', a, b, 30), transferOrdered('t2', b, a, 20)]));
    console.log(`   ${outcome === 'finished' ? 'Both finished' : 'Stuck'}: A = ${a.balance}, B = ${b.balance}; audit total = ${await audit([a, b])}.`);
  }

  console.log('\n3. A cycle A → B → C → A with the naive transfer.');
  {
    const a = account('A', 100),
      b = account('B', 100),
      c = account('C', 100);
    const outcome = await within(1000, Promise.all([transfer('t1', a, b, 10), transfer('t2', b, c, 10), transfer('t3', c, a, 10)]));
    console.log(`   ${outcome === 'stuck' ? 'Deadlock again: t1 waits for t2, t2 for t3, t3 for t1.' : 'Finished (this time).'}`);
  }

  console.log(
    [
      '',
      'The ordered version works, but only because every function that takes two locks agrees on the',
      'order, and the audit has to lock everything. Add one new operation that forgets the rule, or a',
      'callback that takes a lock while another is held, and the deadlock is back: locks do not compose.',
      'In the message-passing bank, each account owns its balance and nobody else can touch it; an account',
      'never waits inside a handler, so crossing transfers cannot deadlock. Which was easier to get right?',
    ].join('\n'),
  );
  process.exit(0);
}

await main();
