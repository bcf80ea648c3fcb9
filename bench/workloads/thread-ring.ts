// Thread ring: a ring of actors passes a token ({ type: 'token', hop }) H times. The member
// that receives hop H reports it with its own index, which must be H mod ring size, so a
// ring that skips or duplicates a member cannot pass.
import { CheckError, type Workload } from '../lib/types.ts';

export const threadRing: Workload<'thread-ring'> = {
  id: 'thread-ring',
  unit: 'hops',
  size: { actors: 100, hops: 400_000 },
  tiny: { actors: 5, hops: 23 },
  scaled: (p, f) => ({ actors: p.actors, hops: Math.max(1, Math.round(p.hops * f)) }),
  messages: (p) => p.hops,
  units: (p) => p.hops,
  check(p, o) {
    if (o.result !== p.hops) {
      throw new CheckError(`thread ring: expected the token to make ${p.hops} hops, the run reported ${o.result}`);
    }
    const holder = p.hops % p.actors;
    if (o.detail !== holder) {
      throw new CheckError(`thread ring: after ${p.hops} hops member ${holder} should hold the token, the run reported ${o.detail}`);
    }
  },
};
