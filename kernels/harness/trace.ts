// Reading a session's trace (`await s.trace()`) for properties that only the trace shows:
// how many messages of a type went where, in what order; which processes are still alive;
// how many things overlapped in time; and, when a system stops moving, who waits for whom.
// Every exercise's tests used to write these by hand; they live here once.
//
//   const trace = await s.trace();
//   const hops = messagesOf(trace, 'token').filter((e) => nameOf(trace, e.from) !== 'main');
//   const left = stillRunning(trace);                       // e.g. ['stage-2']
//   const busiest = maxOverlap(fetches.map((f) => ({ start: f.at, end: f.answeredAt, item: f })));
//   const cycle = waitCycle(waitsFor(trace));               // e.g. acc-0 → acc-1 → acc-0
//
// Pids are unique in a whole system (all kernels share one scheduler), so a pid names one
// process wherever it runs. Events are in the order they happened (`seq`).
import type { ExitReason } from '../../runtime/exit.ts';
import type { TraceRecord } from './session.ts';

/** What `Session.trace()` returns. */
export interface TraceJson {
  readonly names: Record<string, string>;
  readonly events: readonly TraceRecord[];
  readonly truncated: number;
}

/** A message as it was sent: `msg` is the message in plain JSON (an ArrayBuffer shows as `{ $bytes }`). */
export type SendRecord = TraceRecord & { kind: 'send'; from: number; to: number; id: number; msg: unknown };

/** The harness's own processes: `main` starts entry points, `test` (one per kernel) is the test's mailbox. */
const HARNESS = /^(main|test)(#\d+)?$/;

/** A process's name in the trace (`stage-2`, `worker-1#3` for the third incarnation), or `<pid>`. */
export function nameOf(trace: TraceJson, pid: number): string {
  return trace.names[String(pid)] ?? `<${pid}>`;
}

/** Pids of the test's own processes (named `test`, one per kernel): where replies to the test go. */
export function testPids(trace: TraceJson): Set<number> {
  const out = new Set<number>();
  for (const [pid, name] of Object.entries(trace.names)) if (/^test(#\d+)?$/.test(name)) out.add(Number(pid));
  return out;
}

/** True for the harness's own processes (`main`, `test`): not part of the student's system. */
export function isHarness(trace: TraceJson, pid: number): boolean {
  return HARNESS.test(trace.names[String(pid)] ?? '');
}

/** The type of a message (`msg.type`), or undefined. */
export function typeOf(msg: unknown): string | undefined {
  const type = (msg as { type?: unknown } | null | undefined)?.type;
  return typeof type === 'string' ? type : undefined;
}

/** Every send, in send order; with `filter`, only those that pass. */
export function sends(trace: TraceJson, filter?: (e: SendRecord) => boolean): SendRecord[] {
  const out: SendRecord[] = [];
  for (const e of trace.events) if (e.kind === 'send' && (filter === undefined || filter(e as SendRecord))) out.push(e as SendRecord);
  return out;
}

/** The messages of one type (`msg.type`), in send order; optionally only from or to a process. */
export function messagesOf(trace: TraceJson, type: string, where: { from?: number; to?: number } = {}): SendRecord[] {
  return sends(trace, (e) => typeOf(e.msg) === type && (where.from === undefined || e.from === where.from) && (where.to === undefined || e.to === where.to));
}

/**
 * Messages between two different processes of the student's system, after trace position
 * `after` (a `seq`): not to or from the harness, and not a timer message a process sends itself.
 */
export function systemMessages(trace: TraceJson, after = -1): SendRecord[] {
  return sends(trace, (e) => e.seq > after && e.from !== e.to && !isHarness(trace, e.from) && !isHarness(trace, e.to));
}

/** How each process ended, by pid (processes still alive are absent). */
export function exits(trace: TraceJson): Map<number, { t: number; reason: ExitReason }> {
  const out = new Map<number, { t: number; reason: ExitReason }>();
  for (const e of trace.events) if (e.kind === 'exit') out.set(e.pid as number, { t: e.t, reason: e.reason as ExitReason });
  return out;
}

/** An exit reason in a few words: `normal`, `shutdown`, `killed`, or the error's name and message. */
export function reasonText(reason: ExitReason | undefined): string {
  if (reason === undefined) return 'still running';
  if (typeof reason === 'string') return reason;
  const r = reason as { error?: { name?: string; message?: string } };
  if (r.error) return `${r.error.name ?? 'Error'}: ${r.error.message ?? ''}`.trim();
  return JSON.stringify(reason);
}

/** True when a process ended with an error (crashed), not `normal`, `shutdown` or a kill. */
export function crashed(reason: ExitReason | undefined): boolean {
  return typeof reason === 'object' && reason !== null && 'error' in reason;
}

/** Names of the processes of the student's system that were spawned and have not ended, in spawn order. */
export function stillRunning(trace: TraceJson): string[] {
  const alive = new Map<number, string>();
  for (const e of trace.events) {
    if (e.kind === 'spawn') {
      const pid = e.pid as number;
      if (!isHarness(trace, pid)) alive.set(pid, nameOf(trace, pid));
    } else if (e.kind === 'exit') {
      alive.delete(e.pid as number);
    }
  }
  return [...alive.values()];
}

/** Restarts recorded by supervisors, in order: which child, the old and the new process, when. */
export function restarts(trace: TraceJson): { t: number; supervisor: number; child: string; old: number; new: number }[] {
  return trace.events
    .filter((e) => e.kind === 'restart')
    .map((e) => ({ t: e.t, supervisor: e.supervisor as number, child: e.child as string, old: e.old as number, new: e.new as number }));
}

/** The trace position (`seq`) of the last event so far: pass it as `after` to look only at what follows. */
export function lastSeq(trace: TraceJson): number {
  return trace.events.length > 0 ? trace.events[trace.events.length - 1]!.seq : -1;
}

// ---- Overlap of intervals -----------------------------------------------------------------------

/** Something that lasted from `start` to `end` (virtual ms); `end` undefined: it never ended. */
export interface Interval<T> {
  readonly start: number;
  readonly end: number | undefined;
  readonly item: T;
}

/**
 * The most intervals open at one instant, when that first happened, and which they were. An
 * interval is open on [start, end): one that ends at t does not overlap one that starts at t.
 */
export function maxOverlap<T>(intervals: readonly Interval<T>[]): { count: number; at: number | undefined; items: T[] } {
  const points: { t: number; open: boolean; i: number }[] = [];
  intervals.forEach((iv, i) => {
    points.push({ t: iv.start, open: true, i });
    if (iv.end !== undefined) points.push({ t: iv.end, open: false, i });
  });
  // Ends before starts at the same instant: [a, t) and [t, b) do not overlap.
  points.sort((a, b) => a.t - b.t || Number(a.open) - Number(b.open));
  const open = new Set<number>();
  let best = { count: 0, at: undefined as number | undefined, items: [] as T[] };
  for (const p of points) {
    if (p.open) open.add(p.i);
    else open.delete(p.i);
    if (open.size > best.count) best = { count: open.size, at: p.t, items: [...open].map((i) => intervals[i]!.item) };
  }
  return best;
}

/** Whether two intervals overlap (share an instant, ends exclusive). */
export function overlaps(a: Interval<unknown>, b: Interval<unknown>): boolean {
  return a.start < (b.end ?? Infinity) && b.start < (a.end ?? Infinity);
}

// ---- Who waits for whom ----------------------------------------------------------------------------

/**
 * One process waiting for another: `waiter` sent `waitsOn` a request (a message carrying
 * the waiter's own address, as `ask` and `replyTo`/`from` fields do) and has taken nothing
 * from it out of its mailbox since.
 */
export interface Wait {
  readonly waiter: number;
  readonly waitsOn: number;
  /** The request, as sent. */
  readonly request: SendRecord;
  /** Messages delivered to the waiter that it has not taken from its mailbox (oldest first). */
  readonly unread: SendRecord[];
}

/**
 * Who waits for whom at the end of the trace, among processes still alive: for each, its
 * requests not yet answered by their recipient. Read it when a system stopped moving with
 * work unfinished; a cycle (see `waitCycle`) is a deadlock.
 */
export function waitsFor(trace: TraceJson): Wait[] {
  const ended = exits(trace);
  const byId = new Map<number, SendRecord>();
  const delivered = new Map<number, number[]>(); // pid → message ids delivered, not yet received
  /** The latest unanswered request from waiter to peer, keyed "waiter→peer". */
  const open = new Map<string, SendRecord>();
  for (const e of trace.events) {
    if (e.kind === 'send') {
      const s = e as SendRecord;
      byId.set(s.id, s);
      if (s.from !== s.to && carriesAddressOf(s.msg, s.from)) open.set(`${s.from}→${s.to}`, s);
    } else if (e.kind === 'deliver' || e.kind === 'receive') {
      // A delivery with nothing queued was taken at once (a waiting receive, a behaviour); a
      // queued one waits in the mailbox until a 'receive' event takes it.
      const pid = (e.kind === 'deliver' ? e.to : e.pid) as number;
      const id = e.id as number;
      const list = delivered.get(pid) ?? [];
      if (e.kind === 'deliver' && (e.queued as number) > 0) {
        list.push(id);
        delivered.set(pid, list);
        continue;
      }
      const i = list.indexOf(id);
      if (i >= 0) list.splice(i, 1);
      // Whatever the waiter takes from the peer answers it; a message that only sits in its
      // mailbox does not (that is how two processes asking each other wait for ever).
      const got = byId.get(id);
      if (got) open.delete(`${pid}→${got.from}`);
    }
  }
  const out: Wait[] = [];
  for (const request of open.values()) {
    if (ended.has(request.from) || ended.has(request.to)) continue;
    const unread = (delivered.get(request.from) ?? []).map((id) => byId.get(id)).filter((x): x is SendRecord => x !== undefined);
    out.push({ waiter: request.from, waitsOn: request.to, request, unread });
  }
  return out.sort((a, b) => a.request.seq - b.request.seq);
}

/** A cycle of processes each waiting for the next (a deadlock), as pids; undefined if there is none. */
export function waitCycle(waits: readonly Wait[]): number[] | undefined {
  const next = new Map<number, number[]>();
  for (const w of waits) next.set(w.waiter, [...(next.get(w.waiter) ?? []), w.waitsOn]);
  const state = new Map<number, 'open' | 'done'>();
  const path: number[] = [];
  const visit = (pid: number): number[] | undefined => {
    if (state.get(pid) === 'open') return path.slice(path.indexOf(pid));
    if (state.get(pid) === 'done') return undefined;
    state.set(pid, 'open');
    path.push(pid);
    for (const to of next.get(pid) ?? []) {
      const cycle = visit(to);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(pid, 'done');
    return undefined;
  };
  for (const pid of [...next.keys()].sort((a, b) => a - b)) {
    const cycle = visit(pid);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Does `msg` hold a reference to process `pid` (a reply address), at any depth? */
function carriesAddressOf(msg: unknown, pid: number, depth = 0): boolean {
  if (msg === null || typeof msg !== 'object' || depth > 4) return false;
  const r = msg as { kernel?: unknown; pid?: unknown };
  if (typeof r.kernel === 'number' && r.pid === pid) return true;
  return Object.values(msg).some((v) => carriesAddressOf(v, pid, depth + 1));
}
