// The multikernel exercise's performance part (reported, not graded): the reference solution
// on 1, 2 and 4 worker kernels, local reads and agreed updates per second.
import { benchMultikernel, tableLines } from '../../exercises/multikernel/bench.ts';
import type { Suite, SuiteOptions } from '../lib/suite.ts';

export const suite: Suite = {
  name: 'multikernel',
  description: 'replicated page table on 1, 2 and 4 worker kernels: local reads/s and updates/s',
  async run({ quick, log }: SuiteOptions) {
    const { rows } = await benchMultikernel({ quick });
    for (const line of tableLines(rows)) log(line);
    return { ok: rows.length > 0 && rows.every((r) => r.readsPerSec > 0 && r.updatesPerSec > 0) };
  },
};
