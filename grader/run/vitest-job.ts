// One grading job: a plain `vitest run` of an exercise's tests over a chunk of submissions.
// Vitest starts once per chunk, not once per submission; each submission's code runs in its
// own sandboxed kernel process, which serves every test of every file of the job.
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { exerciseDir } from '../../exercises/manifest.ts';
import type { RunPlan } from '../../kernels/harness/property.ts';
import { kitRoot } from '../kit.ts';
import type { Collected } from './reporter.ts';

const config = fileURLToPath(new URL('./vitest.grading.config.ts', import.meta.url));
const vitestBin = join(kitRoot, 'node_modules', 'vitest', 'vitest.mjs');
/** setpriv, to tie the job's life to the grader's: a grader killed by SIGKILL takes its jobs along. */
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

export interface JobOptions {
  readonly plan: RunPlan;
  /** Test files to run (absolute paths). */
  readonly files: readonly string[];
  /** A private folder of the grading run: the job's own folder is made inside it. */
  readonly dir: string;
  /** Wall-clock limit for the whole job (a backstop behind the per-command watchdog). */
  readonly timeoutMs: number;
}

/** The test files of an exercise (public and hidden), in a fixed order. */
export function testFiles(exercise: string): string[] {
  const dir = join(exerciseDir(exercise), 'tests');
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f));
}

export async function runJob(options: JobOptions): Promise<Collected> {
  const dir = await mkdtemp(join(options.dir, 'job-'));
  await chmod(dir, 0o711); // the job's temp folder: what it stages for its kernels must stay reachable
  try {
    const planFile = join(dir, 'plan.json');
    const resultsFile = join(dir, 'results.json');
    await writeFile(planFile, JSON.stringify({ ...options.plan, files: options.files.length }));
    const node = [process.execPath, vitestBin, 'run', '--config', config, ...options.files];
    const [file, ...args] = setpriv && process.platform === 'linux' ? [setpriv, '--pdeathsig', 'SIGKILL', '--', ...node] : node;
    const run = await execa(file!, args, {
      cwd: kitRoot,
      env: { MP_RUN: planFile, MP_RESULTS: resultsFile, TMPDIR: dir, FORCE_COLOR: '0' },
      extendEnv: true,
      reject: false,
      timeout: options.timeoutMs,
      forceKillAfterDelay: 2000,
      cleanup: true,
      all: true,
      maxBuffer: 8 * 1024 * 1024,
    });
    let text: string;
    try {
      text = await readFile(resultsFile, 'utf8');
    } catch {
      const why = run.timedOut ? `it took longer than ${Math.round(options.timeoutMs / 1000)} s` : `vitest ended without results (exit ${run.exitCode ?? run.signal})`;
      return { tests: [], errors: [`the grading job failed: ${why}`, tail(run.all ?? '')] };
    }
    return JSON.parse(text) as Collected;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function tail(text: string): string {
  return text.split('\n').slice(-15).join('\n');
}
