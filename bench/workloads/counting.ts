// Counting: one producer sends N { type: 'inc' } to one counter, then asks for the count
// ({ type: 'get', replyTo } → { type: 'count', n }). Throughput-bound: one long channel.
import { CheckError, type Workload } from '../lib/types.ts';

export const counting: Workload<'counting'> = {
  id: 'counting',
  unit: 'msgs',
  size: { messages: 400_000 },
  tiny: { messages: 100 },
  scaled: (p, f) => ({ messages: Math.max(1, Math.round(p.messages * f)) }),
  messages: (p) => p.messages + 2,
  units: (p) => p.messages + 2,
  check(p, o) {
    if (o.result !== p.messages) {
      throw new CheckError(`counting: expected the counter to reach ${p.messages}, it reported ${o.result}`);
    }
  },
};
