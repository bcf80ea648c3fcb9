/**
 * The sequence chart as inline SVG for the HTML report: one lifeline per participant, one row
 * per chart line, oldest at the top. Kinds differ in shape and glyph, not only in colour:
 * a delivered send is a solid arrow; a drop is an arrow cut by ✂ that fades out before its
 * target; spawn and restart are dashed arrows; an exit is a ✕ on the lifeline; a timer a clock.
 * Full labels are kept in <title> tooltips when they had to be shortened.
 *
 * Sized for about a dozen lines and six participants; the HTML puts it in a horizontally
 * scrollable box (phones) and scales it to the page when printing.
 */
import type { ChartLine } from '../result.ts';
import { detailText, isArrow, labelText } from './chart-text.ts';
import { oneLine, truncate, xml } from './text.ts';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';
const MONO = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace';
const CH = 6.7; // approx. advance of a 12px sans character
const CH_BOLD = 7.3;
const HEADER = 44;
const ROW = 36;
const STRIPE = '#f3f5f8';
const INK = '#1f2937';
const MUTED = '#4b5563';
const LIFELINE = '#94a3b8';
const RED = '#b91c1c';
const BLUE = '#1e40af';
const AMBER_BG = '#fff7e0';
const AMBER = '#92400e';

const n = (v: number) => (Math.round(v * 10) / 10).toString();
const textWidth = (bold: string, normal: string) => Array.from(bold).length * CH_BOLD + Array.from(normal).length * CH;

export interface ChartSvgOptions {
  /** Unique within the page: prefixes the SVG's element ids. */
  id: string;
  /** Accessible name; defaults to a sentence with the number of lines. */
  title?: string;
}

/** Participants in order of first appearance. */
export function participants(lines: readonly ChartLine[]): string[] {
  const seen: string[] = [];
  for (const l of lines) for (const p of [l.from, l.to]) if (p !== undefined && !seen.includes(p)) seen.push(p);
  return seen;
}

export function renderChartSvg(lines: readonly ChartLine[], opts: ChartSvgOptions): string {
  const id = opts.id.replace(/[^A-Za-z0-9_-]/g, '_');
  const people = participants(lines);
  const cols = Math.max(1, people.length);
  const longestName = Math.max(4, ...people.map((p) => Array.from(oneLine(p)).length));
  const colW = Math.min(170, Math.max(112, longestName * CH_BOLD + 30));
  const times = lines.map((l) => `t=${Number.isInteger(l.t) ? l.t : l.t.toFixed(1)}`);
  const gutter = Math.max(60, Math.max(0, ...times.map((t) => t.length)) * 6.6 + 18);
  const W = Math.max(520, Math.ceil(gutter + cols * colW + 16));
  const H = HEADER + 8 + Math.max(1, lines.length) * ROW + 10;
  const x = (p: string | undefined) => gutter + colW * Math.max(0, p === undefined ? 0 : people.indexOf(p)) + colW / 2;
  const title = opts.title ?? `Sequence chart of the last ${lines.length} messages before the failure`;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="seq" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-title" font-family="${xml(FONT)}" font-size="12">`,
    `<title id="${id}-title">${xml(title)}</title>`,
    '<defs>',
    `<marker id="${id}-arrow" viewBox="0 0 10 10" refX="9.5" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0.5 L10,5 L0,9.5 z" fill="${INK}"/></marker>`,
    `<marker id="${id}-open" viewBox="0 0 10 10" refX="9.5" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0.5 L10,5 L0,9.5" fill="none" stroke="${INK}" stroke-width="1.5"/></marker>`,
    '</defs>',
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`,
  );

  // Row stripes, so that a time on the left is easy to follow to its arrow.
  lines.forEach((_, i) => {
    if (i % 2 === 1) out.push(`<rect x="0" y="${HEADER + 8 + i * ROW}" width="${W}" height="${ROW}" fill="${STRIPE}"/>`);
  });

  // Lifelines and participant boxes.
  people.forEach((p) => {
    const cx = x(p);
    out.push(`<line x1="${n(cx)}" y1="${HEADER - 4}" x2="${n(cx)}" y2="${H - 6}" stroke="${LIFELINE}" stroke-width="1" stroke-dasharray="4 4"/>`);
  });
  people.forEach((p) => {
    const cx = x(p);
    const name = oneLine(p);
    const maxChars = Math.floor((colW - 24) / CH_BOLD);
    const shown = truncate(name, maxChars);
    out.push(
      `<g><rect x="${n(cx - colW / 2 + 8)}" y="8" width="${n(colW - 16)}" height="28" rx="6" fill="#e8eef6" stroke="#475569" stroke-width="1"/>` +
        `<text x="${n(cx)}" y="26.5" text-anchor="middle" font-weight="600" fill="${INK}">${xml(shown)}</text>` +
        (shown !== name ? `<title>${xml(name)}</title>` : '') +
        '</g>',
    );
  });

  lines.forEach((l, i) => {
    const top = HEADER + 8 + i * ROW;
    const y = top + 24;
    const bg = i % 2 === 1 ? STRIPE : '#fff';
    const halo = `paint-order="stroke" stroke="${bg}" stroke-width="4" stroke-linejoin="round"`;
    out.push(`<g class="row ${l.kind}">`);
    out.push(`<text x="${n(gutter - 10)}" y="${y + 4}" text-anchor="end" font-family="${xml(MONO)}" font-size="11" fill="${MUTED}">${xml(times[i]!)}</text>`);

    const label = labelText(l);
    const detail = detailText(l);
    /** Label (bold) + detail, shortened to `room` px; full text as a tooltip when shortened. */
    const words = (tx: number, ty: number, room: number, colour: string, anchor: 'start' | 'end' = 'start', prefix = '', haloColour = bg) => {
      const halo = `paint-order="stroke" stroke="${haloColour}" stroke-width="4" stroke-linejoin="round"`;
      let b = label;
      let d = detail;
      if (textWidth(b, ` ${d}`) > room) {
        const left = room - textWidth(b, ' ');
        if (left > CH * 8) d = truncate(d, Math.floor(left / CH));
        else {
          d = '';
          b = truncate(b, Math.max(4, Math.floor(room / CH_BOLD)));
        }
      }
      const cut = b !== label || d !== detail;
      return (
        `<text x="${n(tx)}" y="${n(ty)}" text-anchor="${anchor}" ${halo}>` +
        (prefix ? `<tspan fill="${colour}">${xml(prefix)}</tspan>` : '') +
        `<tspan font-weight="600" fill="${colour}">${xml(b)}</tspan>` +
        (d ? `<tspan fill="${MUTED}"> ${xml(d)}</tspan>` : '') +
        (cut ? `<title>${xml([label, detail].filter(Boolean).join(' '))}</title>` : '') +
        '</text>'
      );
    };
    /** Text placed beside a marker at cx, on whichever side has more room. */
    const beside = (cx: number, colour: string) => {
      const right = W - 8 - (cx + 14);
      const left = cx - 14 - gutter;
      const need = textWidth(label, ` ${detail}`);
      return need <= right || right >= left ? words(cx + 14, y + 4, right, colour) : words(cx - 14, y + 4, left, colour, 'end');
    };

    if (isArrow(l)) {
      const x1 = x(l.from);
      const x2 = x(l.to);
      const tx = Math.min(x1, x2) + 10;
      const room = W - 8 - tx;
      if (x1 === x2) {
        // A message to itself: a small loop to the right of the lifeline.
        const dash = l.kind === 'send' ? '' : ' stroke-dasharray="5 3"';
        const colour = l.kind === 'drop' ? RED : INK;
        out.push(
          `<path d="M${n(x1)},${y - 9} h28 v14 h-26" fill="none" stroke="${colour}" stroke-width="1.5"${dash}${l.kind === 'drop' ? '' : ` marker-end="url(#${id}-arrow)"`}/>`,
        );
        if (l.kind === 'drop') out.push(`<text x="${n(x1 + 28)}" y="${y + 3}" text-anchor="middle" font-size="15" fill="${RED}" ${halo}>✂</text>`);
        out.push(words(x1 + 36, y - 1, W - 8 - (x1 + 36), l.kind === 'drop' ? RED : INK));
      } else if (l.kind === 'drop') {
        const cut = x1 + (x2 - x1) * 0.55;
        const gap = Math.sign(x2 - x1) * 9;
        out.push(
          `<line x1="${n(x1)}" y1="${y}" x2="${n(cut - gap)}" y2="${y}" stroke="${RED}" stroke-width="1.75"/>`,
          `<line x1="${n(cut + gap)}" y1="${y}" x2="${n(x2)}" y2="${y}" stroke="${RED}" stroke-opacity="0.45" stroke-width="1.5" stroke-dasharray="2 4"/>`,
          `<text x="${n(cut)}" y="${y + 5}" text-anchor="middle" font-size="16" fill="${RED}">✂</text>`,
          words(tx, y - 8, room, RED),
        );
      } else {
        const dashed = l.kind === 'spawn' || l.kind === 'restart';
        const prefix = l.kind === 'restart' ? '↻ ' : '';
        out.push(
          `<line x1="${n(x1)}" y1="${y}" x2="${n(x2)}" y2="${y}" stroke="${INK}" stroke-width="1.5"${dashed ? ' stroke-dasharray="6 4"' : ''} marker-end="url(#${id}-${dashed ? 'open' : 'arrow'})"/>`,
        );
        out.push(words(tx, y - 8, room - prefix.length * CH, INK, 'start', prefix));
      }
    } else {
      const who = l.from ?? l.to;
      const cx = who === undefined ? gutter + 6 : x(who);
      if (l.kind === 'exit') {
        out.push(
          `<path d="M${n(cx - 6)},${y - 6} L${n(cx + 6)},${y + 6} M${n(cx + 6)},${y - 6} L${n(cx - 6)},${y + 6}" stroke="${RED}" stroke-width="2.5" stroke-linecap="round"/>`,
          beside(cx, RED),
        );
      } else if (l.kind === 'timer') {
        out.push(
          `<circle cx="${n(cx)}" cy="${y}" r="7" fill="#fff" stroke="${BLUE}" stroke-width="1.6"/>`,
          `<path d="M${n(cx)},${y - 4.5} V${y} H${n(cx + 3.5)}" fill="none" stroke="${BLUE}" stroke-width="1.4" stroke-linecap="round"/>`,
          beside(cx, BLUE),
        );
      } else if (l.kind === 'spawn' || l.kind === 'restart') {
        out.push(
          `<text x="${n(cx)}" y="${y + 5}" text-anchor="middle" font-size="15" font-weight="700" fill="${INK}" ${halo}>${l.kind === 'spawn' ? '+' : '↻'}</text>`,
          beside(cx, INK),
        );
      } else {
        // note (or a send without both ends): a small sticky note beside the participant.
        const tx = who === undefined ? gutter + 6 : cx + 12;
        const room = W - 8 - tx - 12;
        const need = Math.min(room, textWidth(label, ` ${detail}`)) + 12;
        out.push(
          who === undefined ? '' : `<circle cx="${n(cx)}" cy="${y}" r="3.5" fill="${AMBER}"/>`,
          `<rect x="${n(tx)}" y="${y - 12}" width="${n(need)}" height="22" rx="4" fill="${AMBER_BG}" stroke="${AMBER}" stroke-width="1"/>`,
          words(tx + 6, y + 4, room, AMBER, 'start', '', AMBER_BG),
        );
      }
    }
    out.push('</g>');
  });

  if (lines.length === 0) out.push(`<text x="${n(gutter)}" y="${HEADER + 28}" fill="${MUTED}">(no messages recorded)</text>`);
  out.push('</svg>');
  return out.join('\n');
}
