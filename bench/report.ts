// Plain-text output shared by the suites: number formatting, aligned tables, and the JSON
// results file under bench/results/.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** 1234567 → "1.23M", 45600 → "45.6k". */
export function rate(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)}G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

/** 12.3456 → "12.35×", 0.0123 → "0.012×". */
export function ratio(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '';
  if (value >= 100) return `${value.toFixed(0)}×`;
  if (value >= 10) return `${value.toFixed(1)}×`;
  if (value >= 0.1) return `${value.toFixed(2)}×`;
  return `${value.toFixed(3)}×`;
}

export function ms(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

export type Align = 'left' | 'right';

/** An aligned text table; a row of `null` draws a separator line. */
export function table(header: readonly string[], rows: readonly (readonly string[] | null)[], align: readonly Align[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r ? (r[i] ?? '').length : 0))));
  const cell = (text: string, i: number) => ((align[i] ?? 'left') === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const line = (cells: readonly string[]) => cells.map(cell).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map((r) => (r ? line(r) : rule))].join('\n');
}

/** Where the numbers were measured (goes into every JSON result). */
export function environment(): Record<string, unknown> {
  const cpu = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
    date: new Date().toISOString(),
  };
}

/** A warning when other work is keeping the machine's cores busy (the numbers will be noisy), else undefined. */
export function busyWarning(): string | undefined {
  const load = loadavg()[0]!;
  const cores = cpus().length;
  return load > cores * 0.75
    ? `NOTE: load average ${load.toFixed(1)} on ${cores} cores: other work is running, the numbers are noisy (see the ± column).`
    : undefined;
}

/** Writes `bench/results/<name>.json` and returns its path. */
export async function writeResults(name: string, data: unknown): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const path = join(resultsDir, `${name}.json`);
  await writeFile(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}
