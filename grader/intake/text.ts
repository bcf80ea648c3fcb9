import { EntryError } from './errors.ts';

/**
 * Decodes a wanted file as UTF-8 text. A leading byte-order mark is dropped; invalid UTF-8 or a
 * NUL byte (a binary file) is refused with an `EntryError`.
 */
export function decodeText(data: Buffer): string {
  if (data.includes(0)) {
    throw new EntryError('it is a binary file, not text.');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new EntryError('it is not UTF-8 text. Save it with UTF-8 encoding and submit it again.');
  }
}
