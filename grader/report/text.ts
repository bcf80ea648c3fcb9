/**
 * Text helpers shared by the renderers: control-character stripping, number formatting and the
 * escaping rules for Markdown and SVG. HTML escaping is left to Handlebars (`{{…}}`).
 */
import type { TestResult } from '../result.ts';

/**
 * Remove C0/C1 control characters except newline and tab (ANSI colour codes, NUL, backspace,
 * bidi overrides): student text must not repaint a terminal that `cat`s report.md, nor
 * reorder what a reader sees. CRLF becomes LF.
 */
export function clean(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** One line: newlines and tabs become single spaces. */
export function oneLine(s: string): string {
  return clean(s)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\t/g, ' ');
}

/** Points: at most two decimals, '.' as decimal separator whatever the locale, no "-0". */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** Whole percent of score/max ("–" when max is 0). */
export function percent(score: number, max: number): string {
  if (!(max > 0)) return '–';
  return `${Math.round((100 * score) / max)}%`;
}

/** "2025-03-14 09:26 UTC" from an ISO string; the input unchanged if it does not parse. */
export function utc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return oneLine(iso);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "850 ms", "12.4 s", "3 min 05 s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "passed on all 5 seeds", "failed on 2 of 5 seeds: 3, 4"; null when no seed ran. */
export function seedsLine(t: TestResult): string | null {
  const run = t.seeds.run.length;
  if (run === 0) return null;
  if (t.seeds.failed.length === 0) return `passed on all ${plural(run, 'seed')}`;
  if (t.status === 'error' && run === 1) return `the kernel failed at seed ${t.seeds.run[0]}, so the other seeds were not run`;
  return `failed on ${t.seeds.failed.length} of ${plural(run, 'seed')}: ${t.seeds.failed.join(', ')}`;
}

// ───────────────────────────── SVG / XML ─────────────────────────────

/** Escape for XML text and attribute values (SVG built in code, outside Handlebars). */
export function xml(s: string): string {
  return clean(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Cut to at most `max` characters (code points), ending with "…" when cut. */
export function truncate(s: string, max: number): string {
  const cps = Array.from(s);
  if (cps.length <= max) return s;
  return `${cps.slice(0, Math.max(0, max - 1)).join('')}…`;
}

// ───────────────────────────── Markdown ─────────────────────────────
// CommonMark lets any ASCII punctuation be backslash-escaped. We escape what can start markup
// anywhere in a line (emphasis, code, links, raw HTML, tables, strikethrough, entities, math) and
// what can start a block at the beginning of a line (headings, quotes, lists, setext rules).
// Raw HTML therefore never reaches a Markdown renderer: `<script>` becomes `\<script\>`.

const MD_INLINE = /[\\`*_[\]<>|~&$]/g;
// Block markers only count at the start of a line and (except `>`) before a space or the end.
const MD_LINE_START = /^(\s*)(#{1,6}(?=\s|$)|>|[-+](?=\s|$)|\d{1,9}[.)](?=\s|$)|[=-]+\s*$)/;

function mdEscapeLine(line: string): string {
  return line
    .replace(MD_INLINE, '\\$&')
    .replace(MD_LINE_START, (_m, sp: string, mark: string) => (/^\d/.test(mark) ? `${sp}${mark.slice(0, -1)}\\${mark.slice(-1)}` : `${sp}\\${mark}`));
}

/** Markdown text on one line (table cells, list items, headings). */
export function mdText(s: string): string {
  return mdEscapeLine(oneLine(s).trim());
}

/** Markdown paragraph that keeps its line breaks (hard breaks: two trailing spaces). */
export function mdLines(s: string): string {
  return clean(s)
    .trim()
    .split('\n')
    .map((l) => mdEscapeLine(l.replace(/\t/g, '    ').trimEnd()))
    .join('  \n');
}

/** Inline code span that survives backticks in its content. */
export function mdCode(s: string): string {
  const text = oneLine(s);
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Fenced code block whose fence is longer than any backtick run inside. */
export function mdFence(s: string, info = 'text'): string {
  const text = clean(s).replace(/\s+$/, '');
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${info}\n${text}\n${fence}`;
}
