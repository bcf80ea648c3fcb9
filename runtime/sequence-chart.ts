// The sequence chart: the trace's message traffic, exits, restarts and faults as readable
// lines (text for the terminal, structured entries for reports that draw their own chart).
import { formatReason } from './exit.ts';
import { sentByteLength } from './message.ts';
import { formatRef, type Ref } from './ref.ts';
import type { DropCause, Trace } from './trace.ts';

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
        const from = trace.nameOf(e.from),
          to = trace.nameOf(e.to);
        const { label, detail } = describeMessage(e.msg, (pid) => trace.nameOf(pid));
        out.push({ t, kind: 'send', from, to, label, detail, text: `${pad} ${`${from} → ${to}`.padEnd(22)} ${label}  ${detail}`.trimEnd() });
        break;
      }
      case 'drop': {
        if (!involves(e.from, e.to)) break;
        const from = trace.nameOf(e.from),
          to = trace.nameOf(e.to);
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
        out.push({
          t,
          kind: 'restart',
          from: sup,
          to: trace.nameOf(e.new),
          label: 'restart',
          detail: e.child,
          text: `${pad} ↻ ${sup} restarted ${e.child} (${trace.nameOf(e.old)} → ${trace.nameOf(e.new)})`,
        });
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
    // An older send whose message the trace no longer keeps (see TraceOptions.detail): its type only.
    if ((msg as { $elided?: unknown }).$elided === true && Object.isFrozen(msg)) return { label: (msg as { type: string }).type, detail: '…' };
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
