// How the test side reaches a kernel host: in the same process (fast, debugger friendly,
// for local runs of trusted or your own code) or in a sandboxed child process (grading).
// Both carry the same commands and replies, cloned at the boundary, so a test behaves the
// same either way.
import { randomUUID } from 'node:crypto';
import type { Command, Reply } from '../host/host.ts';
import { KernelHost } from '../host/host.ts';
import { kernelChildScript } from '../process/build.ts';
import { TreeCpu } from './cpu-time.ts';
import { spawnSandboxed, type SandboxedChild, type SandboxLimits } from '../process/sandbox.ts';

export interface SandboxInfo {
  readonly level: 'bwrap' | 'fallback' | 'in-process';
  readonly description: string;
}

export interface Transport {
  readonly sandbox: SandboxInfo;
  /** Sends one command; rejects with KernelFailure when the kernel dies or stops answering. */
  request(cmd: Command, what: string): Promise<Reply>;
  /** What the student's code printed (process kernels only; capped). */
  output(): Promise<string>;
  close(): Promise<void>;
}

/** The kernel died or stopped answering: the current test fails, later ones start a new kernel. */
export class KernelFailure extends Error {
  override name = 'KernelFailure';
  constructor(message: string, readonly cause_: 'timeout' | 'crash' | 'memory' | 'cpu' | 'tamper') {
    super(message);
  }
}

export class InProcessTransport implements Transport {
  readonly sandbox: SandboxInfo = { level: 'in-process', description: 'in-process kernel: no sandbox (for your own and trusted code)' };
  private host = new KernelHost();

  async request(cmd: Command): Promise<Reply> {
    return structuredClone(await this.host.handle(structuredClone(cmd)));
  }

  async output(): Promise<string> {
    return '';
  }

  async close(): Promise<void> {
    this.host = new KernelHost();
  }
}

export interface ProcessTransportOptions {
  /** Folders the kernel may read: the bundled submission (its folder). */
  readonly readOnly: readonly string[];
  /** The pre-built kernel program (default: built on first use). */
  readonly script?: string;
  /** Real-time budget for one command before the kernel is declared unresponsive (default 2000 ms). */
  readonly budgetMs?: number;
  readonly limits?: Partial<SandboxLimits>;
  readonly uid?: number;
  readonly prefer?: 'auto' | 'fallback';
}

/**
 * A sandboxed child process running the kernel host. It is started on first use and
 * reused across sessions (each boot starts from a clean state); if it dies or hangs, it is
 * killed and the next request starts a new one.
 */
export class ProcessTransport implements Transport {
  private child: SandboxedChild | undefined;
  private starting: Promise<SandboxedChild> | undefined;
  private pending = new Map<string, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private info: SandboxInfo = { level: 'fallback', description: 'not started yet' };
  private lastOutput = '';
  private meter: TreeCpu | undefined;

  constructor(private readonly options: ProcessTransportOptions) {}

  get sandbox(): SandboxInfo {
    return this.info;
  }

  /** Starts the kernel process now (to measure or hide the cold start). */
  async warm(): Promise<void> {
    await this.ensure();
  }

  private ensure(): Promise<SandboxedChild> {
    if (this.child) return Promise.resolve(this.child);
    this.starting ??= this.spawnWithRetry().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /**
   * No student code runs before the kernel says it is ready, so a failed start is the
   * machine's fault (load, process limits), not the submission's: try again before giving up.
   */
  private async spawnWithRetry(): Promise<SandboxedChild> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.spawn();
      } catch (err) {
        if (attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  private async spawn(): Promise<SandboxedChild> {
    const script = this.options.script ?? await kernelChildScript();
    const child = await spawnSandboxed({
      script,
      readOnly: [...this.options.readOnly],
      // RLIMIT_NPROC counts threads: a kernel needs few (no I/O), so keep its pools small
      // and allow for several kernels of one job, plus ones still being reaped.
      limits: { processes: 128, ...this.options.limits },
      uid: this.options.uid,
      prefer: this.options.prefer,
      nodeArgs: ['--enable-source-maps', '--stack-size=2000', '--v8-pool-size=2'],
      env: { NODE_ENV: 'production', UV_THREADPOOL_SIZE: '2' },
    });
    this.info = { level: child.level, description: child.description };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new KernelFailure('the kernel process did not start within 60 s', 'timeout')), 60_000);
      const onMessage = (m: unknown) => {
        if ((m as { ready?: boolean }).ready) {
          clearTimeout(timer);
          child.child.off('message', onMessage);
          resolve();
        }
      };
      child.child.on('message', onMessage);
      child.exited.then((exit) => {
        clearTimeout(timer);
        reject(new KernelFailure(`the kernel process exited while starting (${describeExit(exit)})`, 'crash'));
      });
    }).catch(async (err) => {
      await child.kill();
      throw err;
    });
    child.child.on('message', (m: { id?: unknown; reply?: Reply }) => {
      const waiter = typeof m?.id === 'string' ? this.pending.get(m.id) : undefined;
      if (waiter === undefined) {
        // Request ids are random and replies come only from the host: anything else was
        // written by the submission itself.
        const failure = new KernelFailure('the submission tampered with the channel between the kernel and the tests (it sent a reply nobody asked for); the kernel was stopped', 'tamper');
        for (const w of this.pending.values()) w.reject(failure);
        this.pending.clear();
        void this.discard(child);
        return;
      }
      this.pending.delete(m.id as string);
      waiter.resolve(m.reply!);
    });
    child.exited.then(async (exit) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.lastOutput = await child.stdout.text();
      const failure = exitFailure(exit);
      for (const waiter of this.pending.values()) waiter.reject(failure);
      this.pending.clear();
    });
    this.child = child;
    this.meter = new TreeCpu(child.child.pid);
    return child;
  }

  async request(cmd: Command, what: string): Promise<Reply> {
    const child = await this.ensure();
    const id = randomUUID();
    const budget = this.options.budgetMs ?? 2000;
    const meter = this.meter;
    const cpuAtStart = meter?.now();
    const wallAtStart = Date.now();
    return new Promise<Reply>((resolve, reject) => {
      // The budget is CPU time of the kernel (when the host can measure it): a kernel that
      // waited for the processor because the machine is busy is not stuck. A hard wall-clock
      // cap of ten budgets still applies.
      const watch = (): void => {
        const used = cpuAtStart === undefined ? undefined : (meter!.fresh() ?? Infinity) - cpuAtStart;
        const wall = Date.now() - wallAtStart;
        if (used !== undefined && used < budget * 0.9 && wall < budget * 10) {
          timer = setTimeout(watch, Math.max(50, budget - used));
          return;
        }
        this.pending.delete(id);
        reject(new KernelFailure(
          `the submission stopped responding for ${formatMs(budget)} while handling ${what} (a busy loop, or a handler that never returns?); the kernel was stopped`,
          'timeout',
        ));
        void this.discard(child);
      };
      let timer = setTimeout(watch, budget);
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      try {
        child.child.send({ id, cmd });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new KernelFailure(`could not send to the kernel: ${err instanceof Error ? err.message : String(err)}`, 'crash'));
      }
    });
  }

  private async discard(child: SandboxedChild): Promise<void> {
    if (this.child === child) this.child = undefined;
    await child.kill();
  }

  async output(): Promise<string> {
    return this.child ? await this.child.stdout.text() : this.lastOutput;
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await child.kill();
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function describeExit(exit: { code: number | null; signal: string | null }): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

function exitFailure(exit: { code: number | null; signal: string | null }): KernelFailure {
  if (exit.signal === 'SIGXCPU' || exit.signal === 'SIGKILL') {
    return new KernelFailure('the submission used up its CPU time (or was killed) and the kernel stopped', 'cpu');
  }
  if (exit.signal === 'SIGSEGV' || exit.signal === 'SIGABRT' || exit.code === 134) {
    return new KernelFailure('the submission ran out of memory and the kernel stopped', 'memory');
  }
  return new KernelFailure(`the kernel process ended unexpectedly (${describeExit(exit)})`, 'crash');
}
