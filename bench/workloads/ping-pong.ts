// Ping-pong: two actors bounce a counter back and forth N times ({ type: 'ping', n } and
// { type: 'pong', n }). Latency-bound: every message waits for the previous one.
import { CheckError, type Workload } from '../lib/types.ts';

export const pingPong: Workload<'ping-pong'> = {
  id: 'ping-pong',
  unit: 'round trips',
  size: { roundTrips: 200_000 },
  tiny: { roundTrips: 50 },
  scaled: (p, f) => ({ roundTrips: Math.max(1, Math.round(p.roundTrips * f)) }),
  messages: (p) => 2 * p.roundTrips,
  units: (p) => p.roundTrips,
  check(p, o) {
    if (o.result !== p.roundTrips) {
      throw new CheckError(`ping-pong: expected ${p.roundTrips} round trips, the run reported ${o.result}`);
    }
  },
};
