/**
 * The sequence chart as aligned text, for Markdown, Gradescope and the terminal:
 *
 *   t=1203    teller → acc-3    reserve   {tx: "t-117", amount: 10}
 *   t=1210  ✂ acc-5  → teller   credited  {tx: "t-117"} (dropped)
 *   t=3207  ◷ teller            timed out waiting for credited {tx: "t-117"}
 *
 * The column after the time is a marker, so that kinds are told apart without colour:
 * ✂ drop, ✕ exit, + spawn, ↻ restart, ◷ timer, • note, blank for a delivered send.
 */
import type { ChartLine } from '../result.ts';
import { oneLine, truncate } from './text.ts';

export const MARKER: Record<ChartLine['kind'], string> = {
  send: ' ',
  drop: '✂',
  exit: '✕',
  spawn: '+',
  restart: '↻',
  timer: '◷',
  note: '•',
};

const MAX_DETAIL = 160;
const width = (s: string) => Array.from(s).length;
const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)));

/** True when the line is drawn as an arrow between two participants. */
export function isArrow(l: ChartLine): boolean {
  return l.kind !== 'exit' && l.kind !== 'timer' && l.kind !== 'note' && l.from !== undefined && l.to !== undefined;
}

/** The label as shown: an exit says so ("exited (error)"), whatever the reason's wording. */
export function labelText(l: ChartLine): string {
  const label = oneLine(l.label);
  return l.kind === 'exit' && !/exit/i.test(label) ? `exited (${label})` : label;
}

/** The words after the label: the detail, and "(dropped)" for a drop that does not say so. */
export function detailText(l: ChartLine): string {
  const d = l.detail === undefined ? '' : truncate(oneLine(l.detail), MAX_DETAIL);
  if (l.kind === 'drop' && !/drop|lost/i.test(d)) return d ? `${d} (dropped)` : '(dropped)';
  return d;
}

export function renderChartText(lines: readonly ChartLine[]): string {
  if (lines.length === 0) return '(no messages recorded)';
  const rows = lines.map((l) => ({
    l,
    t: `t=${Number.isInteger(l.t) ? l.t : l.t.toFixed(1)}`,
    from: oneLine(l.from ?? l.to ?? ''),
    to: isArrow(l) ? oneLine(l.to ?? '') : '',
    label: labelText(l),
    detail: detailText(l),
    arrow: isArrow(l),
  }));
  const tW = Math.max(...rows.map((r) => width(r.t)));
  const fromW = Math.max(...rows.map((r) => width(r.from)));
  const toW = Math.max(0, ...rows.filter((r) => r.arrow).map((r) => width(r.to)));
  const labelW = Math.max(0, ...rows.filter((r) => r.arrow).map((r) => width(r.label)));
  const anyArrow = rows.some((r) => r.arrow);
  return rows
    .map((r) => {
      const who = anyArrow ? (r.arrow ? `${pad(r.from, fromW)} → ${pad(r.to, toW)}` : pad(r.from, fromW + 3 + toW)) : pad(r.from, fromW);
      const what = r.arrow && r.detail ? `${pad(r.label, labelW)}  ${r.detail}` : [r.label, r.detail].filter(Boolean).join(' ');
      return `${pad(r.t, tW)}  ${MARKER[r.l.kind]} ${who}  ${what}`.trimEnd();
    })
    .join('\n');
}
