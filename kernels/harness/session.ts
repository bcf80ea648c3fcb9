// The harness: what public and hidden tests use to drive a student's system. A session
// boots a fresh system (fresh module instances, one per kernel) with a seed, then sends,
// asks, receives what the system sends to the test, moves virtual time, reads the trace
// and injects faults. It runs the same against an in-process kernel and a sandboxed
// process kernel: the transport is configuration, not test code.
//
// Every message crossing to the system is checked against the exercise protocol's
// `toSystem` schema, and every message coming back against `fromSystem`: a malformed
// message fails the test with the field and what was expected, not a stack trace.
import { describeIssues, messageType, type Issue } from './protocol-issues.ts';
import type { SchemaLike } from '../../runtime/pattern.ts';
import { toMatcher } from '../../runtime/pattern.ts';
import type { ChartEntry } from '../../runtime/trace.ts';
import type { ExitReason } from '../../runtime/exit.ts';
import type { ProcessInfo } from '../../runtime/kernel.ts';
import type { Ref } from '../../runtime/ref.ts';
import type { RunReport } from '../../runtime/scheduler.ts';
import type { Command, Delivered, Fault, RunResult } from '../host/host.ts';
import type { NetworkOptions } from '../simulated/network.ts';
import { KernelFailure, type SandboxInfo, type Transport } from './transport.ts';

export interface Protocol {
  /** Messages the test (or a client) sends into the system. */
  readonly toSystem?: SchemaLike;
  /** Messages the system sends back to the test. */
  readonly fromSystem?: SchemaLike;
}

export interface SessionOptions {
  readonly transport: Transport;
  /** The bundled submission (see prepareBundle). */
  readonly bundle: string;
  readonly seed: number;
  readonly kernels?: number;
  readonly network?: NetworkOptions;
  readonly protocol?: Protocol;
}

/** A failure the student should read: the property the harness itself enforces (protocol, liveness). */
export class HarnessError extends Error {
  override name = 'HarnessError';
}

export class ProtocolError extends HarnessError {
  override name = 'ProtocolError';
}

/** An `ask` got no reply within its timeout (the system ran, and answered nothing). */
export class NoReplyError extends HarnessError {
  override name = 'NoReplyError';
}

export interface TimeoutOptions {
  /** Virtual ms to wait (default 5000). */
  readonly timeout?: number;
  /** Which kernel's test process sends (default 0). */
  readonly kernel?: number;
}

export class Session {
  private buffered: Delivered[] = [];
  private closed = false;

  private constructor(
    private readonly transport: Transport,
    private readonly protocol: Protocol,
    /** The test's own process on kernel 0: put it in messages as a reply address. */
    readonly self: Ref,
  ) {}

  static async open(options: SessionOptions): Promise<Session> {
    const reply = await options.transport.request(
      {
        op: 'boot',
        bundle: options.bundle,
        seed: options.seed,
        kernels: options.kernels,
        network: options.network,
      },
      'start-up (loading your module)',
    );
    if (!reply.ok) throw new HarnessError(reply.error.message);
    const { tester } = reply.value as { tester: Ref };
    return new Session(options.transport, options.protocol ?? {}, tester);
  }

  get sandbox(): SandboxInfo {
    return this.transport.sandbox;
  }

  private async call<T>(cmd: Command, what: string): Promise<T> {
    if (this.closed) throw new HarnessError('this session is closed');
    const reply = await this.transport.request(cmd, what);
    if (!reply.ok) throw new HarnessError(reply.error.message);
    return reply.value as T;
  }

  /** Calls the student's exported `entry(self, ...args)` on a kernel; returns what it returned. */
  start<T = Ref>(entry: string, ...args: unknown[]): Promise<T> {
    return this.startOn<T>(0, entry, ...args);
  }

  startOn<T = Ref>(kernel: number, entry: string, ...args: unknown[]): Promise<T> {
    return this.call<T>({ op: 'start', entry, args, kernel }, `${entry}(...)`);
  }

  async send(to: Ref | string, msg: unknown, options: { kernel?: number } = {}): Promise<void> {
    this.check(this.protocol.toSystem, msg, 'the test tried to send');
    await this.call({ op: 'send', to, msg, kernel: options.kernel }, `send ${label(msg)}`);
  }

  /**
   * Request/reply: builds the request around a fresh reply address, sends it, and runs the
   * system until the reply arrives or `timeout` virtual ms pass (then: a NoReplyError). A
   * reply after the timeout is dropped by the kernel, never seen later.
   */
  async ask<R = unknown>(to: Ref | string, make: (replyTo: Ref) => unknown, options: TimeoutOptions = {}): Promise<R> {
    const timeout = options.timeout ?? 5000;
    const alias = await this.call<Ref>({ op: 'alias', kernel: options.kernel }, 'ask');
    const request = make(alias);
    await this.send(to, request, options);
    let got: Delivered | undefined;
    try {
      got = await this.take((d) => d.alias === alias.alias, timeout, `ask ${label(request)}`);
    } catch (err) {
      // A kernel that died or hung took the alias with it: dropping it would start a new
      // kernel only to fail. Otherwise the clean-up must not hide the error being reported.
      if (!(err instanceof KernelFailure)) await this.call({ op: 'unalias', alias }, 'ask').catch(() => {});
      throw err;
    }
    await this.call({ op: 'unalias', alias }, 'ask');
    if (got === undefined) {
      throw new NoReplyError(`no reply to ${label(request)} within ${timeout} ms (virtual time)`);
    }
    return got.msg as R;
  }

  /**
   * The next message the system sent to the test that matches `pattern` (a predicate, zod
   * schema or shape), running the system until one arrives or `timeout` virtual ms pass.
   * Returns undefined on timeout. Messages that do not match stay, in order.
   */
  async receive<T = unknown>(pattern?: unknown, options: { timeout?: number } = {}): Promise<T | undefined> {
    const match = pattern === undefined ? () => true : toMatcher(pattern);
    const got = await this.take((d) => d.alias === undefined && match(d.msg), options.timeout ?? 5000, 'receive');
    return got?.msg as T | undefined;
  }

  /** Every message received so far and not yet taken, in arrival order (without running). */
  get inbox(): readonly unknown[] {
    return this.buffered.filter((d) => d.alias === undefined).map((d) => d.msg);
  }

  private async take(test: (d: Delivered) => boolean, timeout: number, what: string): Promise<Delivered | undefined> {
    let deadline: number | undefined;
    for (;;) {
      const i = this.buffered.findIndex(test);
      if (i >= 0) return this.buffered.splice(i, 1)[0];
      const ms = deadline === undefined ? timeout : deadline - this.lastNow;
      if (ms < 0) return undefined;
      const result = await this.run({ op: 'run', until: 'inbox', ms }, what);
      deadline ??= result.startedAt + timeout;
      switch (result.report.stoppedBy) {
        case 'condition':
          continue; // something arrived: look at it
        case 'max-steps':
          throw new HarnessError(
            `while waiting (${what}), the system kept running for ${result.report.steps} steps without going idle (a message loop that never ends?)`,
          );
        default:
          // idle: nothing more can ever arrive; max-time: the deadline passed.
          if (this.buffered.findIndex(test) < 0) return undefined;
      }
    }
  }

  private lastNow = 0;

  private async run(cmd: Extract<Command, { op: 'run' }>, what: string): Promise<RunResult> {
    const result = await this.call<RunResult>(cmd, what);
    this.lastNow = result.report.now;
    for (const d of result.inbox) {
      this.check(this.protocol.fromSystem, d.msg, `${d.from} sent the test`);
      this.buffered.push(d);
    }
    return result;
  }

  /** Runs until nothing is left to do (or a limit). `pendingTimers` counts live timers of live processes. */
  async runUntilIdle(options: { maxSteps?: number; maxTime?: number } = {}): Promise<RunReport & { pendingTimers: number }> {
    const result = await this.run({ op: 'run', until: 'idle', ms: options.maxTime, maxSteps: options.maxSteps }, 'run until idle');
    return { ...result.report, pendingTimers: result.pendingTimers };
  }

  /** Moves virtual time forward by `ms`, running everything due. */
  async advance(ms: number, options: { maxSteps?: number } = {}): Promise<RunReport & { pendingTimers: number }> {
    const result = await this.run({ op: 'run', until: 'time', ms, maxSteps: options.maxSteps }, `advance ${ms} ms`);
    return { ...result.report, pendingTimers: result.pendingTimers };
  }

  /** The sequence chart of message traffic (last `last` lines). */
  chart(last?: number): Promise<ChartEntry[]> {
    return this.call<{ lines: ChartEntry[] }>({ op: 'trace', last }, 'trace').then((r) => r.lines);
  }

  /** The whole trace as JSON (events and process names), for properties read from the trace. */
  async trace(): Promise<{ names: Record<string, string>; events: TraceRecord[]; truncated: number }> {
    const r = await this.call<{ json: { names: Record<string, string>; events: TraceRecord[]; truncated: number } }>({ op: 'trace', json: true }, 'trace');
    return r.json;
  }

  info(ref: Ref): Promise<ProcessInfo | null> {
    return this.call({ op: 'info', ref }, 'info');
  }

  whereis(name: string, kernel = 0): Promise<Ref | null> {
    return this.call({ op: 'whereis', name, kernel }, 'whereis');
  }

  /** exit/2 from the test: e.g. kill a worker to check that its supervisor restarts it. */
  async exit(to: Ref, reason: ExitReason): Promise<void> {
    await this.call({ op: 'exit', to, reason }, 'exit');
  }

  async fault(fault: Fault): Promise<void> {
    await this.call({ op: 'fault', fault }, `fault ${fault.kind}`);
  }

  partition(a: readonly number[], b: readonly number[]): Promise<void> {
    return this.fault({ kind: 'partition', a, b });
  }

  heal(): Promise<void> {
    return this.fault({ kind: 'heal' });
  }

  crash(kernel: number): Promise<void> {
    return this.fault({ kind: 'crash', kernel });
  }

  /** Brings a crashed kernel back with a fresh instance of the student's module. */
  restart(kernel: number): Promise<void> {
    return this.fault({ kind: 'restart', kernel });
  }

  network(options: NetworkOptions): Promise<void> {
    return this.fault({ kind: 'network', options });
  }

  /** What the student's code printed (process kernels). */
  output(): Promise<string> {
    return this.transport.output();
  }

  close(): void {
    this.closed = true;
  }

  private check(schema: SchemaLike | undefined, msg: unknown, who: string): void {
    if (!schema) return;
    const result = schema.safeParse(msg) as { success: boolean; error?: { issues?: Issue[] } };
    if (result.success) return;
    const issues = describeIssues(result.error?.issues ?? [], msg).join('; ');
    const type = messageType(msg);
    throw new ProtocolError(
      `${who} a message${type === undefined ? '' : ` of type "${type}"`} that does not follow the protocol: ${issues || 'it does not match any message type'}. The message was ${preview(msg)}`,
    );
  }
}

export type TraceRecord = { seq: number; t: number; kind: string; [field: string]: unknown };

function label(msg: unknown): string {
  if (typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string') {
    return `"${(msg as { type: string }).type}"`;
  }
  return preview(msg);
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof ArrayBuffer ? `ArrayBuffer(${v.byteLength})` : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}
