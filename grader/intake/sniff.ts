import { promises as fs } from 'node:fs';

/** What a file really is, judged from its first bytes rather than its name. */
export type Sniffed = 'zip' | 'gzip' | 'tar' | 'empty' | { other: string } | 'unknown';

const SIGNATURES: { bytes: number[]; offset?: number; what: Sniffed }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'zip' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], what: 'zip' }, // empty zip
  { bytes: [0x50, 0x4b, 0x07, 0x08], what: 'zip' }, // spanned marker
  { bytes: [0x1f, 0x8b], what: 'gzip' },
  { bytes: [0x75, 0x73, 0x74, 0x61, 0x72], offset: 257, what: 'tar' }, // "ustar"
  { bytes: [0x42, 0x5a, 0x68], what: { other: 'a bzip2-compressed file' } },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: { other: 'an xz-compressed file' } },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: { other: 'a zstd-compressed file' } },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: { other: 'a 7-Zip archive' } },
  { bytes: [0x52, 0x61, 0x72, 0x21], what: { other: 'a RAR archive' } },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: { other: 'a PDF document' } },
];

/** Reads the first 512 bytes of `file` and names its format. Throws if the file can't be opened. */
export async function sniff(file: string): Promise<Sniffed> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead === 0) return 'empty';
    const bytes = head.subarray(0, bytesRead);
    for (const sig of SIGNATURES) {
      const at = sig.offset ?? 0;
      if (bytes.length >= at + sig.bytes.length && sig.bytes.every((b, i) => bytes[at + i] === b)) return sig.what;
    }
    return 'unknown';
  } finally {
    await handle.close();
  }
}
