import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { readBounded } from './bounded.ts';
import { EntryError, IntakeFatal } from './errors.ts';
import { unpackProblem } from './limits.ts';
import type { EntryKind, IntakeLimits, ListedEntry, Listing } from './types.ts';

/**
 * Lists a .zip from its central directory (yauzl), before inflating anything:
 * more than `maxEntries` entries, a declared total over `maxTotalBytes`, or a declared
 * ratio over `maxRatio` gives up on the whole archive. Entries are inflated only when read,
 * through a byte counter, and yauzl refuses data longer than the declared size, so a lying
 * header can't inflate without bound either. Content is CRC-checked.
 */
export async function listZip(file: string, limits: IntakeLimits): Promise<Listing> {
  const onDisk = (await fs.stat(file)).size;
  const zip = await openZip(file);
  let closed = false;
  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      zip.close();
    }
  };
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw new IntakeFatal(`The archive holds ${zip.entryCount} entries, more than the limit of ${limits.maxEntries}, so it was not read.`);
    }
    const entries: ListedEntry[] = [];
    let declared = 0;
    for (;;) {
      const entry = await nextEntry(zip);
      if (entry === undefined) break;
      declared += entry.uncompressedSize;
      const over = unpackProblem(declared, onDisk, limits);
      if (over !== undefined) throw new IntakeFatal(over);
      const raw = Buffer.isBuffer(entry.fileName) ? entry.fileName : entry.fileNameRaw;
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, true);
      const kind = zipKind(entry, name);
      entries.push({ name, kind, size: kind === 'file' ? entry.uncompressedSize : 0, read: (max) => readZipEntry(zip, entry, max) });
    }
    return { entries, notes: [], close };
  } catch (err) {
    await close();
    if (err instanceof IntakeFatal) throw err;
    throw new IntakeFatal(zipProblem(err));
  }
}

/** Unix mode bits live in the high 16 bits of the external attributes (Info-ZIP, macOS, Python…). */
function zipKind(entry: Entry, name: string): EntryKind {
  const type = (entry.externalFileAttributes >>> 16) & 0o170000;
  if (type === 0o120000) return 'symlink';
  if (type === 0o040000 || name.endsWith('/') || name.endsWith('\\')) return 'dir';
  if (type === 0 || type === 0o100000) return 'file';
  return 'special';
}

function openZip(file: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, zip) => {
      if (err || zip === undefined) reject(new IntakeFatal(zipProblem(err)));
      else resolve(zip);
    });
  });
}

function nextEntry(zip: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: Entry): void => {
      cleanup();
      resolve(entry);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(undefined);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

async function readZipEntry(zip: ZipFile, entry: Entry, maxBytes: number): Promise<Buffer> {
  if (entry.isEncrypted()) throw new EntryError('it is password-protected; submit it without a password.');
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new EntryError(`it is packed with a compression method the grader can't read (method ${entry.compressionMethod}); use a plain .zip.`);
  }
  const stream = await new Promise<Readable>((resolve, reject) => {
    zip.openReadStream(entry, (err, s) => {
      if (err || s === undefined) reject(new EntryError('it is damaged and could not be unpacked.'));
      else resolve(s);
    });
  });
  const data = await readBounded(stream, maxBytes, (err) => {
    const message = err instanceof Error ? err.message : '';
    if (message.startsWith('too many bytes')) {
      return new IntakeFatal(
        'The archive is damaged or crafted: a file unpacks to more data than the archive says, which is how archive bombs look, so it was not read.',
      );
    }
    if (message.startsWith('not enough bytes')) return new EntryError('it is damaged: it holds less data than the archive says.');
    return new EntryError('it is damaged and could not be unpacked.');
  });
  if (crc32(data) !== entry.crc32) throw new EntryError('it is damaged: its checksum does not match.');
  return data;
}

/** Plain English for a zip that can't be opened or listed. */
function zipProblem(err: unknown): string {
  const message = err instanceof Error ? err.message.toLowerCase() : '';
  if (message.includes('end of central directory record signature not found')) {
    return 'The file is not a zip archive, or it is cut short: its table of contents is missing.';
  }
  if (message.includes('unexpected eof')) return 'The zip file is cut short; it may not have finished uploading.';
  if (message.includes('strong encryption') || message.includes('encrypted')) return 'The zip file is encrypted; submit it without a password.';
  if (message.includes('multi-disk')) return 'The zip file is split into several parts; submit a single .zip file.';
  return 'The zip file is damaged: its table of contents could not be read.';
}
