// How the test side reaches a kernel host: in the same process (fast, debugger friendly,
// for local runs of trusted or your own code) or in a sandboxed child process (grading).
// Both carry the same commands and replies, cloned at the boundary, so a test behaves the
// same either way.
import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { threadKernelScript } from '../host/build.ts';
import type { Command, Reply } from '../host/host.ts';
import { KernelHost } from '../host/host.ts';
import { kernelChildScript } from '../process/build.ts';
import { type ChannelViolation, MAX_FRAME_BYTES, TrustedEnd } from '../process/channel.ts';
import { TreeCpu } from './cpu-time.ts';
import { spawnSandboxed, type SandboxedChild, type SandboxLimits } from '../process/sandbox.ts';
import { leaseUid, type UidLease } from '../process/uids.ts';

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

/**
 * The kernel died or stopped answering: the current test fails, later ones start a new kernel.
 * 'infrastructure' is the machine's fault, not the submission's (the kernel could not even
 * start, before any student code had loaded): the grader withholds the mark instead of
 * giving a 0 (see grader/score.ts).
 */
export class KernelFailure extends Error {
  override name = 'KernelFailure';
  constructor(
    message: string,
    readonly cause_: 'timeout' | 'crash' | 'memory' | 'cpu' | 'tamper' | 'oversize' | 'infrastructure',
  ) {
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

export interface ThreadTransportOptions {
  /** CPU-time budget for one command before the kernel is declared unresponsive (default 2000 ms). */
  readonly budgetMs?: number;
}

/**
 * A kernel host in a worker thread of this process: local runs of a student's own code. It
 * starts in a fraction of a second and carries the same commands and replies as the process
 * kernel, but a busy loop blocks only its thread: the watchdog stops it (the thread is
 * terminated) with the process kernel's message, and the next command starts a new one. No
 * sandbox: it runs the student's code on the student's machine.
 */
export class ThreadTransport implements Transport {
  readonly sandbox: SandboxInfo = { level: 'in-process', description: 'a thread of the test process: no sandbox (your own code on your own machine)' };
  private worker: Worker | undefined;
  private starting: Promise<Worker> | undefined;
  private pending = new Map<string, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  constructor(private readonly options: ThreadTransportOptions = {}) {}

  private ensure(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= this.spawn().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawn(): Promise<Worker> {
    const worker = new Worker(await threadKernelScript());
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', (e) => reject(new KernelFailure(`the kernel thread failed to start: ${e.message}`, 'infrastructure')));
    });
    worker.on('message', (m: { id?: string; reply?: Reply }) => {
      const waiter = m.id === undefined ? undefined : this.pending.get(m.id);
      if (!waiter) return;
      this.pending.delete(m.id!);
      waiter.resolve(m.reply!);
    });
    worker.on('error', (e) => this.stop(worker, new KernelFailure(`the kernel thread crashed: ${e.message}`, 'crash')));
    worker.on('exit', (code) => this.stop(worker, new KernelFailure(`the kernel thread ended (exit code ${code})`, 'crash')));
    this.worker = worker;
    return worker;
  }

  private stop(worker: Worker, failure: KernelFailure): void {
    if (this.worker === worker) this.worker = undefined;
    for (const w of this.pending.values()) w.reject(failure);
    this.pending.clear();
    void worker.terminate();
  }

  async request(cmd: Command, what: string): Promise<Reply> {
    const worker = await this.ensure();
    const id = randomUUID();
    return new Promise<Reply>((resolve, reject) => {
      // This process's CPU time: while a command runs, the test thread only waits for it.
      const dog = watchdog({
        budget: this.options.budgetMs ?? 2000,
        cpu: () => {
          const u = process.cpuUsage();
          return (u.user + u.system) / 1000;
        },
        what,
        expire: (failure) => {
          this.pending.delete(id);
          reject(failure);
          this.stop(worker, failure);
        },
      });
      this.pending.set(id, {
        resolve: (r) => {
          dog.stop();
          resolve(r);
        },
        reject: (e) => {
          dog.stop();
          reject(e);
        },
      });
      try {
        worker.postMessage({ id, cmd });
      } catch (err) {
        dog.stop();
        this.pending.delete(id);
        reject(new KernelFailure(`could not send to the kernel: ${err instanceof Error ? err.message : String(err)}`, 'crash'));
      }
    });
  }

  async output(): Promise<string> {
    return '';
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}

export interface ProcessTransportOptions {
  /** Folders the kernel may read: the bundled submission (its folder). */
  readonly readOnly: readonly string[];
  /** The pre-built kernel program (default: built on first use). */
  readonly script?: string;
  /** The node binary for kernels (default: the running one, staged where the kernel's uid can reach it). */
  readonly node?: string;
  /** Real-time budget for one command before the kernel is declared unresponsive (default 2000 ms). */
  readonly budgetMs?: number;
  readonly limits?: Partial<SandboxLimits>;
  /** The uid of this submission's kernels (the grader leases one per submission); default: leased here. */
  readonly uid?: number;
  readonly prefer?: 'auto' | 'fallback';
  /** Largest reply accepted from the kernel (default 64 MiB): a larger one stops the kernel. */
  readonly maxReplyBytes?: number;
  /** Pass what the student's code prints on to this process (a local run: the student's own output). */
  readonly echo?: boolean;
}

/** A live kernel process and the trusted end of its channel. */
interface Kernel {
  readonly sandbox: SandboxedChild;
  readonly channel: TrustedEnd;
}

/**
 * A sandboxed child process running the kernel host. It is started on first use and
 * reused across sessions (each boot starts from a clean state); if it dies or hangs, it is
 * killed and the next request starts a new one. Replies come over an authenticated,
 * bounded channel (kernels/process/channel.ts): a forged, oversized or unasked-for reply
 * stops the kernel and fails the test in plain words.
 */
export class ProcessTransport implements Transport {
  private kernel: Kernel | undefined;
  private starting: Promise<Kernel> | undefined;
  private pending = new Map<string, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private info: SandboxInfo = { level: 'fallback', description: 'not started yet' };
  private lastOutput = '';
  private meter: TreeCpu | undefined;
  private lease: UidLease | undefined;
  /** Set once starting a kernel failed for good: later tests fail at once, not after three more tries each. */
  private unstartable: KernelFailure | undefined;

  constructor(private readonly options: ProcessTransportOptions) {}

  get sandbox(): SandboxInfo {
    return this.info;
  }

  /** Starts the kernel process now (to measure or hide the cold start). */
  async warm(): Promise<void> {
    await this.ensure();
  }

  private ensure(): Promise<Kernel> {
    if (this.kernel) return Promise.resolve(this.kernel);
    if (this.unstartable) return Promise.reject(this.unstartable);
    this.starting ??= this.spawnWithRetry().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /**
   * No student code runs before the kernel says it is ready, so a failed start is the
   * machine's fault (load, process limits, a broken sandbox), not the submission's: try again,
   * then give up with an 'infrastructure' failure, which is never a mark.
   */
  private async spawnWithRetry(): Promise<Kernel> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.spawn();
      } catch (err) {
        if (attempt >= 3) {
          const why = err instanceof Error ? err.message : String(err);
          this.unstartable = new KernelFailure(`could not start a kernel for this submission: ${why}`, 'infrastructure');
          throw this.unstartable;
        }
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  private async spawn(): Promise<Kernel> {
    const script = this.options.script ?? (await kernelChildScript());
    if (this.options.uid === undefined) this.lease ??= leaseUid();
    const sandbox = await spawnSandboxed({
      script,
      readOnly: [...this.options.readOnly],
      // RLIMIT_NPROC counts threads: a kernel needs few (no I/O), so keep its pools small
      // and allow for several kernels of one submission, plus ones still being reaped.
      limits: { processes: 128, ...this.options.limits },
      uid: this.options.uid ?? this.lease?.uid,
      prefer: this.options.prefer,
      node: this.options.node,
      channel: 'pipe',
      nodeArgs: [
        '--enable-source-maps',
        '--stack-size=2000',
        '--v8-pool-size=2',
        // The realm student code shares with the host: built-ins frozen, no code from strings
        // (see kernels/host/lockdown.ts).
        '--frozen-intrinsics',
        '--disallow-code-generation-from-strings',
        '--disable-warning=ExperimentalWarning',
      ],
      env: { NODE_ENV: 'production', UV_THREADPOOL_SIZE: '2' },
    });
    this.info = { level: sandbox.level, description: sandbox.description };
    if (this.options.echo) {
      sandbox.child.stdout?.on('data', (d: Buffer) => process.stdout.write(d));
      sandbox.child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
    }
    const socket = sandbox.child.stdio[3] as (Readable & Writable) | null;
    if (!socket) {
      await sandbox.kill();
      throw new Error('the kernel process has no channel on fd 3');
    }
    let onValue: (v: unknown) => void = () => {};
    let onViolation: (v: ChannelViolation) => void = () => {};
    const channel = new TrustedEnd({
      input: socket,
      output: socket,
      maxFrameBytes: this.options.maxReplyBytes ?? MAX_FRAME_BYTES,
      onValue: (v) => onValue(v),
      onViolation: (v) => onViolation(v),
    });
    const kernel: Kernel = { sandbox, channel };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the kernel process did not start within 60 s')), 60_000);
      onValue = (m) => {
        clearTimeout(timer);
        if ((m as { ready?: boolean }).ready) resolve();
        else reject(new Error('the kernel process said something before it was ready'));
      };
      onViolation = (v) => {
        clearTimeout(timer);
        reject(new Error(`the kernel's channel failed while starting: ${v.message}`));
      };
      sandbox.exited.then((exit) => {
        clearTimeout(timer);
        const stderr = sandbox.stderr.text().trim().split('\n').slice(-3).join(' / ');
        reject(new Error(`the kernel process exited while starting (${describeExit(exit)})${stderr ? `: ${stderr}` : ''}`));
      });
    }).catch(async (err) => {
      await sandbox.kill();
      throw err;
    });
    onValue = (m) => {
      const { id, reply } = (m ?? {}) as { id?: unknown; reply?: Reply };
      const waiter = typeof id === 'string' ? this.pending.get(id) : undefined;
      if (waiter === undefined) {
        // Replies are authenticated, so this one came from the host, answering a command
        // nobody sent: the submission wrote to the host's side of the channel.
        this.fail(
          kernel,
          new KernelFailure(
            'the submission tampered with the channel between the kernel and the tests (a reply nobody asked for); the kernel was stopped',
            'tamper',
          ),
        );
        return;
      }
      this.pending.delete(id as string);
      waiter.resolve(reply!);
    };
    onViolation = (v) => {
      const how = v.kind === 'oversize' ? `${v.message}` : `the submission tampered with the channel between the kernel and the tests: ${v.message}`;
      this.fail(kernel, new KernelFailure(`${how}; the kernel was stopped`, v.kind));
    };
    sandbox.exited.then(async (exit) => {
      if (this.kernel !== kernel) return;
      this.kernel = undefined;
      this.lastOutput = sandbox.stdout.text();
      this.rejectAll(exitFailure(exit));
    });
    this.kernel = kernel;
    this.meter = new TreeCpu(sandbox.child.pid);
    return kernel;
  }

  async request(cmd: Command, what: string): Promise<Reply> {
    const kernel = await this.ensure();
    const id = randomUUID();
    const meter = this.meter;
    return new Promise<Reply>((resolve, reject) => {
      const dog = watchdog({
        budget: this.options.budgetMs ?? 2000,
        cpu: (fresh) => (fresh ? meter?.fresh() : meter?.now()),
        what,
        expire: (failure) => {
          this.pending.delete(id);
          reject(failure);
          void this.discard(kernel);
        },
      });
      this.pending.set(id, {
        resolve: (r) => {
          dog.stop();
          resolve(r);
        },
        reject: (e) => {
          dog.stop();
          reject(e);
        },
      });
      try {
        kernel.channel.send({ id, cmd });
      } catch (err) {
        dog.stop();
        this.pending.delete(id);
        reject(new KernelFailure(`could not send to the kernel: ${err instanceof Error ? err.message : String(err)}`, 'crash'));
      }
    });
  }

  private fail(kernel: Kernel, failure: KernelFailure): void {
    this.rejectAll(failure);
    void this.discard(kernel);
  }

  private rejectAll(failure: KernelFailure): void {
    for (const waiter of this.pending.values()) waiter.reject(failure);
    this.pending.clear();
  }

  private async discard(kernel: Kernel): Promise<void> {
    if (this.kernel === kernel) {
      this.kernel = undefined;
      this.lastOutput = kernel.sandbox.stdout.text();
    }
    kernel.channel.close();
    await kernel.sandbox.kill();
  }

  async output(): Promise<string> {
    return this.kernel ? this.kernel.sandbox.stdout.text() : this.lastOutput;
  }

  async close(): Promise<void> {
    const kernel = this.kernel;
    this.kernel = undefined;
    if (kernel) await this.discard(kernel);
    this.lease?.release();
    this.lease = undefined;
  }
}

/**
 * Watches one command. The budget is CPU time of the kernel (when the host can measure it): a
 * kernel that waited for the processor because the machine is busy is not stuck. A wall-clock
 * cap of ten budgets still applies, for a kernel that waits without computing. Where CPU time
 * cannot be measured, the budget is real time.
 */
function watchdog(o: { budget: number; cpu: (fresh: boolean) => number | undefined; what: string; expire: (f: KernelFailure) => void }): { stop(): void } {
  // A cheap reading to start from; a verdict rescans (a cheap one can only overstate the time used).
  const cpuAtStart = o.cpu(false);
  const wallAtStart = Date.now();
  const wallCap = o.budget * 10;
  const watch = (): void => {
    const used = cpuAtStart === undefined ? undefined : (o.cpu(true) ?? Infinity) - cpuAtStart;
    const wall = Date.now() - wallAtStart;
    // A kernel that keeps computing on a crowded machine reaches its CPU budget in the end (the
    // verdict then names the busy loop); the ten-budget wall cap is for one that waits without
    // computing, and sixty budgets stop anything in between.
    const cap = used !== undefined && used >= o.budget * 0.25 ? o.budget * 60 : wallCap;
    if (used !== undefined && used < o.budget * 0.9 && wall < cap) {
      timer = setTimeout(watch, Math.max(50, o.budget - used));
      return;
    }
    const why =
      used === undefined
        ? `gave no answer within ${formatMs(o.budget)} (a busy loop, or a handler that never returns?)`
        : used >= o.budget * 0.9
          ? `used ${formatMs(o.budget)} of CPU time without answering (a busy loop, or a handler that never returns?)`
          : `gave no answer within ${formatMs(cap)} of real time, using little CPU (is it blocked waiting for something?)`;
    o.expire(new KernelFailure(`the submission stopped responding while handling ${o.what}: it ${why}; the kernel was stopped`, 'timeout'));
  };
  let timer = setTimeout(watch, o.budget);
  return { stop: () => clearTimeout(timer) };
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
