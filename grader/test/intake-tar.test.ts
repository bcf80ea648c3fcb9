// What intake refuses in a .tar.gz / .tar, entry by entry and as a whole: crafted names (also
// through pax and GNU long-name headers), links and special files, lying sizes, bombs, damaged
// headers. Every case goes through the public `intake`, as a submission would.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intake } from '../intake/index.ts';
import type { IntakeResult, SubmissionSource, WantedFiles } from '../intake/index.ts';
import { makeTar, makeTarGz, pax } from './archives.ts';

const wanted: WantedFiles = { files: ['ring/ring.ts', 'REFLECTION.md'] };
const RING = 'export const ring = 1;\n';
const REFLECTION = '# Reflection\n';
const MiB = 1024 * 1024;
const TOTAL = 'The archive unpacks to more than 2 MiB (the limit for a whole submission), so it was not read. Submit only the files the exercise asks for.';
const DAMAGED_HEADER = 'The archive is damaged: one of its entry headers is broken.';
const CUT = 'The archive is cut short; it may not have finished uploading.';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'intake-tar-test-'));
});
afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

let count = 0;
async function intakeBytes(
  data: Buffer,
  kind: SubmissionSource['kind'] = 'tar.gz',
  name = `s${++count}.tar.gz`,
  limits?: Parameters<typeof intake>[2],
): Promise<IntakeResult> {
  const file = path.join(tmp, name);
  await fs.writeFile(file, data);
  return intake({ student: name, path: file, kind }, wanted, limits);
}

/** A fatal result: nothing read, every required file missing. */
function expectFatal(r: IntakeResult, message: string | RegExp): void {
  if (typeof message === 'string') expect(r.fatal).toBe(message);
  else expect(r.fatal).toMatch(message);
  expect(r.files).toEqual({});
  expect(r.missing).toEqual(wanted.files);
}

describe('tar intake: entries refused one by one', () => {
  it('refuses traversal, absolute, drive and control-character names, and keeps the good files', async () => {
    const r = await intakeBytes(
      makeTarGz([
        { name: '../../etc/passwd', data: 'root:x:0:0\n' },
        { name: '/etc/shadow', data: 'x' },
        { name: 'C:\\evil.ts', data: 'x' },
        { name: 'ring\\..\\..\\escape.ts', data: 'x' },
        { name: 'bell\x07.ts', data: 'x' },
        { name: 'ring/ring.ts', data: RING },
        { name: 'REFLECTION.md', data: REFLECTION },
      ]),
    );
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION });
    expect(r.notes).toEqual([
      'Skipped "../../etc/passwd": the path leaves the submission folder.',
      'Skipped "/etc/shadow": the path is absolute, so it leaves the submission folder.',
      'Skipped "C:\\evil.ts": the path names a drive (like C:), so it leaves the submission folder.',
      'Skipped "ring\\..\\..\\escape.ts": the path leaves the submission folder.',
      'Skipped "bell?.ts": the name contains control characters.',
    ]);
  });

  it('judges the name a pax header or a GNU long-name header gives, not the short one', async () => {
    const r = await intakeBytes(
      makeTarGz([
        { name: 'PaxHeader/ring.ts', type: 'x', data: pax({ path: '../outside/ring.ts' }) },
        { name: 'ring/ring.ts', data: 'smuggled\n' },
        { name: '././@LongLink', type: 'L', data: '/etc/cron.d/evil\0' },
        { name: 'REFLECTION.md', data: 'smuggled\n' },
      ]),
    );
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({});
    expect(r.missing).toEqual(['ring/ring.ts', 'REFLECTION.md']);
    expect(r.notes).toEqual([
      'Skipped "../outside/ring.ts": the path leaves the submission folder.',
      'Skipped "/etc/cron.d/evil": the path is absolute, so it leaves the submission folder.',
    ]);
  });

  it('reads a long name from a pax header, and a pax header applies to the next entry only', async () => {
    const deep = `${'d'.repeat(80)}/${'e'.repeat(80)}/ring.ts`;
    const r = await intake(
      {
        student: 'long',
        path: await writeFile(
          'long.tar.gz',
          makeTarGz([
            { name: 'PaxHeader/x', type: 'x', data: pax({ path: deep, mtime: '1700000000.5' }) },
            { name: 'short-name-ignored', data: RING },
            { name: 'REFLECTION.md', data: REFLECTION },
          ]),
        ),
        kind: 'tar.gz',
      },
      { files: [deep, 'REFLECTION.md'] },
    );
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ [deep]: RING, 'REFLECTION.md': REFLECTION });
  });

  it('never reads links, devices or pipes, whatever their names', async () => {
    const r = await intakeBytes(
      makeTarGz([
        { name: 'ring/ring.ts', type: '2', linkName: '/etc/passwd' },
        { name: 'REFLECTION.md', type: '1', linkName: 'ring/ring.ts' },
        { name: 'dev/null', type: '3' },
        { name: 'dev/sda', type: '4' },
        { name: 'fifo', type: '6' },
      ]),
    );
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({});
    expect(r.notes).toEqual([
      'Skipped "ring/ring.ts": it is a symbolic link; links are never followed.',
      'Skipped "REFLECTION.md": it is a hard link to another file; links are not accepted.',
      'Skipped "dev/null": it is not a regular file (a device, a pipe or similar).',
      'Skipped "dev/sda": it is not a regular file (a device, a pipe or similar).',
      'Skipped "fifo": it is not a regular file (a device, a pipe or similar).',
    ]);
  });

  it('skips a wanted file over the size limit without reading it, and reads the rest', async () => {
    const r = await intakeBytes(
      makeTarGz([
        { name: 'ring/ring.ts', data: 'y'.repeat(5000) },
        { name: 'REFLECTION.md', data: REFLECTION },
      ]),
      'tar.gz',
      'limit.tar.gz',
      { maxFileBytes: 4096 },
    );
    expect(r.files).toEqual({ 'REFLECTION.md': REFLECTION });
    expect(r.notes).toEqual(['Skipped "ring/ring.ts": it is 4.9 KiB, over the 4 KiB limit for one file.']);
  });
});

describe('tar intake: archives refused whole', () => {
  it('refuses a header that claims more than the total, before reading any body', async () => {
    expectFatal(await intakeBytes(makeTarGz([{ name: 'ring/ring.ts', data: RING, declaredSize: 3 * MiB }])), TOTAL);
    // The same lie told by a pax "size" record.
    expectFatal(
      await intakeBytes(
        makeTarGz([
          { name: 'PaxHeader/x', type: 'x', data: pax({ size: String(1024 * MiB) }) },
          { name: 'ring/ring.ts', data: RING },
        ]),
      ),
      TOTAL,
    );
  });

  it('refuses many wanted-looking files that add up past the total', async () => {
    const items = Array.from({ length: 12 }, (_, i) => ({ name: `pad/${i}.bin`, data: randomBytes(200 * 1024) }));
    expectFatal(await intakeBytes(makeTarGz([{ name: 'ring/ring.ts', data: RING }, ...items])), TOTAL);
  });

  it('stops at the end-of-archive marker: what follows it is never unpacked', async () => {
    const entries = [
      { name: 'ring/ring.ts', data: RING },
      { name: 'REFLECTION.md', data: REFLECTION },
    ];
    // 8 MiB of zeros, or of junk, after the two zero blocks: a small file that would unpack past every limit.
    for (const fill of [0, 0x41]) {
      const bomb = makeTarGz(entries, Buffer.concat([Buffer.alloc(1024), Buffer.alloc(8 * MiB, fill)]));
      expect(bomb.length).toBeLessThan(64 * 1024);
      const r = await intakeBytes(bomb);
      expect(r.fatal).toBeUndefined();
      expect(r.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION });
    }
  });

  it('refuses more entries than the limit, counting links and folders, not pax headers', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ name: `l${i}`, type: '2' as const, linkName: 'x' }));
    expectFatal(
      await intakeBytes(makeTarGz(items), 'tar.gz', 'links.tar.gz', { maxEntries: 25 }),
      'The archive holds more than 25 entries (the limit), so it was not read.',
    );
    const withPax = Array.from({ length: 25 }, (_, i) => [
      { name: 'PaxHeader', type: 'x' as const, data: pax({ path: `dir/f${i}` }) },
      { name: `f${i}`, data: 'x' },
    ]).flat();
    const ok = await intakeBytes(makeTarGz([...withPax]), 'tar.gz', 'pax-ok.tar.gz', { maxEntries: 25 });
    expect(ok.fatal).toBeUndefined();
  });

  it('refuses a flood of extended headers with no files', async () => {
    const flood = Array.from({ length: 1500 }, () => ({ name: 'PaxHeader', type: 'x' as const, data: pax({ comment: 'x' }) }));
    const r = await intakeBytes(makeTarGz(flood), 'tar.gz', 'flood.tar.gz', { maxEntries: 100 });
    expect(r.fatal).toBeDefined();
    expect(r.files).toEqual({});
  });

  it('refuses an extended header far longer than any name', async () => {
    const r = await intakeBytes(
      makeTarGz([
        { name: 'PaxHeader', type: 'x', data: pax({ comment: randomBytes(1536 * 1024).toString('base64') }) },
        { name: 'ring/ring.ts', data: RING },
      ]),
    );
    expect(r.fatal).toBeDefined();
    expect(r.files).toEqual({});
  });

  it('refuses a damaged header: a wrong checksum, or a size that is not a number', async () => {
    const good = { name: 'REFLECTION.md', data: REFLECTION };
    expectFatal(await intakeBytes(makeTarGz([good, { name: 'ring/ring.ts', data: RING, badChecksum: true }])), DAMAGED_HEADER);
    expectFatal(await intakeBytes(makeTarGz([good, { name: 'ring/ring.ts', data: RING, sizeField: 'zzzzzzzzzzz\0' }])), DAMAGED_HEADER);
    expectFatal(await intakeBytes(makeTarGz([{ name: 'ring/ring.ts', data: RING, badChecksum: true }])), 'The file is not a tar archive.');
  });

  it('refuses a broken extended header rather than guessing what it meant', async () => {
    const broken = [
      '99 path=ring/ring.ts\n', // a record length past the body
      '20 path=ring/ring.ts!', // a record not ending in a newline
      'path=ring/ring.ts\n', // no length at all
    ];
    for (const body of broken) {
      expectFatal(
        await intakeBytes(
          makeTarGz([
            { name: 'PaxHeader', type: 'x', data: body },
            { name: 'x', data: RING },
            { name: 'REFLECTION.md', data: REFLECTION },
          ]),
        ),
        'The archive is damaged: an extended header is broken.',
      );
    }
  });

  it('refuses an extended header longer than 64 KiB at once, whatever it holds', async () => {
    const long = pax({ comment: 'c'.repeat(70 * 1024) });
    expectFatal(
      await intakeBytes(
        makeTarGz([
          { name: 'PaxHeader', type: 'x', data: long },
          { name: 'ring/ring.ts', data: RING },
        ]),
      ),
      'The archive is damaged: an entry header is unreasonably long.',
    );
  });

  it('refuses a number field with junk in it', async () => {
    const good = { name: 'REFLECTION.md', data: REFLECTION };
    expectFatal(await intakeBytes(makeTarGz([good, { name: 'ring/ring.ts', data: RING, sizeField: '0000000002x\0' }])), DAMAGED_HEADER);
  });

  it('reads a size written in GNU base-256, and refuses a negative or oversized one', async () => {
    const base256 = (n: number) => `\x80${'\0'.repeat(7)}${Buffer.from([0, 0, 0, n]).toString('latin1')}`;
    const r = await intakeBytes(
      makeTarGz([
        { name: 'ring/ring.ts', data: RING, sizeField: base256(RING.length) },
        { name: 'REFLECTION.md', data: REFLECTION },
      ]),
    );
    expect(r.fatal).toBeUndefined();
    expect(r.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION });
    const good = { name: 'REFLECTION.md', data: REFLECTION };
    expectFatal(await intakeBytes(makeTarGz([good, { name: 'ring/ring.ts', data: RING, sizeField: '\xff'.repeat(12) }])), DAMAGED_HEADER);
    expectFatal(await intakeBytes(makeTarGz([good, { name: 'ring/ring.ts', data: RING, sizeField: `\x80${'\xff'.repeat(11)}` }])), DAMAGED_HEADER);
  });

  it('refuses an archive cut inside a body or inside a header', async () => {
    const tar = makeTar([
      { name: 'ring/ring.ts', data: RING.repeat(100) },
      { name: 'REFLECTION.md', data: REFLECTION },
    ]);
    expectFatal(await intakeBytes(gzipSync(tar.subarray(0, 512 + 1000))), CUT);
    expectFatal(await intakeBytes(gzipSync(tar.subarray(0, 512 + 2560 + 100))), CUT);
  });

  it('refuses a damaged gzip stream and an empty tar stream', async () => {
    const gz = makeTarGz([{ name: 'ring/ring.ts', data: randomBytes(20000).toString('hex') }]);
    const broken = Buffer.from(gz);
    for (let i = 40; i < 200; i++) broken[i] = (broken[i] as number) ^ 0x5a;
    expectFatal(await intakeBytes(broken), /^The archive (is damaged|could not be read|is cut short)/);
    expectFatal(await intakeBytes(gzipSync(Buffer.alloc(0))), 'The archive is empty or is not a tar archive.');
  });

  it('accepts an archive with no end marker when it stops at an entry boundary, and an empty one with a marker', async () => {
    const noMarker = await intakeBytes(
      makeTarGz(
        [
          { name: 'ring/ring.ts', data: RING },
          { name: 'REFLECTION.md', data: REFLECTION },
        ],
        Buffer.alloc(0),
      ),
    );
    expect(noMarker.fatal).toBeUndefined();
    expect(noMarker.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION });
    const empty = await intakeBytes(makeTarGz([]));
    expect(empty.fatal).toBeUndefined();
    expect(empty.missing).toEqual(wanted.files);
  });

  it('reads a plain .tar named .tar.gz, with a note', async () => {
    const r = await intakeBytes(
      makeTar([
        { name: 'ring/ring.ts', data: RING },
        { name: 'REFLECTION.md', data: REFLECTION },
      ]),
      'tar.gz',
      'plain.tar.gz',
    );
    expect(r.files).toEqual({ 'ring/ring.ts': RING, 'REFLECTION.md': REFLECTION });
    expect(r.notes).toEqual(['The file is named like a .tar.gz archive but is an uncompressed tar archive; it was read as one.']);
  });
});

async function writeFile(name: string, data: Buffer): Promise<string> {
  const file = path.join(tmp, name);
  await fs.writeFile(file, data);
  return file;
}
