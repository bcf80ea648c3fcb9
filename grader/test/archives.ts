// Archive builders for tests. Hand-written so tests can make entries no well-behaved tool
// would write (traversal names, lying sizes, symlink modes).
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

export interface ZipItem {
  name: string;
  data?: Buffer | string;
  /** Unix mode including the file type bits; default regular file (or folder for "x/"). */
  mode?: number;
  store?: boolean;
  /** Lie about the uncompressed size in both headers. */
  declaredSize?: number;
  crc?: number;
  /** Compression method written in the headers (the body is still deflated unless `store`). */
  method?: number;
  /** Extra general-purpose flag bits (bit 0: encrypted). */
  flags?: number;
}

export function makeZip(items: ZipItem[], options: { disk?: number } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const item of items) {
    const name = Buffer.from(item.name, 'utf8');
    const raw = typeof item.data === 'string' ? Buffer.from(item.data, 'utf8') : (item.data ?? Buffer.alloc(0));
    const method = item.method ?? (item.store ? 0 : 8);
    const body = item.store ? raw : deflateRawSync(raw);
    const flags = 0x800 | (item.flags ?? 0); // UTF-8 names
    const crc = item.crc ?? crc32(raw);
    const size = item.declaredSize ?? raw.length;
    const mode = item.mode ?? (item.name.endsWith('/') ? 0o40755 : 0o100644);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(options.disk ?? 0, 4);
  end.writeUInt16LE(items.length, 8);
  end.writeUInt16LE(items.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export interface TarItem {
  name: string;
  data?: Buffer | string;
  /** Typeflag: 0 file, 1 hard link, 2 symlink, 3/4 devices, 5 folder, 6 FIFO, x pax, g pax global, L GNU long name. */
  type?: '0' | '1' | '2' | '3' | '4' | '5' | '6' | 'x' | 'g' | 'L';
  linkName?: string;
  /** Lie about the size in the header (the body written is still `data`). */
  declaredSize?: number;
  /** Raw text for the size field (12 bytes), to write a malformed number. */
  sizeField?: string;
  /** Store a wrong checksum. */
  badChecksum?: boolean;
}

function tarHeader(item: TarItem, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(item.name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(item.sizeField ?? `${(item.declaredSize ?? size).toString(8).padStart(11, '0')}\0`, 124, 12, 'latin1');
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(item.type ?? '0', 156);
  h.write(item.linkName ?? '', 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  if (item.badChecksum) sum += 1;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** A pax extended header body ("<len> key=value\n" records) for `{ type: 'x', data: pax({...}) }`. */
export function pax(records: Record<string, string>): string {
  let out = '';
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len += 1;
    out += `${len}${body}`;
  }
  return out;
}

export function makeTar(items: TarItem[], trailer: Buffer = Buffer.alloc(1024)): Buffer {
  const parts: Buffer[] = [];
  for (const item of items) {
    const data = typeof item.data === 'string' ? Buffer.from(item.data, 'utf8') : (item.data ?? Buffer.alloc(0));
    parts.push(tarHeader(item, data.length));
    parts.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(trailer);
  return Buffer.concat(parts);
}

export const makeTarGz = (items: TarItem[], trailer?: Buffer): Buffer => gzipSync(makeTar(items, trailer));
