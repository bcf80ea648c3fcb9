import type { IntakeLimits } from './types.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

export const defaultIntakeLimits: IntakeLimits = Object.freeze({
  maxFileBytes: 256 * KiB,
  maxTotalBytes: 2 * MiB,
  maxEntries: 2000,
  maxRatio: 100,
});

/**
 * The compression ratio is judged only once this many bytes are unpacked: small archives
 * (a tar is mostly zero padding) legitimately compress far better than 100:1.
 */
export const RATIO_FLOOR_BYTES = 1 * MiB;

/** Merges `partial` over the defaults; throws RangeError on a non-positive or non-finite limit (a caller bug). */
export function resolveLimits(partial: Partial<IntakeLimits> = {}): IntakeLimits {
  const limits: IntakeLimits = { ...defaultIntakeLimits };
  for (const key of Object.keys(defaultIntakeLimits) as (keyof IntakeLimits)[]) {
    const value = partial[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`intake limit ${key} must be a positive number, got ${String(value)}`);
    }
    limits[key] = value;
  }
  return limits;
}

/** "512 bytes", "3.5 KiB", "50 MiB". */
export function formatBytes(n: number): string {
  if (n < KiB) return `${n} byte${n === 1 ? '' : 's'}`;
  const [value, unit] = n < MiB ? [n / KiB, 'KiB'] : n < 1024 * MiB ? [n / MiB, 'MiB'] : [n / (1024 * MiB), 'GiB'];
  const text = value >= 10 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1);
  return `${text} ${unit}`;
}

/** The fatal message for an archive that unpacks to more than `maxTotalBytes`. */
export function totalTooLarge(limits: IntakeLimits): string {
  return `The archive unpacks to more than ${formatBytes(limits.maxTotalBytes)} (the limit for a whole submission), so it was not read. Submit only the files the exercise asks for.`;
}

/** The fatal message when `unpacked` bytes from `compressed` bytes on disk exceed `maxRatio` (judged from RATIO_FLOOR_BYTES on), else undefined. */
export function ratioProblem(unpacked: number, compressed: number, limits: IntakeLimits): string | undefined {
  if (unpacked >= RATIO_FLOOR_BYTES && unpacked > compressed * limits.maxRatio) {
    return `The archive unpacks to more than ${limits.maxRatio} times its own size, which is how archive bombs look, so it was not read.`;
  }
  return undefined;
}

/** Total first, then ratio: the fatal message for `unpacked` bytes, else undefined. */
export function unpackProblem(unpacked: number, compressed: number, limits: IntakeLimits): string | undefined {
  if (unpacked > limits.maxTotalBytes) return totalTooLarge(limits);
  return ratioProblem(unpacked, compressed, limits);
}
