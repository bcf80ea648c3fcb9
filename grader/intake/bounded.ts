import type { Readable } from 'node:stream';
import { EntryError } from './errors.ts';
import { formatBytes } from './limits.ts';

/**
 * Reads a stream to its end, keeping at most `maxBytes`: one byte more destroys the stream and
 * throws `EntryError`, so a lying size field can never make us buffer (or inflate) without bound.
 * Other stream errors pass through `mapError`.
 */
export async function readBounded(stream: Readable, maxBytes: number, mapError: (err: unknown) => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > maxBytes) {
        throw new EntryError(`it holds more than ${formatBytes(maxBytes)}, more than its stated size or the limit allows.`);
      }
      chunks.push(buf);
    }
  } catch (err) {
    stream.destroy();
    if (err instanceof EntryError) throw err;
    throw mapError(err);
  }
  return Buffer.concat(chunks, total);
}
