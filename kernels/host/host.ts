// The kernel host: the side of the boundary that runs student code. It owns a cluster of
// simulated kernels (one or more), loads a fresh instance of the student's bundle into each
// kernel, and obeys commands from the test side: start an entry point, send, run, read
// the trace, inject faults. It makes no judgement: results go back as data, and all
// assertions are made on the other side of the boundary.
import { pathToFileURL } from 'node:url';
import { chartLines, type ChartEntry } from '../../runtime/trace.ts';
import type { ExitReason } from '../../runtime/exit.ts';
import type { Kernel, Proc } from '../../runtime/kernel.ts';
import { makeRef, type Ref } from '../../runtime/ref.ts';
import type { RunReport } from '../../runtime/scheduler.ts';
import { createCluster, type Cluster } from '../simulated/cluster.ts';
import type { NetworkOptions } from '../simulated/network.ts';
import { publishSharedModules } from '../loader/shared-modules.ts';
import { LOADING_KERNEL, virtualGlobals } from '../loader/virtual-globals.ts';
import { describeError, spawnEntry, type EntryOutcome } from './entry.ts';

export type Fault =
  | { readonly kind: 'partition'; readonly a: readonly number[]; readonly b: readonly number[] }
  | { readonly kind: 'heal' }
  | { readonly kind: 'crash'; readonly kernel: number }
  | { readonly kind: 'restart'; readonly kernel: number }
  | { readonly kind: 'network'; readonly options: NetworkOptions };

export type Command =
  | {
      readonly op: 'boot';
      readonly bundle: string;
      readonly seed: number;
      readonly kernels?: number;
      readonly network?: NetworkOptions;
      readonly traceLimit?: number;
    }
  | { readonly op: 'start'; readonly entry: string; readonly args: readonly unknown[]; readonly kernel?: number }
  | { readonly op: 'send'; readonly to: Ref | string; readonly msg: unknown; readonly kernel?: number }
  | { readonly op: 'alias'; readonly kernel?: number }
  | { readonly op: 'unalias'; readonly alias: Ref }
  | { readonly op: 'run'; readonly until: 'idle' | 'inbox' | 'time'; readonly ms?: number; readonly maxSteps?: number }
  | { readonly op: 'exit'; readonly to: Ref; readonly reason: ExitReason }
  | { readonly op: 'fault'; readonly fault: Fault }
  /** The chart's last `last` lines as `{ lines }`; with `json`, the whole trace as `{ json }` instead. */
  | { readonly op: 'trace'; readonly last?: number; readonly json?: boolean }
  | { readonly op: 'info'; readonly ref: Ref }
  | { readonly op: 'whereis'; readonly name: string; readonly kernel?: number };

/** A message the system sent to the test. */
export interface Delivered {
  readonly t: number;
  readonly from: string;
  readonly msg: unknown;
  /** Set when sent to an alias made by `alias` (a reply to an ask). */
  readonly alias?: number;
}

export interface RunResult {
  /** Virtual time when the run began. */
  readonly startedAt: number;
  readonly report: RunReport;
  readonly inbox: Delivered[];
  readonly pendingTimers: number;
}

export type Reply = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: HostError };

/** What went wrong on the kernel side, in words meant for a student. */
export interface HostError {
  readonly kind: 'load' | 'entry' | 'usage' | 'crash';
  readonly message: string;
}

export class KernelHost {
  private cluster: Cluster | undefined;
  private modules: Record<string, unknown>[] = [];
  private testers: Proc[] = [];
  private inbox: Delivered[] = [];
  private bundleUrl = '';
  private static instances = 0;

  async handle(cmd: Command): Promise<Reply> {
    try {
      return { ok: true, value: await this.run(cmd) };
    } catch (err) {
      if (err instanceof HostFailure) return { ok: false, error: err.error };
      return { ok: false, error: { kind: 'usage', message: err instanceof Error ? err.message : String(err) } };
    }
  }

  private async run(cmd: Command): Promise<unknown> {
    if (cmd.op === 'boot') return this.boot(cmd);
    const cluster = this.cluster;
    if (!cluster) throw new Error('the kernel has not been booted');
    switch (cmd.op) {
      case 'start':
        return this.start(cmd.entry, cmd.args, cmd.kernel ?? 0);
      case 'send':
        this.kernel(cmd.kernel ?? 0).send(this.tester(cmd.kernel ?? 0), cmd.to, cmd.msg);
        return null;
      case 'alias': {
        const tester = this.tester(cmd.kernel ?? 0);
        const alias = tester.kernel.scheduler.nextId();
        tester.aliases.add(alias);
        return makeRef(tester.kernel.id, tester.pid, alias);
      }
      case 'unalias':
        this.testers.find((t) => t.pid === cmd.alias.pid)?.aliases.delete(cmd.alias.alias!);
        return null;
      case 'run':
        return this.runFor(cmd);
      case 'exit':
        this.kernel(0).signal(undefined, cmd.to, cmd.reason);
        return null;
      case 'fault':
        return this.fault(cmd.fault);
      case 'trace': {
        // The chart is built only for callers that read it: for a long trace it is costly.
        const trace = cluster.trace!;
        if (cmd.json) return { json: trace.toJSON() };
        const lines: ChartEntry[] = chartLines(trace, { last: cmd.last });
        return { lines };
      }
      case 'info':
        return cluster.kernels[cmd.ref.kernel]?.info(cmd.ref) ?? null;
      case 'whereis':
        return this.kernel(cmd.kernel ?? 0).whereis(cmd.name) ?? null;
    }
  }

  private async boot(cmd: Extract<Command, { op: 'boot' }>): Promise<unknown> {
    publishSharedModules();
    this.cluster = createCluster({
      seed: cmd.seed,
      kernels: cmd.kernels ?? 1,
      network: cmd.network,
      // Every message in full: hidden tests read properties off the whole trace's messages.
      trace: { limit: cmd.traceLimit ?? 200_000, detail: Infinity },
    });
    this.bundleUrl = pathToFileURL(cmd.bundle).href;
    this.inbox = [];
    this.testers = [];
    this.modules = [];
    for (let k = 0; k < (cmd.kernels ?? 1); k++) {
      this.testers.push(this.makeTester(k));
      this.modules.push(await this.load(k));
    }
    return { kernels: this.modules.length, tester: this.testers[0]!.ref };
  }

  /** The test's own process on kernel k: everything sent to it lands in the inbox. */
  private makeTester(k: number): Proc {
    const kernel = this.kernel(k);
    return kernel.spawnSink('test', (env) => {
      this.inbox.push({ t: kernel.scheduler.now(), from: kernel.trace?.nameOf(env.from) ?? String(env.from), msg: env.msg, alias: env.tag });
    });
  }

  /** A fresh instance of the student's module for kernel k (module state is per kernel). */
  private async load(k: number): Promise<Record<string, unknown>> {
    const kernel = this.kernel(k);
    const g = globalThis as Record<symbol, unknown>;
    g[LOADING_KERNEL] = virtualGlobals(kernel);
    try {
      return (await import(/* @vite-ignore */ `${this.bundleUrl}?instance=${++KernelHost.instances}`)) as Record<string, unknown>;
    } catch (err) {
      throw new HostFailure({ kind: 'load', message: `your code failed while loading: ${describeError(err)}` });
    } finally {
      delete g[LOADING_KERNEL];
    }
  }

  /**
   * Calls the student's exported entry point inside a process named 'main' on kernel k,
   * runs the system until it returns, and hands back what it returned (Refs, usually).
   * 'main' stays alive afterwards, so that processes it linked to are not told it ended.
   */
  private async start(entry: string, args: readonly unknown[], k: number): Promise<unknown> {
    const fn = this.modules[k]?.[entry];
    if (typeof fn !== 'function') {
      throw new HostFailure({ kind: 'entry', message: `your module does not export a function named "${entry}"` });
    }
    let done: EntryOutcome | undefined;
    const kernel = this.kernel(k);
    const main = spawnEntry(kernel, fn, args, (outcome) => {
      done = outcome;
    });
    const report = await this.cluster!.runUntil(() => done !== undefined || !kernel.isAlive(main), { maxSteps: 1_000_000 });
    if (done === undefined) {
      const why = report.stoppedBy === 'max-steps' ? 'it kept the system busy for 1,000,000 steps' : 'it never returned (is it waiting for a message?)';
      throw new HostFailure({ kind: 'entry', message: `${entry}(...) did not finish: ${why}` });
    }
    if ('error' in done) {
      throw new HostFailure({ kind: 'entry', message: `${entry}(...) threw: ${describeError(done.error)}` });
    }
    try {
      return structuredClone(done.value);
    } catch {
      throw new HostFailure({ kind: 'entry', message: `${entry}(...) returned something that is not plain data (return Refs or plain objects)` });
    }
  }

  private async runFor(cmd: Extract<Command, { op: 'run' }>): Promise<RunResult> {
    const cluster = this.cluster!;
    const maxSteps = cmd.maxSteps ?? 1_000_000;
    const startedAt = cluster.now();
    let report: RunReport;
    if (cmd.until === 'time') {
      report = await cluster.advance(cmd.ms ?? 0, { maxSteps });
    } else if (cmd.until === 'inbox') {
      report = await cluster.runUntil(() => this.inbox.length > 0, { maxSteps, maxTime: cmd.ms });
    } else {
      report = await cluster.runUntilIdle({ maxSteps, maxTime: cmd.ms });
    }
    const inbox = this.inbox;
    this.inbox = [];
    const pendingTimers = this.pendingTimers();
    return { startedAt, report, inbox, pendingTimers };
  }

  private pendingTimers(): number {
    // Timers of the test's own processes do not count; there are none.
    return this.cluster!.kernels.reduce((n, s) => n + s.kernel.alive().reduce((m, p) => m + p.timers.size, 0), 0);
  }

  private async fault(fault: Fault): Promise<unknown> {
    const cluster = this.cluster!;
    switch (fault.kind) {
      case 'partition':
        cluster.partition(fault.a, fault.b);
        return null;
      case 'heal':
        cluster.heal();
        return null;
      case 'crash':
        cluster.crash(fault.kernel);
        return null;
      case 'restart':
        cluster.restart(fault.kernel);
        this.testers[fault.kernel] = this.makeTester(fault.kernel);
        this.modules[fault.kernel] = await this.load(fault.kernel);
        return null;
      case 'network':
        cluster.network.configure(fault.options);
        return null;
    }
  }

  private kernel(k: number): Kernel {
    const system = this.cluster!.kernels[k];
    if (!system) throw new Error(`no kernel ${k}: this system has ${this.cluster!.kernels.length}`);
    return system.kernel;
  }

  private tester(k: number): Proc {
    const t = this.testers[k];
    if (!t || t.exited) throw new Error(`kernel ${k} is down`);
    return t;
  }
}

class HostFailure extends Error {
  constructor(readonly error: HostError) {
    super(error.message);
  }
}
