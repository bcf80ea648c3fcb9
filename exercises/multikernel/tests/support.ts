// What the multikernel tests share: booting one monitor per kernel, clients that issue
// reads and updates at chosen kernels, and reading histories and message counts from the
// trace. Clients talk to the monitor of their own kernel (that message never crosses the
// network, so faults hit only the monitors' own traffic) and get replies there.
import { formatReason, isRef, type Ref } from '#runtime';
import {
  lastSeq,
  NoReplyError,
  sends as sendsOf,
  systemMessages as betweenProcesses,
  testPids as testers,
  type PropertyContext,
  type Session,
  type TraceRecord,
} from '#harness';
import type { UpdateReply, Value } from '../protocol.ts';

export type NetworkOptions = NonNullable<Parameters<PropertyContext['open']>[0]>['network'];

/** The resend interval the tests give every monitor (virtual ms). */
export const RETRY = 50;

export interface ClientOp {
  readonly id: number;
  readonly kind: 'read' | 'map' | 'unmap';
  readonly kernel: number;
  readonly page: number;
  readonly frame?: number;
  /** Virtual time the request was sent. */
  readonly sentAt: number;
  reply?: Value | UpdateReply;
  repliedAt?: number;
  /** Replies after the first (there must be none). */
  extra: (Value | UpdateReply)[];
}

type Reply = Value | UpdateReply;
const isReply = (m: unknown): m is Reply => {
  const t = (m as { type?: unknown })?.type;
  return t === 'value' || t === 'done' || t === 'failed';
};

/** Plain words for an operation, for failure messages. */
export function describeOp(op: ClientOp): string {
  const what = op.kind === 'read' ? `read(page ${op.page})` : op.kind === 'map' ? `map(page ${op.page} → frame ${op.frame})` : `unmap(page ${op.page})`;
  return `${what} at kernel ${op.kernel} [id ${op.id}]`;
}

export function describeReply(r: Reply | undefined): string {
  if (!r) return 'no reply';
  if (r.type === 'value') return r.frame === null ? 'not mapped' : `frame ${r.frame}`;
  if (r.type === 'done') return `done (seq ${r.seq})`;
  return `failed (${r.reason})`;
}

export class Cluster {
  readonly ops = new Map<number, ClientOp>();
  private nextId: number;
  private clock = 0;
  /** Kernels the test crashed. */
  readonly crashed = new Set<number>();

  private constructor(
    readonly ctx: PropertyContext,
    readonly s: Session,
    readonly n: number,
    readonly monitors: Ref[],
    /** The test's own process on each kernel: clients' replies go there. */
    readonly clients: Ref[],
    firstId = 1,
  ) {
    this.nextId = firstId;
  }

  /**
   * Starts a monitor on each kernel, sends every one the `peers` list, and checks that each
   * answers a read. With `session`, a second cluster (a second table) in a system that has
   * one already; `firstId` keeps its requests' ids apart from the first's.
   */
  static async boot(
    ctx: PropertyContext,
    options: { kernels: number; network?: NetworkOptions; retry?: number; session?: Session; firstId?: number },
  ): Promise<Cluster> {
    const s = options.session ?? (await ctx.open({ kernels: options.kernels, network: options.network }));
    const monitors: Ref[] = [];
    for (let k = 0; k < options.kernels; k++) {
      const ref = await s.startOn<unknown>(k, 'startMonitor', { kernel: k, retry: options.retry ?? RETRY });
      ctx.check(isRef(ref), `startMonitor on kernel ${k} returned ${JSON.stringify(ref)}; expected the Ref of the monitor it spawned`);
      ctx.check(ref.kernel === k, `startMonitor on kernel ${k} returned a process on kernel ${ref.kernel}: each kernel's monitor must run on that kernel`);
      monitors.push(ref);
    }
    for (let k = 0; k < options.kernels; k++) await s.send(monitors[k]!, { type: 'peers', monitors }, { kernel: k });
    const clients: Ref[] = [];
    for (let k = 0; k < options.kernels; k++) {
      let client: Ref | undefined;
      try {
        await s.ask(
          monitors[k]!,
          (replyTo) => {
            client = { kernel: replyTo.kernel, pid: replyTo.pid };
            return { type: 'read', id: -1 - k, page: 0, replyTo };
          },
          { kernel: k, timeout: 200 },
        );
      } catch (err) {
        // Only silence is "did not answer": a malformed reply or a dead kernel says so itself.
        if (!(err instanceof NoReplyError)) throw err;
        const info = await s.info(monitors[k]!);
        if (info && !info.alive)
          ctx.fail(
            `the monitor on kernel ${k} exited (${formatReason(info.reason ?? 'normal')}) after it got peers and a read: a monitor must keep running, and must not throw`,
          );
        ctx.fail(
          `the monitor on kernel ${k} did not answer a read of page 0 within 200 ms. Reads are served at once from the local replica: reply { type: 'value', id, page, frame: null } to replyTo`,
        );
      }
      clients.push(client!);
    }
    return new Cluster(ctx, s, options.kernels, monitors, clients, options.firstId);
  }

  get live(): number[] {
    return [...Array(this.n).keys()].filter((k) => !this.crashed.has(k));
  }

  /** Virtual time (as of the last run). */
  get now(): number {
    return this.clock;
  }

  private async issue(kind: ClientOp['kind'], kernel: number, page: number, frame?: number): Promise<ClientOp> {
    const id = this.nextId++;
    const op: ClientOp = { id, kind, kernel, page, frame, sentAt: this.clock, extra: [] };
    this.ops.set(id, op);
    const replyTo = this.clients[kernel]!;
    const msg =
      kind === 'read' ? { type: 'read', id, page, replyTo } : kind === 'map' ? { type: 'map', id, page, frame, replyTo } : { type: 'unmap', id, page, replyTo };
    await this.s.send(this.monitors[kernel]!, msg, { kernel });
    return op;
  }

  read(kernel: number, page: number): Promise<ClientOp> {
    return this.issue('read', kernel, page);
  }

  map(kernel: number, page: number, frame: number): Promise<ClientOp> {
    return this.issue('map', kernel, page, frame);
  }

  unmap(kernel: number, page: number): Promise<ClientOp> {
    return this.issue('unmap', kernel, page);
  }

  private record(m: Reply): void {
    const op = this.ops.get(m.id);
    if (!op) return;
    if (op.reply === undefined) {
      op.reply = m;
      op.repliedAt = this.clock;
    } else {
      op.extra.push(m);
    }
  }

  /** Takes every reply to this cluster's requests already received (another cluster's stay). */
  private async drain(): Promise<void> {
    const mine = (m: unknown): m is Reply => isReply(m) && this.ops.has(m.id);
    while (this.s.inbox.some(mine)) {
      const m = await this.s.receive<Reply>(mine, { timeout: 0 });
      if (m === undefined) break;
      this.record(m);
    }
  }

  /** Runs the system for `ms` virtual ms, filing replies. */
  async advance(ms: number): Promise<void> {
    const r = await this.s.advance(ms);
    this.clock = r.now;
    await this.drain();
  }

  /**
   * Runs until every op in `ops` has its reply or `within` virtual ms have passed. Returns
   * the ops still without a reply.
   */
  async await(ops: readonly ClientOp[], within: number): Promise<ClientOp[]> {
    const deadline = this.clock + within;
    await this.drain();
    for (;;) {
      const open = ops.filter((o) => o.reply === undefined);
      if (open.length === 0) return [];
      const left = deadline - this.clock;
      if (left < 0) {
        await this.checkMonitorsAlive();
        return open;
      }
      const ids = new Set(open.map((o) => o.id));
      const m = await this.s.receive<Reply>((x: unknown) => isReply(x) && ids.has(x.id), { timeout: left });
      const report = await this.s.advance(0);
      this.clock = report.now;
      if (m === undefined) {
        await this.drain();
        const still = ops.filter((o) => o.reply === undefined);
        if (still.length > 0) await this.checkMonitorsAlive();
        return still;
      }
      this.record(m);
      await this.drain();
    }
  }

  /** Runs until one more op in `ops` has its reply (true), or `within` virtual ms have passed (false). */
  async awaitAny(ops: readonly ClientOp[], within: number): Promise<boolean> {
    await this.drain();
    const open = ops.filter((o) => o.reply === undefined);
    if (open.length < ops.length || open.length === 0) return true;
    const ids = new Set(open.map((o) => o.id));
    const m = await this.s.receive<Reply>((x: unknown) => isReply(x) && ids.has(x.id), { timeout: within });
    this.clock = (await this.s.advance(0)).now;
    if (m !== undefined) this.record(m);
    await this.drain();
    if (m === undefined) await this.checkMonitorsAlive();
    return m !== undefined;
  }

  /** Fails the test, saying why, if the monitor of a kernel the test did not crash has exited. */
  async checkMonitorsAlive(): Promise<void> {
    for (const k of this.live) {
      const info = await this.s.info(this.monitors[k]!);
      if (info && !info.alive) {
        this.ctx.fail(
          `the monitor on kernel ${k} exited (${formatReason(info.reason ?? 'normal')}), so requests there got no reply. ` +
            'A monitor must keep running: a handler that throws ends the process',
        );
      }
    }
  }

  /**
   * The update of `page` that `kernel`'s monitor got a prepare of, from any sender, and no
   * commit of after it, in words: why a read of that page there waits. Undefined if none.
   */
  async stuckUpdate(kernel: number, page: number): Promise<string | undefined> {
    const trace = await this.s.trace();
    const to = this.monitors[kernel]!.pid;
    // Only what arrived counts: a commit lost by the network is no commit.
    const delivered = new Set<number>();
    for (const e of trace.events) if (e.kind === 'deliver' && e.to === to) delivered.add(e.id as number);
    let open: SendEvent | undefined;
    for (const e of sends(trace)) {
      if (e.to !== to || !delivered.has(e.id as number)) continue;
      const update = e.msg?.update as { page?: number } | undefined;
      if (e.msg?.type === 'prepare' && update?.page === page) open = e;
      else if (e.msg?.type === 'commit' && open !== undefined && e.msg.seq === open.msg.seq) open = undefined;
    }
    if (open === undefined) return undefined;
    return `: kernel ${kernel} got a prepare of update ${String(open.msg.seq)} (page ${page}) at t=${open.t} and no commit of it since, so its reads of page ${page} wait for a commit that never came`;
  }

  /** Runs until the system is idle (or `maxTime`): returns how it stopped and the timers left. */
  async idle(maxTime = 10_000): Promise<{ idle: boolean; now: number; pendingTimers: number }> {
    const r = await this.s.runUntilIdle({ maxTime, maxSteps: 500_000 });
    this.clock = r.now;
    await this.drain();
    return { idle: r.stoppedBy === 'idle', now: r.now, pendingTimers: r.pendingTimers };
  }

  async crash(kernel: number): Promise<void> {
    this.crashed.add(kernel);
    await this.s.crash(kernel);
  }

  /** Checks that no op got more than one reply. */
  checkSingleReplies(): void {
    for (const op of this.ops.values()) {
      this.ctx.check(
        op.extra.length === 0,
        `${describeOp(op)} got ${op.extra.length + 1} replies (${[op.reply, ...op.extra].map(describeReply).join(', ')}); each request gets exactly one`,
      );
    }
  }

  /** Reads `pages` at every live kernel, at once; returns kernel → page → frame. `hint` adds words about a kernel whose read got no reply. */
  async readAll(pages: readonly number[], within = 1000, hint?: (kernel: number) => Promise<string>): Promise<Map<number, Map<number, number | null>>> {
    const issued: ClientOp[] = [];
    for (const k of this.live) for (const p of pages) issued.push(await this.read(k, p));
    const open = await this.await(issued, within);
    if (open.length > 0) {
      const o = open[0]!;
      const stuck = await this.stuckUpdate(o.kernel, o.page);
      this.ctx.fail(
        `${plural(open.length, 'read')} got no reply within ${within} ms, e.g. ${describeOp(o)}` +
          (stuck ?? ': a read is answered at once from the local replica; it may wait only while an update of that page is between prepare and commit') +
          (hint ? await hint(o.kernel) : ''),
      );
    }
    const out = new Map<number, Map<number, number | null>>();
    for (const op of issued) {
      if (!out.has(op.kernel)) out.set(op.kernel, new Map());
      out.get(op.kernel)!.set(op.page, (op.reply as Value).frame);
    }
    return out;
  }
}

/**
 * Sends one update and waits up to `within` ms for its reply; fails unless it is `done`.
 * `hint` follows the failure message when no reply came. Returns the update's seq.
 */
export async function mustUpdate(ctx: PropertyContext, c: Cluster, op: Promise<ClientOp>, within = 2000, hint = ''): Promise<number> {
  const o = await op;
  await c.await([o], within);
  ctx.check(o.reply !== undefined, `${describeOp(o)} got no reply within ${within} ms${hint}`);
  ctx.check(o.reply.type === 'done', `${describeOp(o)} was answered ${describeReply(o.reply)}; expected done (the sequencer is up)`);
  return o.reply.seq;
}

// ---- The trace -------------------------------------------------------------------------

export interface Trace {
  readonly names: Record<string, string>;
  readonly events: TraceRecord[];
}

/** Pids of the test's own processes (one per kernel, named 'test'). */
export function testPids(trace: Trace): Set<number> {
  return testers({ ...trace, truncated: 0 });
}

export type SendEvent = TraceRecord & { kind: 'send'; from: number; to: number; msg: Record<string, unknown> };

export function sends(trace: Trace): SendEvent[] {
  return sendsOf({ ...trace, truncated: 0 }) as SendEvent[];
}

/**
 * Messages between two different processes of the student's system (not to or from the
 * test, not a timer message a process sends itself), after trace position `after`.
 */
export function systemMessages(trace: Trace, after = -1): SendEvent[] {
  return betweenProcesses({ ...trace, truncated: 0 }, after) as SendEvent[];
}

/** The trace position of the last event so far. */
export async function tracePosition(s: Session): Promise<number> {
  return lastSeq(await s.trace());
}

/** The table after the acknowledged updates, applied in the order of their seq numbers. */
export function modelTable(ops: Iterable<ClientOp>): Map<number, number> {
  const done = [...ops]
    .filter((o) => o.kind !== 'read' && o.reply?.type === 'done')
    .sort((a, b) => (a.reply as { seq: number }).seq - (b.reply as { seq: number }).seq);
  const table = new Map<number, number>();
  for (const o of done) {
    if (o.kind === 'map') table.set(o.page, o.frame!);
    else table.delete(o.page);
  }
  return table;
}

export function frameText(f: number | null | undefined): string {
  return f === null || f === undefined ? 'not mapped' : `frame ${f}`;
}

/** "1 read", "3 reads". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
