// Grading slots: `--jobs N` long-lived vitest processes (slot.ts), each running one job at a
// time. A slot is started once per grading run, before the first submission is ready, so
// vitest's start-up and the transform of the kit's test modules are paid once per slot.
// A job that overruns its backstop (a wall-clock limit well past every test budget) takes
// its slot down with it; the next job gets a fresh slot.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exerciseDir } from '../../kernels/harness/manifest.ts';
import { builtFile } from '../build-info.ts';
import type { Collected } from './reporter.ts';
import type { GradingPlan } from './stop-early.ts';

/** What a grading run tells the tests: the harness's plan, and when to stop a failing submission. */
export interface SlotJob {
  readonly id: number;
  readonly plan: GradingPlan;
  /** Test files to run (absolute paths). */
  readonly files: readonly string[];
}

export type SlotReply = { readonly ready: true } | { readonly id: number; readonly collected: Collected } | { readonly id: number; readonly error: string };

/** The test files of an exercise (public and hidden), in a fixed order. */
export function testFiles(exercise: string): string[] {
  const dir = join(exerciseDir(exercise), 'tests');
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(dir, f));
}

const slotFromSource = fileURLToPath(new URL('./slot-bin.mjs', import.meta.url));
/** setpriv ties a slot's life to the grader's: a grader killed by SIGKILL takes its slots along. */
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
/** A slot is replaced after this many jobs, so that what vitest keeps of past runs stays small. */
const JOBS_PER_SLOT = 64;

interface Running {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  jobs: number;
}

export class Slot {
  private running: Running | undefined;
  private nextId = 0;

  /** `dir`: a private folder of the grading run; the slot's own folder (its plan, its TMPDIR) is made inside. */
  constructor(private readonly dir: string) {}

  /** Starts the slot's vitest now, so that it is ready when the first job comes. */
  warm(): void {
    void this.ensure().catch(() => {});
  }

  /** Runs one job. Never rejects: a failure of the machinery comes back as `errors`. */
  async run(plan: GradingPlan, files: readonly string[], timeoutMs: number): Promise<Collected> {
    let slot: Running;
    try {
      slot = await this.ensure();
      await slot.ready;
    } catch (err) {
      this.stop();
      return { tests: [], errors: [`the grading job failed: its vitest process could not start (${(err as Error).message})`] };
    }
    const id = this.nextId++;
    slot.jobs++;
    const reply = await new Promise<Collected>((resolve) => {
      const done = (c: Collected) => {
        clearTimeout(timer);
        slot.child.off('message', onMessage);
        slot.child.off('exit', onExit);
        resolve(c);
      };
      const onMessage = (m: SlotReply) => {
        if (!('id' in m) || m.id !== id) return;
        done('collected' in m ? m.collected : { tests: [], errors: [`the grading job failed: ${m.error}`] });
      };
      const onExit = (code: number | null, signal: string | null) => {
        done({ tests: [], errors: [`the grading job failed: its vitest process ended (${signal ?? `exit ${code}`})`] });
      };
      const timer = setTimeout(() => {
        done({ tests: [], errors: [`the grading job failed: it took longer than ${Math.round(timeoutMs / 1000)} s`] });
        this.stop();
      }, timeoutMs);
      slot.child.on('message', onMessage);
      slot.child.once('exit', onExit);
      slot.child.send({ id, plan, files } satisfies SlotJob);
    });
    if (this.running === slot && (slot.jobs >= JOBS_PER_SLOT || slot.child.exitCode !== null)) this.stop();
    return reply;
  }

  /** Stops the slot's processes (its vitest, the test worker, the kernels below). */
  stop(): void {
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    try {
      process.kill(-running.child.pid!, 'SIGKILL');
    } catch {
      running.child.kill('SIGKILL');
    }
  }

  private async ensure(): Promise<Running> {
    if (this.running && this.running.child.exitCode === null && this.running.child.signalCode === null) return this.running;
    const dir = await mkdtemp(join(this.dir, 'slot-'));
    await chmod(dir, 0o711); // what the slot stages for its kernels must stay reachable by their uids
    const bin = (await builtFile('slot.mjs')) ?? slotFromSource;
    const harness = await builtFile('harness.mjs');
    const wrap = setpriv && process.platform === 'linux';
    const child = fork(bin, [], {
      ...(wrap ? { execPath: setpriv, execArgv: ['--pdeathsig', 'SIGKILL', '--', process.execPath] } : {}),
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, MP_RUN: join(dir, 'plan.json'), TMPDIR: dir, FORCE_COLOR: '0', ...(harness ? { MP_HARNESS: harness } : {}) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      detached: true,
      serialization: 'advanced',
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 16_384) stderr += d.toString('utf8');
    });
    child.on('error', () => {});
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: SlotReply) => {
        if ('ready' in m) {
          child.off('message', onMessage);
          resolve();
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => reject(new Error(`${signal ?? `exit ${code}`}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`)));
    });
    ready.catch(() => {});
    this.running = { child, ready, jobs: 0 };
    return this.running;
  }
}
