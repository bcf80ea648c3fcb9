// Fan-out/fan-in: a master sends one { type: 'job', round, n, replyTo } to each of W workers,
// each answers { type: 'done', round, n: 2n }; when all W answered the next round starts.
// The master counts the answers and sums them: R·W answers summing to R·W·(W-1).
import { CheckError, type Workload } from '../lib/types.ts';

export const fanOut: Workload<'fan-out'> = {
  id: 'fan-out',
  unit: 'msgs',
  size: { workers: 1000, rounds: 150 },
  tiny: { workers: 7, rounds: 3 },
  scaled: (p, f) => ({ workers: p.workers, rounds: Math.max(1, Math.round(p.rounds * f)) }),
  messages: (p) => 2 * p.workers * p.rounds,
  units: (p) => 2 * p.workers * p.rounds,
  check(p, o) {
    const replies = p.workers * p.rounds;
    if (o.result !== replies) {
      throw new CheckError(`fan-out: expected ${replies} replies, the master counted ${o.result}`);
    }
    const sum = p.rounds * p.workers * (p.workers - 1);
    if (o.detail !== sum) {
      throw new CheckError(`fan-out: expected the replies to sum to ${sum}, the master got ${o.detail}`);
    }
  },
};
