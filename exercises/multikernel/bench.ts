// The multikernel exercise's performance part (reported, not graded): the reference
// solution on 1, 2 and 4 worker kernels (real threads), each with a load generator next to
// its monitor. Local reads should scale with the kernels (each reads its own replica);
// updates cannot (every one is agreed by all replicas, one at a time, through the
// sequencer). Run it alone with `npx tsx exercises/multikernel/bench.ts [--quick] [folder]`
// (folder: a submission holding multikernel/monitor.ts; default: the reference solution).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ref } from '#runtime';
import { prepareBundle } from '../../kernels/harness/bundle-file.ts';
import { startWorkerCluster } from '../../kernels/worker/cluster.ts';
import type { LoadConfig } from './bench/load.ts';

export interface MultikernelRow {
  readonly kernels: number;
  readonly readsPerSec: number;
  readonly updatesPerSec: number;
}

export interface BenchOptions {
  /** The submission folder to measure (holding multikernel/monitor.ts); default: the reference solution. */
  readonly submission?: string;
  /** Smaller runs: a quick look, not numbers to quote. */
  readonly quick?: boolean;
  /** Worker kernel counts (default 1, 2, 4). */
  readonly kernels?: readonly number[];
  readonly log?: (line: string) => void;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

export async function benchMultikernel(options: BenchOptions = {}): Promise<{ rows: MultikernelRow[] }> {
  const work = mkdtempSync(join(tmpdir(), 'mp-bench-multikernel-'));
  try {
    const submission = resolve(options.submission ?? join(root, 'solutions', 'multikernel'));
    const monitor = join(submission, 'multikernel', 'monitor.ts');
    if (!existsSync(monitor)) throw new Error(`${monitor} not found: pass the folder that holds multikernel/monitor.ts`);
    // One module for the worker kernels: the submission's entry point and the load generator.
    const entry = join(work, 'bench-entry.ts');
    writeFileSync(
      entry,
      [`export { startMonitor } from ${JSON.stringify(monitor)};`, `export { runLoad } from ${JSON.stringify(join(here, 'bench', 'load.ts'))};`].join('\n'),
    );
    const prepared = await prepareBundle(entry, root, join(work, 'out'));
    if (!prepared.ok) throw new Error(`${submission} does not bundle: ${prepared.errors.map((e) => `${e.file}:${e.line}: ${e.message}`).join('; ')}`);
    const rows: MultikernelRow[] = [];
    // Each measurement runs every kernel's load generator for the same real time.
    const duration = options.quick ? 150 : 600;
    for (const n of options.kernels ?? [1, 2, 4]) {
      const row = await measure(prepared.bundle, n, duration);
      options.log?.(
        `  ${String(n).padStart(2)} kernels: ${Math.round(row.readsPerSec).toLocaleString('en')} local reads/s, ${Math.round(row.updatesPerSec).toLocaleString('en')} updates/s`,
      );
      rows.push(row);
    }
    return { rows };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The rows as a table (a header, then a line per kernel count), each rate also relative to the first row. */
export function tableLines(rows: readonly MultikernelRow[]): string[] {
  const base = rows[0]!;
  return [
    'kernels  local reads/s   ×1 kernel   updates/s   ×1 kernel',
    ...rows.map(
      (r) =>
        `${String(r.kernels).padStart(7)}  ${Math.round(r.readsPerSec).toLocaleString('en').padStart(13)}  ${(r.readsPerSec / base.readsPerSec).toFixed(2).padStart(9)}×  ` +
        `${Math.round(r.updatesPerSec).toLocaleString('en').padStart(9)}  ${(r.updatesPerSec / base.updatesPerSec).toFixed(2).padStart(9)}×`,
    ),
  ];
}

/** One cluster of `n` worker kernels: a monitor on each, then reads, then updates, from every kernel at once. */
async function measure(bundle: string, n: number, duration: number): Promise<MultikernelRow> {
  const cluster = await startWorkerCluster({ workers: n, module: bundle });
  try {
    const kernels = Array.from({ length: n }, (_, i) => i + 1);
    const monitors: Ref[] = [];
    // A long resend interval: on threads nothing is lost, so resends would only be noise.
    for (const k of kernels) monitors.push(await cluster.start<Ref>(k, 'startMonitor', { kernel: k, retry: 10_000 }));
    for (const m of monitors) cluster.main.send(m, { type: 'peers', monitors });

    /** Requests per second, summed over the kernels (each measured on its own clock). */
    const run = async (kind: LoadConfig['kind'], ms: number, window: number): Promise<number> => {
      const all = Promise.all(
        kernels.map((k, i) =>
          cluster.start<{ ops: number; ms: number; failed: number }>(k, 'runLoad', {
            monitor: monitors[i]!,
            kind,
            duration: ms,
            window,
            pages: 64,
            kernel: k,
          } satisfies LoadConfig),
        ),
      );
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${kind}s on ${n} kernels were still unanswered ${ms + 10_000} ms after they began`)), ms + 10_000);
      });
      const results = await Promise.race([all, stuck]).finally(() => clearTimeout(timer));
      const failed = results.reduce((a, r) => a + r.failed, 0);
      if (failed > 0) throw new Error(`${failed} updates failed on ${n} kernels`);
      return results.reduce((a, r) => a + r.ops / (r.ms / 1000), 0);
    };
    // Warm up (JIT, first messages between threads), then measure.
    await run('read', duration / 3, 32);
    await run('update', duration / 3, 8);
    const readsPerSec = await run('read', duration, 32);
    const updatesPerSec = await run('update', duration, 8);
    return { kernels: n, readsPerSec, updatesPerSec };
  } finally {
    await cluster.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const submission = process.argv.slice(2).find((a) => !a.startsWith('--'));
  console.log(`multikernel: ${submission ?? 'the reference solution'} on worker kernels${quick ? ' (quick)' : ''}`);
  const { rows } = await benchMultikernel({ quick, submission, log: (l) => console.log(l) }).catch((err: unknown) => {
    console.error(`multikernel bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
  console.log('');
  for (const line of tableLines(rows)) console.log(line);
}
