/** The distribution of totals as an inline SVG bar chart (counts written on the bars). */
import type { HistogramBin } from '../result.ts';
import { num, xml } from './text.ts';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';

export function renderHistogramSvg(bins: readonly HistogramBin[], opts: { id: string; title: string; axis?: string }): string {
  const id = opts.id.replace(/[^A-Za-z0-9_-]/g, '_');
  const left = 44;
  const right = 12;
  const top = 26;
  const plotH = 190;
  const barW = Math.max(34, Math.min(64, Math.floor(640 / Math.max(1, bins.length))));
  const W = left + right + barW * Math.max(1, bins.length);
  const H = top + plotH + 52;
  const most = Math.max(1, ...bins.map((b) => b.count));
  const step = most <= 5 ? 1 : most <= 10 ? 2 : Math.ceil(most / 5 / 5) * 5;
  const yMax = Math.ceil(most / step) * step;
  const y = (c: number) => top + plotH - (plotH * c) / yMax;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-title" font-family="${xml(FONT)}" font-size="12">`,
    `<title id="${id}-title">${xml(opts.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
  ];
  for (let c = 0; c <= yMax; c += step) {
    out.push(
      `<line x1="${left}" x2="${W - right}" y1="${y(c)}" y2="${y(c)}" stroke="${c === 0 ? '#1f2937' : '#e2e8f0'}" stroke-width="1"/>`,
      `<text x="${left - 8}" y="${y(c) + 4}" text-anchor="end" fill="#4b5563">${c}</text>`,
    );
  }
  bins.forEach((b, i) => {
    const x = left + i * barW;
    const last = i === bins.length - 1;
    const range = `${num(b.from)}–${num(b.to)}`;
    out.push(`<g><title>${xml(`${range}${last ? ' (inclusive)' : ''}: ${b.count} student${b.count === 1 ? '' : 's'}`)}</title>`);
    if (b.count > 0)
      out.push(`<rect x="${x + 4}" y="${y(b.count)}" width="${barW - 8}" height="${y(0) - y(b.count)}" fill="#3b6fd4" stroke="#1e3a8a" stroke-width="1"/>`);
    out.push(
      `<text x="${x + barW / 2}" y="${y(b.count) - 6}" text-anchor="middle" font-weight="600" fill="#1f2937">${b.count}</text>`,
      `<text x="${x + barW / 2}" y="${y(0) + 16}" text-anchor="middle" fill="#374151" font-size="${range.length * 6 > barW ? 9.5 : 11}">${xml(range)}</text>`,
      '</g>',
    );
  });
  out.push(`<text x="${left + (W - left - right) / 2}" y="${H - 8}" text-anchor="middle" fill="#4b5563">${xml(opts.axis ?? 'total points')}</text>`, '</svg>');
  return out.join('\n');
}
