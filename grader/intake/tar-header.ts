/**
 * ustar / GNU / pax header parsing (POSIX.1-2001). Returns undefined for a header whose
 * checksum or numbers are broken.
 */

export interface TarHeader {
  name: string;
  linkName: string;
  size: number;
  /** The typeflag character; "\0" is an old-style regular file. */
  type: string;
}

const BLOCK = 512;

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

export function parseHeader(block: Buffer): TarHeader | undefined {
  const stored = parseNumber(block.subarray(148, 156));
  if (stored === undefined || !checksumMatches(block, stored)) return undefined;
  const size = parseNumber(block.subarray(124, 136));
  if (size === undefined) return undefined;
  const name = cString(block.subarray(0, 100));
  const linkName = cString(block.subarray(157, 257));
  const type = String.fromCharCode(block[156] as number);
  // POSIX ustar ("ustar\0") splits long names into prefix + name; GNU ("ustar  ") uses that area for other fields.
  const posix = block.subarray(257, 263).toString('latin1') === 'ustar\0';
  const prefix = posix ? cString(block.subarray(345, 500)) : '';
  return { name: prefix !== '' ? `${prefix}/${name}` : name, linkName, size, type };
}

function checksumMatches(block: Buffer, stored: number): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** Octal text, or GNU base-256 when the top bit of the first byte is set. */
function parseNumber(field: Buffer): number | undefined {
  const first = field[0] as number;
  if (first & 0x80) {
    if (first === 0xff) return undefined; // negative
    let value = first & 0x7f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + (field[i] as number);
      if (value > Number.MAX_SAFE_INTEGER) return undefined;
    }
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

/** Parses a pax extended header body ("<len> key=value\n" records). Undefined when malformed. */
export function parsePax(body: Buffer): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break; // padding
    const space = body.indexOf(0x20, pos);
    if (space === -1) return undefined;
    const lengthText = body.subarray(pos, space).toString('latin1');
    if (!/^[0-9]+$/.test(lengthText)) return undefined;
    const length = parseInt(lengthText, 10);
    if (length <= space - pos + 1 || pos + length > body.length) return undefined;
    const record = body.subarray(space + 1, pos + length);
    if (record[record.length - 1] !== 0x0a) return undefined;
    const eq = record.indexOf(0x3d);
    if (eq === -1) return undefined;
    out.set(record.subarray(0, eq).toString('utf8'), record.subarray(eq + 1, record.length - 1).toString('utf8'));
    pos += length;
  }
  return out;
}

/** A NUL-terminated GNU long name/link body. */
export function longName(body: Buffer): string {
  return cString(body);
}
