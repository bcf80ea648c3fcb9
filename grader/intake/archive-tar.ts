import { createReadStream, promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ByteReader } from './byte-reader.ts';
import { EntryError, IntakeFatal } from './errors.ts';
import { formatBytes, ratioProblem, totalTooLarge, unpackProblem } from './limits.ts';
import { isZeroBlock, longName, parseHeader, parsePax } from './tar-header.ts';
import type { EntryKind, IntakeLimits, ListedEntry, Listing } from './types.ts';

const BLOCK = 512;
/** Largest pax / GNU long-name body accepted. */
const MAX_META_BYTES = 64 * 1024;
/** pax extended ('x'), pax global ('g'), GNU long name ('L') and long link ('K') headers: they describe the next entry. */
const META_TYPES = new Set(['x', 'g', 'L', 'K']);

/**
 * Reads a .tar.gz (or a plain .tar) in one streaming pass. Every header's size is added up
 * before its body is read, so a header claiming too much stops the read at once; the bytes
 * actually decompressed are also counted (total and ratio) chunk by chunk. Regular files no
 * larger than `maxFileBytes` are kept in memory (at most `maxTotalBytes` in all); the rest are
 * skipped while streaming. Reading stops at the end-of-archive marker.
 */
export async function listTar(file: string, gzipped: boolean, limits: IntakeLimits): Promise<Listing> {
  const onDisk = (await fs.stat(file)).size;
  const source = createReadStream(file);
  let stream: Readable = source;
  if (gzipped) {
    const gunzip = createGunzip();
    source.on('error', (err) => gunzip.destroy(err));
    stream = source.pipe(gunzip);
  }
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Bodies are bounded by `declared`; headers (entries + extended headers) and their padding come on top.
  const rawBackstop = limits.maxTotalBytes + 2 * BLOCK * (3 * limits.maxEntries + 40);
  const reader = new ByteReader(iterator, (total) => {
    if (total > rawBackstop) throw new IntakeFatal(totalTooLarge(limits));
    const ratio = ratioProblem(total, onDisk, limits);
    if (ratio !== undefined) throw new IntakeFatal(ratio);
  });
  try {
    const entries = await readEntries(reader, limits, onDisk);
    return { entries, notes: [], close: async () => {} };
  } catch (err) {
    if (err instanceof IntakeFatal) throw err;
    throw new IntakeFatal(tarProblem(err, gzipped));
  } finally {
    source.destroy();
    stream.destroy();
  }
}

async function readEntries(reader: ByteReader, limits: IntakeLimits, onDisk: number): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = [];
  let headers = 0;
  let metaHeaders = 0;
  let declared = 0;
  let pax = new Map<string, string>();
  let gnuName: string | undefined;
  for (;;) {
    const block = await reader.take(BLOCK);
    if (block === undefined) {
      if (reader.drained && headers > 0) return entries; // no end marker: accepted at a block boundary
      throw new IntakeFatal(headers === 0 ? 'The archive is empty or is not a tar archive.' : 'The archive is cut short; it may not have finished uploading.');
    }
    if (isZeroBlock(block)) return entries;
    const header = parseHeader(block);
    if (header === undefined) {
      throw new IntakeFatal(headers === 0 ? 'The file is not a tar archive.' : 'The archive is damaged: one of its entry headers is broken.');
    }
    headers += 1;
    const meta = META_TYPES.has(header.type);
    if (meta) metaHeaders += 1;
    if (entries.length >= limits.maxEntries && !meta) {
      throw new IntakeFatal(`The archive holds more than ${limits.maxEntries} entries (the limit), so it was not read.`);
    }
    if (metaHeaders > 2 * limits.maxEntries + 16) {
      throw new IntakeFatal('The archive is damaged: it holds far more extended headers than files.');
    }
    const paxSize = pax.get('size');
    const size = !meta && paxSize !== undefined && /^[0-9]+$/.test(paxSize) ? Number(paxSize) : header.size;
    declared += size;
    const over = unpackProblem(declared, onDisk, limits);
    if (over !== undefined) throw new IntakeFatal(over);
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;

    if (meta) {
      if (size > MAX_META_BYTES) throw new IntakeFatal('The archive is damaged: an entry header is unreasonably long.');
      const body = await takeBody(reader, size, padding);
      if (header.type === 'x') {
        const parsed = parsePax(body);
        if (parsed === undefined) throw new IntakeFatal('The archive is damaged: an extended header is broken.');
        pax = parsed;
      } else if (header.type === 'L') {
        gnuName = longName(body);
      }
      continue;
    }

    const name = pax.get('path') ?? gnuName ?? header.name;
    pax = new Map();
    gnuName = undefined;
    const kind = tarKind(header.type, name);
    if (kind === 'file' && size <= limits.maxFileBytes) {
      const data = await takeBody(reader, size, padding);
      entries.push({ name, kind, size, read: async (max) => keep(data, max) });
    } else {
      if (!(await reader.skip(size + padding))) throw new IntakeFatal('The archive is cut short; it may not have finished uploading.');
      entries.push({ name, kind, size: kind === 'file' ? size : 0, read: tooLarge(size) });
    }
  }
}

async function takeBody(reader: ByteReader, size: number, padding: number): Promise<Buffer> {
  const body = await reader.take(size);
  if (body === undefined || !(await reader.skip(padding))) {
    throw new IntakeFatal('The archive is cut short; it may not have finished uploading.');
  }
  return body;
}

function keep(data: Buffer, max: number): Buffer {
  if (data.length > max) throw new EntryError(`it is ${formatBytes(data.length)}, over the ${formatBytes(max)} limit.`);
  return data;
}

function tooLarge(size: number): (max: number) => Promise<Buffer> {
  return async (max) => {
    throw new EntryError(`it is ${formatBytes(size)}, over the ${formatBytes(max)} limit.`);
  };
}

function tarKind(type: string, name: string): EntryKind {
  switch (type) {
    case '0':
    case '\0':
    case '7':
      return name.endsWith('/') ? 'dir' : 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '5':
      return 'dir';
    default:
      return 'special'; // devices, FIFOs, GNU sparse/volume entries…
  }
}

/** Plain English for a stream error while unpacking. */
function tarProblem(err: unknown, gzipped: boolean): string {
  const e = err as NodeJS.ErrnoException;
  const message = e instanceof Error ? e.message : '';
  if (message.includes('unexpected end of file')) return 'The archive is cut short; it may not have finished uploading.';
  if (gzipped && typeof e?.code === 'string' && e.code.startsWith('Z_')) return 'The archive is damaged: its gzip-compressed data could not be unpacked.';
  return 'The archive could not be read.';
}
