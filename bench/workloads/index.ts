// The runtime suite's workloads, in the order they are run and printed.
import type { Workload } from '../lib/types.ts';
import { counting } from './counting.ts';
import { fanOut } from './fan-out.ts';
import { pingPong } from './ping-pong.ts';
import { threadRing } from './thread-ring.ts';

export { counting, fanOut, pingPong, threadRing };

export const workloads: readonly Workload[] = [pingPong, threadRing, counting, fanOut] as unknown as readonly Workload[];
