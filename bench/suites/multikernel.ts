// The multikernel exercise's performance part (reported, not graded): the reference solution
// on 1, 2 and 4 worker kernels, local reads and agreed updates per second.
import { benchMultikernel } from '../../exercises/multikernel/bench.ts';
import type { Suite, SuiteOptions } from '../lib/suite.ts';

export const suite: Suite = {
  name: 'multikernel',
  description: 'replicated page table on 1, 2 and 4 worker kernels: local reads/s and updates/s',
  async run({ quick, log }: SuiteOptions) {
    const { rows } = await benchMultikernel({ quick });
    const base = rows[0]!;
    log('kernels  local reads/s   ×1 kernel   updates/s   ×1 kernel');
    for (const r of rows) {
      log(`${String(r.kernels).padStart(7)}  ${Math.round(r.readsPerSec).toLocaleString('en').padStart(13)}  ${(r.readsPerSec / base.readsPerSec).toFixed(2).padStart(9)}×  ` +
        `${Math.round(r.updatesPerSec).toLocaleString('en').padStart(9)}  ${(r.updatesPerSec / base.updatesPerSec).toFixed(2).padStart(9)}×`);
    }
    return { ok: rows.length > 0 && rows.every((r) => r.readsPerSec > 0 && r.updatesPerSec > 0) };
  },
};
