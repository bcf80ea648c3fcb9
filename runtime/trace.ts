// The trace: every spawn, send, delivery, drop, exit, exit signal, restart and timer event,
// in the order the scheduler made them happen. Cheap to keep on: events are small objects
// holding the (already frozen) message itself; summaries are made only on export.
import { formatReason, type ExitReason } from './exit.ts';
import { sentByteLength } from './message.ts';
import { formatRef, type Ref } from './ref.ts';

export type DropCause = 'dead' | 'late-reply' | 'network' | 'partition' | 'kernel-down' | 'unknown-name';

export type TraceEvent =
  | { seq: number; t: number; kind: 'spawn'; pid: number; parent: number; name?: string }
  | { seq: number; t: number; kind: 'send'; from: number; to: number; id: number; msg: unknown }
  | { seq: number; t: number; kind: 'deliver'; from: number; to: number; id: number; queued: number }
  | { seq: number; t: number; kind: 'receive'; pid: number; id: number }
  | { seq: number; t: number; kind: 'drop'; from: number; to: number; id: number; cause: DropCause; msg: unknown }
  | { seq: number; t: number; kind: 'duplicate'; from: number; to: number; id: number; /** The id of the send it copies. */ of: number }
  | { seq: number; t: number; kind: 'exit'; pid: number; reason: ExitReason }
  | { seq: number; t: number; kind: 'signal'; from: number; to: number; reason: ExitReason }
  | { seq: number; t: number; kind: 'restart'; supervisor: number; child: string; old: number; new: number }
  | { seq: number; t: number; kind: 'timer'; pid: number; op: 'set' | 'fire' | 'cancel'; timer: number; due: number }
  | { seq: number; t: number; kind: 'fault'; what: string }
  /** Code of a process ran while no run was in progress: a promise the runtime does not control resumed it. */
  | { seq: number; t: number; kind: 'outside'; pid: number };

export type TraceKind = TraceEvent['kind'];

type Without<E, K extends keyof TraceEvent> = E extends unknown ? Omit<E, K> : never;
export type TraceInput = Without<TraceEvent, 'seq' | 't'>;

export interface TraceOptions {
  /** Keep only this many of the most recent events. Default 1,000,000. */
  readonly limit?: number;
}

export class Trace {
  private events: TraceEvent[] = [];
  private seq = 0;
  private dropped = 0;
  private readonly limit: number;
  /** Display names of processes (spawn name or registered name). */
  readonly names = new Map<number, string>();
  private readonly incarnations = new Map<string, number>();

  private readonly slack: number;

  constructor(private readonly clock: () => number, options: TraceOptions = {}) {
    this.limit = options.limit ?? 1_000_000;
    this.slack = Math.max(1, Math.floor(this.limit / 4));
  }

  record(event: TraceInput): void {
    this.push({ seq: this.seq++, t: this.clock(), ...event } as TraceEvent);
  }

  // The events of every message get their own methods: the event is made in one piece, with
  // one shape per kind (cheaper to make and to keep than an object grown by record()).
  sent(from: number, to: number, id: number, msg: unknown): void {
    this.push({ seq: this.seq++, t: this.clock(), kind: 'send', from, to, id, msg });
  }

  delivered(from: number, to: number, id: number, queued: number): void {
    this.push({ seq: this.seq++, t: this.clock(), kind: 'deliver', from, to, id, queued });
  }

  received(pid: number, id: number): void {
    this.push({ seq: this.seq++, t: this.clock(), kind: 'receive', pid, id });
  }

  private push(e: TraceEvent): void {
    this.events.push(e);
    // Trim in batches (a quarter of the limit at a time) so that recording stays O(1) amortised.
    if (this.events.length >= this.limit + this.slack) {
      const cut = this.events.length - this.limit;
      this.events.splice(0, cut);
      this.dropped += cut;
    }
  }

  /** Events recorded so far (oldest first). `truncated` events fell off the front. */
  get all(): readonly TraceEvent[] {
    return this.events.length > this.limit ? this.events.slice(-this.limit) : this.events;
  }

  get truncated(): number {
    return this.dropped + Math.max(0, this.events.length - this.limit);
  }

  get length(): number {
    return this.seq;
  }

  of<K extends TraceKind>(kind: K): Extract<TraceEvent, { kind: K }>[] {
    return this.all.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);
  }

  /** Names a process in charts; a name used again (a restarted child) gets #2, #3, … */
  label(pid: number, name: string): void {
    const n = (this.incarnations.get(name) ?? 0) + 1;
    this.incarnations.set(name, n);
    this.names.set(pid, n === 1 ? name : `${name}#${n}`);
  }

  nameOf(pid: number): string {
    if (pid === 0) return 'outside';
    return this.names.get(pid) ?? `<${pid}>`;
  }

  /** JSON-safe events: messages summarised to plain JSON; identical runs give identical JSON. */
  toJSON(): { truncated: number; names: Record<string, string>; events: unknown[] } {
    const names: Record<string, string> = {};
    for (const [pid, name] of this.names) names[pid] = name;
    return {
      truncated: this.truncated,
      names,
      events: this.all.map(jsonEvent),
    };
  }

  /**
   * A readable sequence chart of message traffic, oldest first, e.g.
   *   t=1203  teller → acc-3    reserve  {tx: "t-117", amount: 10}
   *   t=1210  ✂ network dropped  acc-5 → teller credited {tx: "t-117"}
   */
  toChart(options: { last?: number; pids?: readonly number[] } = {}): string {
    return chartLines(this, options).map((l) => l.text).join('\n');
  }
}

export interface ChartEntry {
  t: number;
  kind: 'send' | 'drop' | 'exit' | 'spawn' | 'restart' | 'timer' | 'note';
  from?: string;
  to?: string;
  label: string;
  detail?: string;
  text: string;
}

const causeText: Record<DropCause, string> = {
  dead: 'dead letter',
  'late-reply': 'late reply dropped',
  network: 'network dropped',
  partition: 'partition dropped',
  'kernel-down': 'kernel down, dropped',
  'unknown-name': 'no such name',
};

/** The chart as structured lines (for reports that draw their own chart). */
export function chartLines(trace: Trace, options: { last?: number; pids?: readonly number[] } = {}): ChartEntry[] {
  const only = options.pids ? new Set(options.pids) : undefined;
  const involves = (...pids: number[]) => !only || pids.some((p) => only.has(p));
  const out: ChartEntry[] = [];
  for (const e of trace.all) {
    const t = e.t;
    const pad = `t=${t}`.padEnd(7);
    switch (e.kind) {
      case 'send': {
        if (!involves(e.from, e.to)) break;
        const from = trace.nameOf(e.from), to = trace.nameOf(e.to);
        const { label, detail } = describeMessage(e.msg, (pid) => trace.nameOf(pid));
        out.push({ t, kind: 'send', from, to, label, detail, text: `${pad} ${`${from} → ${to}`.padEnd(22)} ${label}  ${detail}`.trimEnd() });
        break;
      }
      case 'drop': {
        if (!involves(e.from, e.to)) break;
        const from = trace.nameOf(e.from), to = trace.nameOf(e.to);
        const { label, detail } = describeMessage(e.msg, (pid) => trace.nameOf(pid));
        const why = causeText[e.cause];
        out.push({ t, kind: 'drop', from, to, label, detail: why, text: `${pad} ✂ ${why}  ${from} → ${to} ${label} ${detail}`.trimEnd() });
        break;
      }
      case 'exit': {
        if (!involves(e.pid)) break;
        const who = trace.nameOf(e.pid);
        const why = formatReason(e.reason);
        out.push({ t, kind: 'exit', from: who, label: 'exit', detail: why, text: `${pad} ✝ ${who} exited: ${why}` });
        break;
      }
      case 'restart': {
        if (!involves(e.supervisor, e.old, e.new)) break;
        const sup = trace.nameOf(e.supervisor);
        out.push({ t, kind: 'restart', from: sup, to: trace.nameOf(e.new), label: 'restart', detail: e.child, text: `${pad} ↻ ${sup} restarted ${e.child} (${trace.nameOf(e.old)} → ${trace.nameOf(e.new)})` });
        break;
      }
      case 'fault': {
        out.push({ t, kind: 'note', label: 'fault', detail: e.what, text: `${pad} ⚡ ${e.what}` });
        break;
      }
      case 'outside': {
        if (!involves(e.pid)) break;
        const who = trace.nameOf(e.pid);
        const what = 'ran outside the scheduler: it awaited a promise the runtime does not control (real time, not the seed)';
        out.push({ t, kind: 'note', from: who, label: 'outside', detail: what, text: `${pad} ⚠ ${who} ${what}` });
        break;
      }
      default:
        break;
    }
  }
  return options.last !== undefined ? out.slice(-options.last) : out;
}

/** A message's label (its `type` when it has one) and a short rendering of the rest. */
export function describeMessage(msg: unknown, nameOf?: (pid: number) => string): { label: string; detail: string } {
  if (typeof msg === 'object' && msg !== null && !Array.isArray(msg) && typeof (msg as { type?: unknown }).type === 'string') {
    const { type, ...rest } = msg as Record<string, unknown>;
    const detail = Object.keys(rest).length > 0 ? short(rest, nameOf) : '';
    return { label: type as string, detail };
  }
  return { label: short(msg, nameOf), detail: '' };
}

function short(value: unknown, nameOf: ((pid: number) => string) | undefined, max = 70): string {
  const text = render(value, 2, nameOf);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function render(value: unknown, depth: number, nameOf?: (pid: number) => string): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object' || value === null) return String(value);
  if (value instanceof ArrayBuffer) return `ArrayBuffer(${sentByteLength(value)})`; // as sent, even if moved on since
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength} bytes)`;
  if ('pid' in value && 'kernel' in value) {
    const r = value as Ref;
    if (nameOf && r.alias === undefined) return nameOf(r.pid);
    return formatRef(r);
  }
  if (depth === 0) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) return `[${value.map((v) => render(v, depth - 1, nameOf)).join(', ')}]`;
  const parts = Object.entries(value).map(([k, v]) => `${k}: ${render(v, depth - 1, nameOf)}`);
  return `{${parts.join(', ')}}`;
}

/**
 * An event as JSON. Messages are summarised; error reasons lose their stack (a stack names
 * whatever drove the run, which is not part of the program: keeping it would make the same
 * program and seed give different JSON).
 */
function jsonEvent(e: TraceEvent): unknown {
  if ('msg' in e) return { ...e, msg: toJsonSafe(e.msg) };
  if ('reason' in e && typeof e.reason === 'object' && 'error' in e.reason) {
    const { name, message } = e.reason.error;
    return { ...e, reason: { error: { name, message } } };
  }
  return e;
}

function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof ArrayBuffer) return { $bytes: value.byteLength }; // now: 0 once moved on (tests read that)
  if (ArrayBuffer.isView(value)) return { $bytes: value.byteLength, $view: value.constructor.name };
  if (Array.isArray(value)) return value.map(toJsonSafe);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v);
  return out;
}
